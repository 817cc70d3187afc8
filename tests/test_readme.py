"""Every Python example in README.md runs, as written, against a FakeRunaiServer.

The examples read RUNAI_* variables the way a user's code would; here they point at a fake
control plane with the demo accounts `runai-token serve` registers. A README example that stops
working (a renamed parameter, a wrong claim in a comment's printed value) fails this test.
"""

from __future__ import annotations

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


def test_the_readme_has_examples_for_every_public_name() -> None:
    import runai_tokens

    text = "".join(BLOCKS)
    missing = [name for name in runai_tokens.__all__ if name not in text]
    assert missing == []
    assert len(PYTEST_EXAMPLES) == 1


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
CHECKED_CLAIMS = ("True 3", "401 Unauthorized", "502 Bad Gateway None")


def test_claimed_outputs_are_true(
    demo_server: FakeRunaiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where an example says in a comment what it prints, it prints that."""
    for script in SCRIPTS:
        claims = re.findall(r"print\(.*\)\s+#\s*(\S.*)$", script, re.MULTILINE)
        checked = [claim for claim in claims if claim in CHECKED_CLAIMS]
        if not checked:
            continue
        exec(compile(script, str(README), "exec"), {"__name__": "__readme__"})  # noqa: S102
        printed = capsys.readouterr().out
        for claim in checked:
            assert claim in printed


def test_pytest_plugin_example(pytester: pytest.Pytester) -> None:
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
