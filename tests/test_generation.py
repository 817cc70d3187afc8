"""The generator pipeline: generated/ is what `make generate` makes, byte for byte, every time.

make runs with VENV set to the running interpreter's environment and `-o $(VENV)/.installed`,
so a test never reinstalls anything (even when pyproject.toml is newer than that marker): the
pinned generator and ruff are already in the environment that runs the tests.
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.pipeline import (
    BYTECODE,
    GENERATED,
    PIPELINE_FILES,
    REPO,
    VENV,
    make,
    start_make,
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


# What templates/ may change in the pinned generator's templates, in lines added and removed
# (marks included), summed over every file: each block must carry a guarantee the contract
# needs, and every one of them is re-applied by hand on a generator upgrade.
BUDGET = 100


def changed_lines(ours: str, upstream: str) -> int:
    """Lines a unified diff of upstream against ours adds or removes."""
    diff = difflib.unified_diff(upstream.splitlines(), ours.splitlines(), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def custom_templates() -> list[str]:
    return sorted(path.name for path in (REPO / "templates").glob("*.jinja"))


def test_every_custom_template_is_checked_for_drift() -> None:
    checked = {"client", "model", "endpoint_init", "package_init", "types"}
    ours = {name.removesuffix(".py.jinja") for name in custom_templates()}
    assert ours == checked, "a new template in templates/ needs its own test here"


def test_templates_change_at_most_the_budget_in_total() -> None:
    changes = {
        name: changed_lines(our_template(name), upstream_template(name))
        for name in custom_templates()
    }
    assert all(changes.values()), f"a template that no longer differs goes: {changes}"
    assert sum(changes.values()) <= BUDGET, changes


def test_the_budget_count_sees_every_added_and_removed_line() -> None:
    upstream = upstream_template("types.py.jinja")
    assert changed_lines(upstream, upstream) == 0
    assert changed_lines(upstream + "x\ny\n", upstream) == 2
    edited = upstream.replace("class Unset:", "class Unset:  # edited", 1)
    assert changed_lines(edited, upstream) == 2
    over = upstream + "# a line\n" * (BUDGET + 1)
    assert changed_lines(over, upstream) > BUDGET


def test_custom_model_template_changes_only_marked_blocks() -> None:
    """The secrets are read off the contract's `format: password`, naming no property."""
    assert unmarked_changes("model.py.jinja") == []
    marked = "".join(blocks("model.py.jinja"))
    assert '"1.schema_format", "equalto", "password"' in marked
    assert "_attrs_field(repr=False" in marked and '", repr=False" if secrets' in marked


def test_custom_endpoint_init_template_only_adds_the_operation_table_and_the_log_filter() -> None:
    ours = our_template("endpoint_init.py.jinja")
    upstream = upstream_template("endpoint_init.py.jinja")
    assert ours.startswith(upstream)
    (block,) = blocks("endpoint_init.py.jinja")
    assert ours[len(upstream) :] == block
    assert "OPERATIONS: dict[str, dict[str, Any]] = {" in block
    assert 'logging.getLogger("httpx").addFilter(' in block


def test_custom_package_init_template_only_adds_the_contract_version() -> None:
    assert unmarked_changes("package_init.py.jinja") == []
    (block,) = blocks("package_init.py.jinja")
    assert "\nCONTRACT_VERSION = " in block and block.count("\n") == 4


def test_custom_types_template_gives_unset_a_repr_and_keeps_a_body_out_of_repr() -> None:
    assert unmarked_changes("types.py.jinja") == []
    imports, unset, response = blocks("types.py.jinja")
    assert 'return "UNSET"' in unset
    assert "field" in imports
    assert response.count("field(repr=False)") == 2


def test_custom_client_template_only_keeps_secrets_out_of_repr() -> None:
    assert unmarked_changes("client.py.jinja") == []
    marked = "".join(blocks("client.py.jinja"))
    assert marked.count("repr=False") == 4  # cookies, headers, httpx_args, token


def test_the_generated_clients_and_responses_keep_secrets_out_of_repr() -> None:
    """A traceback that shows locals prints the client of every generated function it crossed."""
    from http import HTTPStatus

    from runai_tokens_client import AuthenticatedClient, Client
    from runai_tokens_client.types import Response

    client = AuthenticatedClient(
        "https://tenant.example", token="fake-secret-token", cookies={"session": "fake-cookie"}
    )
    client.get_httpx_client()  # writes "Bearer <token>" into its headers
    plain = Client(
        "https://tenant.example",
        headers={"Authorization": "Bearer fake-header"},
        httpx_args={"auth": ("user", "fake-password")},
    )
    answer: Response[None] = Response(
        HTTPStatus.OK, b'{"accessToken": "fake-body-token"}', {"x": "fake-head"}, None
    )
    shown = repr(client) + repr(plain) + repr(answer)
    assert "tenant.example" in shown and "status_code=<HTTPStatus.OK: 200>" in shown
    for secret in ("fake-secret-token", "fake-cookie", "fake-header", "fake-password"):
        assert secret not in shown
    assert "fake-body-token" not in shown and "fake-head" not in shown
    client.get_httpx_client().close()


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


def test_generated_models_are_attrs_classes() -> None:
    import attrs
    from runai_tokens_client import models

    classes = [getattr(models, name) for name in models.__all__]
    made = [kind for kind in classes if hasattr(kind, "from_dict")]
    assert len(made) >= 8
    assert all(attrs.has(kind) for kind in made)


def test_evolve_works_on_a_token_response_and_keeps_the_token_out_of_repr() -> None:
    import attrs
    from runai_tokens_client.models import TokenResponse

    token = TokenResponse.from_dict({"accessToken": "fake-token-evolve-LEAK", "expiresIn": 60})
    later = attrs.evolve(token, expires_in=3600)
    assert later.access_token == "fake-token-evolve-LEAK"
    assert repr(later) == "TokenResponse(expires_in=3600)"
    assert attrs.asdict(later)["access_token"] == "fake-token-evolve-LEAK"


def test_unset_says_unset_and_copies_as_itself() -> None:
    import copy
    import pickle

    from runai_tokens_client.models import TokenResponse
    from runai_tokens_client.types import UNSET

    token = TokenResponse(expires_in=60)
    assert repr(token.access_token) == "UNSET" and str(token.id_token) == "UNSET"
    for copied in (copy.deepcopy(token), pickle.loads(pickle.dumps(token))):  # noqa: S301
        assert copied.access_token is UNSET
        assert copied.to_dict() == {"expiresIn": 60}
