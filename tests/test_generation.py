"""The generator pipeline: generated/ is what `make generate` makes, byte for byte, every time.

make runs with VENV set to the running interpreter's environment and `-o $(VENV)/.installed`,
so a test never reinstalls anything (even when pyproject.toml is newer than that marker): the
pinned generator and ruff are already in the environment that runs the tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
GENERATED = Path("generated") / "runai_tokens_client"
VENV = Path(sys.prefix)
# What the Makefile's generate and check-generated read; check-generated needs nothing else.
PIPELINE_FILES = ("Makefile", "openapi.yaml", "generator-config.yaml")
BYTECODE = shutil.ignore_patterns("__pycache__", "*.pyc")


def make(directory: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(directory), target, f"VENV={VENV}", "-o", f"{VENV}/.installed"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def start_make(directory: Path, target: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["make", "-C", str(directory), target, f"VENV={VENV}", "-o", f"{VENV}/.installed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(autouse=True)
def _tools_in_this_environment() -> None:
    for tool in ("openapi-python-client", "ruff"):
        assert (VENV / "bin" / tool).exists(), (
            f"{tool} is not in {VENV}: run the tests from the project's venv (`make setup`)"
        )


def copy_pipeline(destination: Path) -> Path:
    destination.mkdir()
    for name in PIPELINE_FILES:
        shutil.copy2(REPO / name, destination / name)
    shutil.copytree(REPO / "templates", destination / "templates")
    shutil.copytree(REPO / GENERATED, destination / GENERATED, ignore=BYTECODE)
    return destination


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_check_generated_passes() -> None:
    result = make(REPO, "check-generated")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "generated/ is up to date" in result.stdout


def test_check_generated_fails_on_a_hand_edit(tmp_path: Path) -> None:
    copy = copy_pipeline(tmp_path / "copy")
    edited = copy / GENERATED / "models" / "token_response.py"
    edited.write_text(edited.read_text() + "# a hand edit\n")

    result = make(copy, "check-generated")

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "token_response.py" in output
    assert "+# a hand edit" in output, output
    assert "run 'make generate'" in output


def test_generation_is_byte_identical_run_to_run(tmp_path: Path) -> None:
    copies = [copy_pipeline(tmp_path / name) for name in ("first", "second")]
    runs = [start_make(copy, "generate") for copy in copies]
    for run in runs:
        output, _ = run.communicate(timeout=120)
        assert run.returncode == 0, output

    first, second = (tree(copy / GENERATED) for copy in copies)
    assert first == second
    assert first == tree(REPO / GENERATED)
    assert "py.typed" in first
    # The post hooks leave no ruff cache (or anything else) behind in the package.
    assert not any(name.startswith(".") or "/." in name for name in first)


def test_check_generated_ignores_bytecode(tmp_path: Path) -> None:
    copy = copy_pipeline(tmp_path / "copy")
    cache = copy / GENERATED / "__pycache__"
    cache.mkdir()
    (cache / "client.cpython-311.pyc").write_bytes(b"\x00")

    result = make(copy, "check-generated")

    assert result.returncode == 0, result.stdout + result.stderr


def upstream_template(name: str) -> str:
    import openapi_python_client

    path = Path(openapi_python_client.__file__).parent / "templates" / name
    return path.read_text(encoding="utf-8")


def our_template(name: str) -> str:
    return (REPO / "templates" / name).read_text(encoding="utf-8")


def test_every_custom_template_is_checked_for_drift() -> None:
    checked = {"model.py.jinja", "endpoint_init.py.jinja", "package_init.py.jinja"}
    ours = {path.name for path in (REPO / "templates").glob("*.jinja")}
    assert ours == checked, "a new template in templates/ needs its own drift test here"


def test_custom_model_template_is_the_pinned_generators_plus_one_block() -> None:
    """templates/model.py.jinja must track the pinned generator: only our marked block differs."""
    ours = our_template("model.py.jinja")
    start = ours.index("{#- runai-tokens:")
    end = ours.index("{%- elif config.docstrings_on_attributes", start)
    macro = "{% macro declare_property(property) %}\n"
    block = ours[start:end]
    assert macro in block
    assert 'schema_format == "password"' in block  # the contract's mark, not a list of names
    restored = ours[:start] + macro + "{%- if" + ours[end + len("{%- elif") :]
    hidden_unknown_keys = re.compile(
        r'\{\{ ", repr=False" if \(model\.data\.properties[^\n]*?password"[^\n]*?\}\}'
    )
    assert len(hidden_unknown_keys.findall(restored)) == 1
    assert hidden_unknown_keys.sub("", restored) == upstream_template("model.py.jinja")


def test_custom_endpoint_init_template_only_adds_the_operation_table() -> None:
    ours = our_template("endpoint_init.py.jinja")
    upstream = upstream_template("endpoint_init.py.jinja")
    assert ours.startswith(upstream)
    assert "{# runai-tokens:" in ours[len(upstream) :]


def test_custom_package_init_template_only_adds_the_contract_version() -> None:
    ours = our_template("package_init.py.jinja")
    added = re.compile(r"\{# runai-tokens:.*?#\}\nCONTRACT_VERSION = [^\n]*\n\n", re.DOTALL)
    assert len(added.findall(ours)) == 1
    assert added.sub("", ours) == upstream_template("package_init.py.jinja")


def test_generated_models_keep_tokens_and_secrets_out_of_repr() -> None:
    from runai_tokens_client.models import (
        AppTokenRequest,
        AppTokenResponse,
        Error,
        GrantType,
        TokenRequest,
        TokenResponse,
    )

    secret = "fake-secret-LEAK"
    models: list[Any] = [
        AppTokenRequest(id="app", name="app", secret=secret),
        AppTokenResponse(access_token=secret, id_token=secret),
        TokenRequest(
            grant_type=GrantType.PASSWORD,
            app_secret=secret,
            client_secret=secret,
            password=secret,
            refresh_token=secret,
            code=secret,
            external_token=secret,
            username="researcher",
            client_id="ci",
        ),
        TokenResponse(
            access_token=secret,
            id_token=secret,
            refresh_token=secret,
            external_token=secret,
            expires_in=3600,
        ),
    ]
    for model in models:
        model.additional_properties["access_token"] = secret  # a token under a name unknown to 2.24
        assert secret not in repr(model)
        assert secret not in str(model)
        assert secret in str(model.to_dict())  # only hidden from repr, never from the wire
    assert "username='researcher'" in repr(models[2])
    assert "expires_in=3600" in repr(models[3])
    error = Error(code=503, message="busy")
    error.additional_properties["requestId"] = "req-1"
    assert "code=503" in repr(error)
    assert "req-1" in repr(error)  # an Error's unknown keys help debugging and hold no token
