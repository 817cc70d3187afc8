"""The generator pipeline: generated/ is what `make generate` makes, byte for byte, every time.

make runs with VENV set to the running interpreter's environment and `-o $(VENV)/.installed`,
so a test never reinstalls anything (even when pyproject.toml is newer than that marker): the
pinned generator and ruff are already in the environment that runs the tests.
"""

from __future__ import annotations

import ast
import difflib
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
    checked = {
        "model.py.jinja",
        "endpoint_init.py.jinja",
        "package_init.py.jinja",
        "endpoint_module.py.jinja",
        "errors.py.jinja",
        "types.py.jinja",
        "api_init.py.jinja",
        "client.py.jinja",
        "models_init.py.jinja",
    }
    ours = {path.name for path in (REPO / "templates").glob("*.jinja")}
    assert ours == checked, "a new template in templates/ needs its own drift test here"


def test_custom_model_template_changes_only_marked_blocks() -> None:
    """templates/model.py.jinja must track the pinned generator: only our marked blocks differ.
    They write what attrs made at import (no attrs), and the repr reads the secrets off the
    contract's `format: password`, naming no property."""
    assert unmarked_changes("model.py.jinja") == []
    marked = "".join(blocks("model.py.jinja"))
    assert '"1.schema_format", "equalto", "password"' in marked
    for needed in ("__slots__", "__match_args__", "def __init__(", "def __repr__(", "def __eq__("):
        assert needed in marked
    assert "__hash__ = None" in marked


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


# A block of ours: "{# runai-tokens: why #}", the lines it adds or puts in place of the
# generator's, then "{# /runai-tokens #}".
MARKED_BLOCK = re.compile(
    r"^\{# runai-tokens: .*?^\{# /runai-tokens #\}\n", re.DOTALL | re.MULTILINE
)
BLOCK_STANDS_HERE = "\0 a runai-tokens block\n"


def unmarked_changes(name: str) -> list[str]:
    """What templates/<name> changes in the pinned generator's template outside its marked
    blocks: every upstream line kept, in order, except where a block stands in its place."""
    collapsed = MARKED_BLOCK.sub(BLOCK_STANDS_HERE, our_template(name)).splitlines(keepends=True)
    upstream = upstream_template(name).splitlines(keepends=True)
    changes = []
    matcher = difflib.SequenceMatcher(None, upstream, collapsed, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        ours = [line for line in collapsed[j1:j2] if line != BLOCK_STANDS_HERE]
        if tag == "delete" or ours:
            changes += [f"- {line}" for line in upstream[i1:i2]] + [f"+ {line}" for line in ours]
    return changes


def blocks(name: str) -> list[str]:
    return MARKED_BLOCK.findall(our_template(name))


def test_unmarked_changes_are_found() -> None:
    """The drift check itself: an edit outside a block, or a line dropped without one, shows."""
    ours = our_template("types.py.jinja")
    edited = ours.replace("class Unset:", "class Unset:  # edited", 1)
    dropped = ours.replace("UNSET: Unset = Unset()\n", "", 1)
    for text in (edited, dropped):
        collapsed = MARKED_BLOCK.sub(BLOCK_STANDS_HERE, text).splitlines(keepends=True)
        upstream = upstream_template("types.py.jinja").splitlines(keepends=True)
        opcodes = difflib.SequenceMatcher(None, upstream, collapsed, autojunk=False).get_opcodes()
        assert any(
            tag == "delete" or (tag != "equal" and set(collapsed[j1:j2]) - {BLOCK_STANDS_HERE})
            for tag, _, _, j1, j2 in opcodes
        )
    assert unmarked_changes("types.py.jinja") == []


def test_custom_endpoint_module_template_changes_only_marked_blocks() -> None:
    """Every operation raises ApiException for all but a documented 2xx of its documented shape,
    sends through api.send/asend, and builds its request kwargs with a secret-free repr."""
    assert unmarked_changes("endpoint_module.py.jinja") == []
    marked = "".join(blocks("endpoint_module.py.jinja"))
    for needed in ("errors.checked_response(", " send(", " asend(", "RequestKwargs("):
        assert needed in marked
    # The error models come from the operation's responses, not from a list of names.
    assert "response.prop.class_info.name" in marked
    assert "Error" not in marked.replace("errors.", "").replace("error_models", "")


def test_custom_errors_template_is_the_generators_plus_one_block() -> None:
    assert unmarked_changes("errors.py.jinja") == []
    (block,) = blocks("errors.py.jinja")
    assert "class UnexpectedStatus(ApiException):" in block
    # What each error model says is read off its schema, not named here.
    assert "required_properties" in block and "optional_properties" in block
    for name in ("OAuth2Error", "error_description", '"message"'):
        assert name not in block


def test_custom_api_init_template_is_the_generators_plus_one_block() -> None:
    assert unmarked_changes("api_init.py.jinja") == []
    (block,) = blocks("api_init.py.jinja")
    assert "def send(" in block and "async def asend(" in block


def test_custom_client_template_changes_only_marked_blocks() -> None:
    assert unmarked_changes("client.py.jinja") == []
    marked = "".join(blocks("client.py.jinja"))
    # The repr leaves out the token, the headers, the cookies and the httpx arguments.
    assert 'reject("in", ["_cookies", "_headers", "_httpx_args", "token"])' in marked
    assert marked.count("return self._evolve(") == 3  # with_headers, with_cookies, with_timeout


def test_custom_models_init_template_imports_each_model_on_first_use() -> None:
    assert unmarked_changes("models_init.py.jinja") == []
    (block,) = blocks("models_init.py.jinja")
    assert "def __getattr__(" in block and "if TYPE_CHECKING:" in block
    # The models come from the generator's own list, not from names written here.
    assert "{% for import in imports | sort %}" in block
    assert "TokenRequest" not in block and "from .error" not in block


def test_custom_types_template_changes_only_marked_blocks() -> None:
    assert unmarked_changes("types.py.jinja") == []
    marked = "".join(blocks("types.py.jinja"))
    assert '(status_code={self.status_code!r}, parsed={self.parsed!r})"' in marked


def test_no_generated_module_imports_attrs() -> None:
    """The templates write the classes attrs would make: importing attrs and defining an attrs
    class cost a fresh process more than the generated package itself."""
    modules = sorted((REPO / GENERATED).rglob("*.py"))
    assert len(modules) > 10
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not [n for n in names if n.split(".")[0] in ("attr", "attrs")], module


def test_generated_docstrings_say_what_the_functions_raise() -> None:
    """The endpoint template rewrites the generator's Raises section: it must still find it."""
    modules = sorted((REPO / GENERATED / "api").rglob("*.py"))
    documented = [m for m in modules if "def sync_detailed(" in m.read_text()]
    assert documented
    for module in documented:
        text = module.read_text()
        assert "errors.UnexpectedStatus: If the server returns" not in text, module
        assert "httpx.TimeoutException" not in text, module
        assert text.count("errors.ApiException: If the server answers") == 4, module


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
