"""Shared pytest configuration. Async tests use anyio's plugin (it ships with httpx) on asyncio."""

import os
import socket

import pytest
from hypothesis import settings

# The helpers assert too: rewritten like the tests, their failures show the values compared.
pytest.register_assert_rewrite("tests.helpers")

# In CI, hypothesis draws the same examples every run: a red build is then reproducible, never a
# roll of the dice. Locally it keeps exploring new ones. Neither has a per-example deadline: that
# is a wall-clock threshold (200 ms by default), which a loaded machine misses by chance.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("local", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def no_personal_sessions(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """connect() and the CLI look for a person's sessions by themselves: never the real ones of
    whoever runs the tests. A test that wants one points these at its own directory.

    The cache directory (the token cache and `runai-token login`'s store) is a fresh one, and
    keyring's null backend stands in for the OS keyring, so a store on "auto" uses the file and
    no test can read or write the keyring of whoever runs it (keyring tests set their own
    in-memory backend with keyring.set_keyring())."""
    monkeypatch.setenv("RUNAI_CLI_CONFIG_PATH", str(tmp_path_factory.mktemp("no-runai-cli")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound and released: free until someone takes it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
