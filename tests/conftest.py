"""Shared pytest configuration. Async tests use anyio's plugin (it ships with httpx) on asyncio."""

import os

import pytest
from hypothesis import settings

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
    whoever runs the tests. A test that wants one points these at its own directory."""
    monkeypatch.setenv("RUNAI_CLI_CONFIG_PATH", str(tmp_path_factory.mktemp("no-runai-cli")))
