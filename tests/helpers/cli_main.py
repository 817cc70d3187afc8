"""runai-token's main() called in process, as the in-process CLI tests call it, with a
FakeRunaiServer (in this process too) that knows the CLI tests' client."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from runai_tokens import cli
from runai_tokens.testing import FakeRunaiServer

from tests.helpers.cli import CLIENT_ID, CLIENT_SECRET, SECRETS


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as fake:
        fake.add_client(CLIENT_ID, CLIENT_SECRET)
        yield fake


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def run(*argv: str, env: dict[str, str], cache: Path | None = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    args = [*argv] if cache is None else [*argv, "--cache-dir", str(cache)]
    code = cli.main(args, environ=env, stdout=out, stderr=err)
    result = Run(code, out.getvalue(), err.getvalue())
    for secret in SECRETS:
        assert secret not in result.out
        assert secret not in result.err
    if code != 0:
        assert result.out == ""
        assert result.err.startswith("runai-token: ")
        assert result.err.count("\n") == 1
    return result


def env_for(server: FakeRunaiServer, **extra: str) -> dict[str, str]:
    # Where get looks for a person's sessions: the empty directories conftest made, never the
    # real ones of whoever runs the tests.
    env = {
        "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
        "RUNAI_CLI_CONFIG_PATH": os.environ["RUNAI_CLI_CONFIG_PATH"],
        "RUNAI_BASE_URL": server.url,
        "RUNAI_CLIENT_ID": CLIENT_ID,
        "RUNAI_CLIENT_SECRET": CLIENT_SECRET,
    }
    env.update(extra)
    return env
