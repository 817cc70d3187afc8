"""Each input is checked once, where it enters, and travels inward as an already-checked value.

The checks of _validate are wrapped in counting ones; a `runai-token get` (in process, against
FakeRunaiServer) and a connect() with one request each check every input they were given (the
base URL, the timeout, each credential field, RetryPolicy's settings...) exactly once. A check
that another check makes for itself (timeout() calling seconds(), say) is not counted.
"""

from __future__ import annotations

import inspect
import io
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from runai_tokens import ClientCredentials, _validate, connect
from runai_tokens.cli import main
from runai_tokens.testing import FakeRunaiServer

CLIENT_ID = "ci-client"
CLIENT_SECRET = "fake-secret-value"
CHECKS = (
    "base_url",
    "httpx_url",
    "insecure_http",
    "seconds",
    "timeout",
    "flag",
    "count",
    "statuses",
    "text",
    "proxy",
    "verify",
)
# One base URL and one timeout per run, whatever each place calls them (RUNAI_BASE_URL outside,
# base_url inside): counted as one input each.
_ONE_INPUT = {"base_url", "httpx_url", "insecure_http", "timeout"}


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """(check, the input) -> how many times it ran, outermost checks only."""
    counts: Counter[tuple[str, str]] = Counter()
    depth = [0]

    def counting(check: str, original: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(original)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if depth[0] == 0:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                name = "-" if check in _ONE_INPUT else bound.arguments["name"]
                counts[check, name] += 1
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1

        return wrapper

    for check in CHECKS:
        monkeypatch.setattr(_validate, check, counting(check, getattr(_validate, check)))
    return counts


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as fake:
        fake.add_client(CLIENT_ID, CLIENT_SECRET)
        yield fake


def test_a_cold_get_checks_each_input_once(
    server: FakeRunaiServer, tmp_path: Path, checks: Counter[tuple[str, str]]
) -> None:
    env = {
        "RUNAI_BASE_URL": server.url + "/",
        "RUNAI_CLIENT_ID": CLIENT_ID,
        "RUNAI_CLIENT_SECRET": CLIENT_SECRET,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        # Where get looks for a runai CLI session: conftest's empty directory, never the real one.
        "RUNAI_CLI_CONFIG_PATH": os.environ["RUNAI_CLI_CONFIG_PATH"],
    }
    stdout, stderr = io.StringIO(), io.StringIO()

    assert main(["get"], environ=env, stdout=stdout, stderr=stderr) == 0, stderr.getvalue()

    assert stdout.getvalue().strip()  # a token was minted, so the whole path ran
    assert checks["base_url", "-"] == 1
    assert checks["timeout", "-"] == 1
    assert checks["text", "ClientCredentials: client_id"] == 1
    assert checks["text", "ClientCredentials: client_secret"] == 1
    assert checks["seconds", "deadline"] == 1  # the CLI's RetryPolicy
    assert checks["httpx_url", "-"] == checks["insecure_http", "-"] == 1
    twice = {key: n for key, n in checks.items() if n != 1}
    assert twice == {}


def test_connect_and_a_request_check_each_input_once(
    server: FakeRunaiServer, checks: Counter[tuple[str, str]]
) -> None:
    credentials = ClientCredentials(CLIENT_ID, CLIENT_SECRET)
    with connect(server.url, credentials, timeout=10) as client:
        client.get_httpx_client().get("/api/v1/anything")

    assert server.count() == 2  # a grant, then the request with its token: the whole path ran
    assert checks["base_url", "-"] == 1
    assert checks["httpx_url", "-"] == 1
    assert checks["timeout", "-"] == 1
    assert checks["insecure_http", "-"] == 1
    assert checks["text", "ClientCredentials: client_id"] == 1
    # verify and proxy are checked again by each HTTPTransports the client and the grants are
    # built on (retry/'s public class checks its own arguments): left out here.
    twice = {key: n for key, n in checks.items() if n != 1 and key[0] not in ("verify", "proxy")}
    assert twice == {}
