"""Every Python example in README.md and docs/ runs, as written, against a FakeRunaiServer.

pytest-examples finds the examples (every ```python fence) and runs each one as a module. The
examples read RUNAI_* variables the way a user's code would; here they point at a fake control
plane with the demo accounts `runai-token serve` registers. An example that stops working (a
renamed parameter, a wrong claim in a comment's printed value) fails this test.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import griffe
import pytest
from pytest_examples import CodeExample, EvalExample, find_examples
from runai_tokens.cli._serve import DEMO_APP, DEMO_CLIENT, DEMO_USER
from runai_tokens.testing import FakeRunaiServer

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("**/*.md"))]
EXAMPLES = [example for page in PAGES for example in find_examples(page)]
SCRIPTS = [example for example in EXAMPLES if "def test_" not in example.source]
PYTEST_EXAMPLES = [example for example in EXAMPLES if "def test_" in example.source]


def example_id(example: CodeExample) -> str:
    return f"{example.path.relative_to(ROOT)}:{example.start_line}"


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


# The printed values the pages claim in a comment that do not depend on timing or tokens.
CHECKED_CLAIMS = (
    "200",
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


def checked_claims(source: str) -> list[str]:
    """What an example's comments say it prints, of the claims checked here."""
    # [ \t], not \s: a print without a comment must not claim the next line's comment.
    claims = re.findall(r"print\(.*\)[ \t]+#[ \t]*(\S.*)$", source, re.MULTILINE)
    return [claim for claim in claims if claim in CHECKED_CLAIMS]


@pytest.mark.parametrize("example", SCRIPTS, ids=example_id)
def test_example_runs(
    example: CodeExample,
    demo_server: FakeRunaiServer,
    eval_example: EvalExample,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pytest-examples runs the example as __main__ and leaves it there: put ours back after.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    eval_example.run(example)
    printed = capsys.readouterr().out
    assert printed.strip(), "every example prints what it shows"
    assert "Traceback" not in printed
    for secret in (DEMO_CLIENT[1], DEMO_APP[1], DEMO_USER[1]):
        assert secret not in printed
    # Where an example says in a comment what it prints, it prints that.
    for claim in checked_claims(example.source):
        assert claim in printed


def test_every_checked_claim_is_on_a_page() -> None:
    claimed = {claim for example in SCRIPTS for claim in checked_claims(example.source)}
    assert claimed == set(CHECKED_CLAIMS), "a claim listed here is no longer on any page"


def test_the_claims_are_read_from_print_comments_only() -> None:
    source = "x = 1  # 200\nprint(x)\n# 401 Unauthorized\nprint(x)  # True 3\n"
    assert checked_claims(source) == ["True 3"]


# The modules whose public names (their __all__) the pages show: the package and the
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
def test_the_pages_have_examples_for_every_public_name(module_name: str) -> None:
    module = importlib.import_module(module_name)
    public = getattr(module, "__all__", None)
    assert public, f"{module_name} declares no __all__: say which names are public"
    used = names_in_code([example.source for example in EXAMPLES])
    missing = [name for name in public if name not in used]
    assert missing == [], f"no python example in README.md or docs/ uses {module_name}: {missing}"


def test_the_public_name_check_reads_code_not_prose() -> None:
    block = "# TokenAuth in a comment\nfrom x import RetryPolicy as P\nprint(a.Counts, 'Gate')\n"
    assert names_in_code([block]) == {"print", "a", "Counts"}


def test_examples_are_found_in_the_readme_and_the_docs() -> None:
    pages = {example.path for example in EXAMPLES}
    assert README in pages
    assert ROOT / "docs" / "test-kit.md" in pages
    # The main use comes first: connect(), TokenAuth and default_credentials() in the first
    # 60 lines of the README.
    first = [example for example in EXAMPLES if example.path == README and example.end_line <= 60]
    assert {"connect", "TokenAuth", "default_credentials"} <= names_in_code(
        [example.source for example in first]
    )


def test_pytest_plugin_example(pytester: pytest.Pytester) -> None:
    assert len(PYTEST_EXAMPLES) == 1
    pytester.makepyfile(test_my_pipeline=PYTEST_EXAMPLES[0].source)
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


def test_the_readme_stays_short() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= 300, f"README.md has {lines} lines: move detail to docs/"


def test_the_readme_links_to_pages_that_exist() -> None:
    """mkdocs --strict checks the links inside docs/; the README's own links are checked here."""
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", text)
    assert targets, "the README links to the docs"
    missing = [target for target in targets if not (ROOT / target).is_file()]
    assert missing == []


# The API reference (docs/reference.md) renders these modules' public names with mkdocstrings,
# which reads the source with griffe and silently leaves out a name it cannot follow to its
# definition. mkdocs.yml preloads the generated package, as this test does.
REFERENCE_MODULES = ("runai_tokens", "runai_tokens.retry", "runai_tokens.testing")


@pytest.fixture(scope="module")
def griffe_loader() -> griffe.GriffeLoader:
    """The package as mkdocstrings sees it: read from source, aliases followed."""
    loader = griffe.GriffeLoader(search_paths=[ROOT / "overrides", ROOT / "generated"])
    loader.load("runai_tokens_client")
    loader.load("runai_tokens")
    loader.resolve_aliases(implicit=False, external=None)
    return loader


@pytest.mark.parametrize("module_name", REFERENCE_MODULES)
def test_the_api_reference_finds_every_public_name(
    module_name: str, griffe_loader: griffe.GriffeLoader
) -> None:
    documented = griffe_loader.modules_collection[module_name]
    lost = []
    for name in importlib.import_module(module_name).__all__:
        try:
            member = documented.members[name]
            if member.is_alias:
                member.final_target  # noqa: B018  (following the alias is the check)
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError) as exc:
            lost.append(f"{name}: {type(exc).__name__}")
    assert lost == [], f"the API reference would leave out {lost}"
