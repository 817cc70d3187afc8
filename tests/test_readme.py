"""Every Python example in README.md runs, as written, against a FakeRunaiServer.

The examples read RUNAI_* variables the way a user's code would; here they point at a fake
control plane with the demo accounts `runai-token serve` registers. A README example that stops
working (a renamed parameter, a wrong claim in a comment's printed value) fails this test.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from runai_tokens.cli._serve import DEMO_APP, DEMO_CLIENT, DEMO_USER
from runai_tokens.testing import FakeRunaiServer

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
SCRIPTS = [block for block in BLOCKS if "def test_" not in block]
PYTEST_EXAMPLES = [block for block in BLOCKS if "def test_" in block]


@pytest.fixture
def demo_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer(version="2.24") as server:
        server.add_client(*DEMO_CLIENT)
        server.add_app(*DEMO_APP)
        server.add_user(*DEMO_USER)
        for name, value in {
            "RUNAI_BASE_URL": server.url,
            "RUNAI_CLIENT_ID": DEMO_CLIENT[0],
            "RUNAI_CLIENT_SECRET": DEMO_CLIENT[1],
            "RUNAI_APP_SECRET": DEMO_APP[1],
            "RUNAI_USERNAME": DEMO_USER[0],
            "RUNAI_PASSWORD": DEMO_USER[1],
        }.items():
            monkeypatch.setenv(name, value)
        yield server


# The modules whose public names (their __all__) the README shows: the package and the
# subpackages users import from.
PUBLIC_MODULES = (
    "runai_tokens",
    "runai_tokens.api",
    "runai_tokens.auth",
    "runai_tokens.credentials",
    "runai_tokens.errors",
    "runai_tokens.login",
    "runai_tokens.retry",
    "runai_tokens.testing",
)


def names_in_code(blocks: list[str]) -> set[str]:
    """Every name the blocks' code uses: a variable or an attribute. Not one that is only
    imported, nor comments or strings: a name mentioned in passing is not an example of it."""
    names: set[str] = set()
    for block in blocks:
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
    return names


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_the_readme_has_examples_for_every_public_name(module_name: str) -> None:
    module = importlib.import_module(module_name)
    public = getattr(module, "__all__", None)
    assert public, f"{module_name} declares no __all__: say which names are public"
    used = names_in_code(BLOCKS)
    missing = [name for name in public if name not in used]
    assert missing == [], f"no python example in README.md uses {module_name}: {missing}"


def test_the_public_name_check_reads_code_not_prose() -> None:
    block = "# TokenAuth in a comment\nfrom x import RetryPolicy as P\nprint(a.Counts, 'Gate')\n"
    assert names_in_code([block]) == {"print", "a", "Counts"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[f"example{i}" for i in range(len(SCRIPTS))])
def test_example_runs(
    script: str, demo_server: FakeRunaiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(script, str(README), "exec"), {"__name__": "__readme__"})  # noqa: S102
    printed = capsys.readouterr().out
    assert printed.strip(), "every example prints what it shows"
    assert "Traceback" not in printed
    for secret in (DEMO_CLIENT[1], DEMO_APP[1], DEMO_USER[1]):
        assert secret not in printed


# The printed values the README claims in a comment that do not depend on timing or tokens.
CHECKED_CLAIMS = (
    "True 3",
    "401 Unauthorized",
    "502 Bad Gateway None",
    "503 fail True",
    "Counts(token_requests=1, ok=1, stale=0, unknown=1)",
    "Counts(token_requests=1, ok=0, stale=0, unknown=0)",
    "2 True",
    "True 1",
    "{'exp': 2000000000, 'sub': 'ci-pipeline'}",
    "1700000060",
    "('auto', 'keyring', 'file', 'none')",
    "ClientCredentials: a grant at the token endpoint",
    "StaticToken: no grant of its own",
    "400 True",
    "True I'm a teapot",
    "401 401 missing bearer token",
    "10.0 60.0 5",
    "RetryPolicy is immutable: use replace()",
)


def test_claimed_outputs_are_true(
    demo_server: FakeRunaiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where an example says in a comment what it prints, it prints that."""
    seen: set[str] = set()
    for script in SCRIPTS:
        # [ \t], not \s: a print without a comment must not claim the next line's comment.
        claims = re.findall(r"print\(.*\)[ \t]+#[ \t]*(\S.*)$", script, re.MULTILINE)
        checked = [claim for claim in claims if claim in CHECKED_CLAIMS]
        if not checked:
            continue
        exec(compile(script, str(README), "exec"), {"__name__": "__readme__"})  # noqa: S102
        printed = capsys.readouterr().out
        for claim in checked:
            assert claim in printed
        seen.update(checked)
    assert seen == set(CHECKED_CLAIMS), "a claim listed here is no longer in the README"


def test_pytest_plugin_example(pytester: pytest.Pytester) -> None:
    assert len(PYTEST_EXAMPLES) == 1
    pytester.makepyfile(test_my_pipeline=PYTEST_EXAMPLES[0])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=2)


def test_the_readme_shows_this_build_s_version_and_wheel_name() -> None:
    import runai_tokens
    from runai_tokens._generated import CONTRACT_VERSION

    text = README.read_text(encoding="utf-8")
    version = runai_tokens.__version__
    assert f"runai-token {version} (Run:ai token API {CONTRACT_VERSION})" in text
    assert f"# {version} {CONTRACT_VERSION}" in text  # the printed value in the example
    wheels = set(re.findall(r"dist/runai_tokens-[^ ']+\.whl", text))
    assert wheels == {f"dist/runai_tokens-{version}-py3-none-any.whl"}
