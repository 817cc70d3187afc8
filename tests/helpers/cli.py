"""runai-token as the CLI tests run it: as a process (`python -m runai_tokens`), with a
FakeRunaiServer that knows the client, the app and the user below, and a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from runai_tokens.testing import FakeRunaiServer

CLIENT_ID = "cli-test-client"
CLIENT_SECRET = "fake-secret-cli-test-client"
APP_ID = "cli-test-app"
APP_SECRET = "fake-secret-cli-test-app"
USERNAME = "cli-test-user"
PASSWORD = "fake-password-cli-test-user"
SECRETS = (CLIENT_SECRET, APP_SECRET, PASSWORD)

# The console script's body; it lists sys.modules at exit.
GET = """
import sys
from runai_tokens.cli import main
code = main(sys.argv[1:])
sys.stderr.write(" ".join(sorted(sys.modules)))
sys.exit(code)
"""


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as fake:
        fake.add_client(CLIENT_ID, CLIENT_SECRET)
        fake.add_app(APP_ID, APP_SECRET)
        fake.add_user(USERNAME, PASSWORD)
        yield fake


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def cli_env(server_url: str, cache_dir: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no RUNAI_* or kubectl variables from the developer's shell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RUNAI_", "KUBERNETES_")) and k != "XDG_CACHE_HOME"
    }
    # Where get looks for a runai CLI session: conftest's empty directory, never the real one.
    env["RUNAI_CLI_CONFIG_PATH"] = os.environ["RUNAI_CLI_CONFIG_PATH"]
    env.update(
        RUNAI_BASE_URL=server_url,
        RUNAI_CLIENT_ID=CLIENT_ID,
        RUNAI_CLIENT_SECRET=CLIENT_SECRET,
        XDG_CACHE_HOME=str(cache_dir),
    )
    env.update(extra)
    return env


def run_cli(
    *args: str, env: Mapping[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "runai_tokens", *args],
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_no_secret(result)
    return result


def assert_no_secret(result: subprocess.CompletedProcess[str]) -> None:
    for secret in SECRETS:
        assert secret not in result.stdout
        assert secret not in result.stderr
