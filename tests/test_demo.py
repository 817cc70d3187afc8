"""`make demo` end to end: it runs, says what it should, shows no whole token, and exits 0.

The demo waits 2 s for real (a token expiring on the server's clock): the one test in the suite
allowed that, because proving expiry against a real server is the point of that step.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from runai_tokens import demo

from tools import demo_venv

ROOT = Path(__file__).resolve().parent.parent


def demo_command() -> list[str]:
    """`make demo` when its venv is set up (make would not reinstall), else the module itself."""
    make = shutil.which("make")
    if make is not None and (ROOT / "Makefile").is_file():
        up_to_date = subprocess.run(
            [make, "-q", "-C", str(ROOT), ".venv-demo/.installed"], capture_output=True, check=False
        )
        if up_to_date.returncode == 0:
            return [make, "-s", "-C", str(ROOT), "demo"]
    return [sys.executable, "-m", "runai_tokens.demo"]


def test_make_demo() -> None:
    result = subprocess.run(
        demo_command(), capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = out.splitlines()
    assert re.match(r"runai-tokens demo: .* on http://127\.0\.0\.1:\d+$", lines[0])
    for expected in (
        "$ runai-token get",
        "$ runai-token get --grant app",
        "$ runai-token get --grant password --username demo-user --password-file -",
        "$ runai-token get --output exec-credential",
        "(from the cache: the server saw no request)",
        "grant_token (client_credentials)",
        "app_token (deprecated)",
        "exchange_code_for_token (deprecated)",
        "refresh_token (deprecated)",
        "GET /api/v1/whoami -> 200",
        "by hand -> 401 (expired)",
        "(fetched anew)",
        "after 3 attempts (503, 503, 200)",
    ):
        assert expected in out, expected
    assert lines[-1] == "Server stopped. Demo OK."
    # Step headings in order.
    headings = [line for line in lines if re.match(r"\d\. ", line)]
    assert [h[:2] for h in headings] == ["1.", "2.", "3.", "4."]
    # Tokens only ever abbreviated: no JWT-shaped run of characters, no demo secret.
    assert not re.search(r"eyJ[\w-]{20,}\.[\w-]{10,}", out)
    for secret in (demo.CLIENT_SECRET, demo.APP_SECRET, demo.PASSWORD, demo.CODE):
        assert secret not in out
        assert secret not in result.stderr
    assert result.stderr == ""


def test_demo_failure_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_step(server: object) -> None:
        raise demo.DemoError("the server answered [500]")

    monkeypatch.setattr(demo, "cli_steps", lambda server, cache: None)
    monkeypatch.setattr(demo, "operations_step", broken_step)
    assert demo.main() == 1
    captured = capsys.readouterr()
    assert captured.err == "demo failed: the server answered [500]\n"
    assert "Demo OK" not in captured.out


def test_short_shows_twelve_characters_of_a_token() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    assert demo.short(token) == "eyJhbG…dHVyZQ"
    with pytest.raises(demo.DemoError):
        demo.short("short")


def test_the_demo_venv_gets_the_package_requirements_and_testing_extra_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = demo_venv.requirements(ROOT / "pyproject.toml")
    assert wanted == project["dependencies"] + project["optional-dependencies"]["testing"]
    names = {
        re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower() for requirement in wanted
    }
    assert {"httpx", "attrs", "python-dateutil", "pyyaml", "jsonschema"} <= names
    assert names.isdisjoint({"openapi-python-client", "mypy", "ruff", "hypothesis", "build"})
