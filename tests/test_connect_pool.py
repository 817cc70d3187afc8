"""connect()'s connection pool: what it keeps alive, and what it loads once, over loopback.

A FakeRunaiServer counts the connections it accepts; its grant gate holds token requests until
the test has them all in flight at once, so the counts do not depend on timing.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
from runai_tokens import connect
from runai_tokens.testing import FakeRunaiServer

THREADS = 32
ROUNDS = 3
FORM = {"grant_type": "client_credentials", "client_id": "ci", "client_secret": "fake-secret-ci"}


def _grant(client: httpx.Client, statuses: list[int]) -> None:
    statuses.append(client.post("/api/v2/token", data=FORM).status_code)


def _rounds(server: FakeRunaiServer, client: httpx.Client) -> list[int]:
    """ROUNDS rounds of THREADS grants in flight at once through one client; each round's
    connections accepted so far."""
    accepted = []
    for _ in range(ROUNDS):
        gate = server.hold_grants()
        statuses: list[int] = []
        threads = [threading.Thread(target=_grant, args=(client, statuses)) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        try:
            assert gate.wait_held(THREADS), "the grants never were all in flight together"
        finally:
            gate.open()
            for thread in threads:
                thread.join(60)
        assert statuses == [200] * THREADS
        accepted.append(server.connections_accepted)
    return accepted


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer(version="2.24") as fake:
        fake.add_client("ci", "fake-secret-ci")
        yield fake


def test_threads_keep_their_connections_alive_with_limits(server: FakeRunaiServer) -> None:
    limits = httpx.Limits(max_connections=THREADS, max_keepalive_connections=THREADS)
    with connect(server.url, None, limits=limits) as client:
        accepted = _rounds(server, client.get_httpx_client())
    assert accepted == [THREADS] * ROUNDS  # opened once, then reused every round


def test_with_httpx_s_default_limits_the_connections_beyond_20_are_reopened(
    server: FakeRunaiServer,
) -> None:
    with connect(server.url, None) as client:
        accepted = _rounds(server, client.get_httpx_client())
    # 20 are kept alive; each round the other 12 are closed when done and opened again.
    assert accepted == [THREADS + (THREADS - 20) * n for n in range(ROUNDS)]


async def _async_rounds(server: FakeRunaiServer, client: httpx.AsyncClient) -> list[int]:
    """_rounds() with THREADS asyncio tasks."""
    accepted = []
    for _ in range(ROUNDS):
        gate = server.hold_grants()
        tasks = [
            asyncio.create_task(client.post("/api/v2/token", data=FORM)) for _ in range(THREADS)
        ]
        try:
            held = await asyncio.to_thread(gate.wait_held, THREADS)
            assert held, "the grants never were all in flight together"
        finally:
            gate.open()
            responses = await asyncio.gather(*tasks)
        assert [r.status_code for r in responses] == [200] * THREADS
        accepted.append(server.connections_accepted)
    return accepted


def test_async_tasks_keep_their_connections_alive_with_limits(server: FakeRunaiServer) -> None:
    limits = httpx.Limits(max_connections=THREADS, max_keepalive_connections=THREADS)

    async def run() -> list[int]:
        async with connect(server.url, None, limits=limits) as client:
            return await _async_rounds(server, client.get_async_httpx_client())

    assert asyncio.run(run()) == [THREADS] * ROUNDS


def test_limits_must_be_an_httpx_limits() -> None:
    with pytest.raises(TypeError, match=r"limits must be an httpx\.Limits, got dict"):
        connect("https://tenant.example", None, limits={"max_connections": 1})  # type: ignore[arg-type]


def test_a_first_call_over_plain_http_loads_the_ca_store_once() -> None:
    # The client's transport loads it (it may be pointed at an https URL); the grants', which
    # only ever reach the plain-http origin, does not load it a second time.
    program = """
import httpx._config, httpx._transports.default as default
from runai_tokens import ClientCredentials, connect
from runai_tokens.testing import FakeRunaiServer
loads = []
real = default.create_ssl_context
def counting(verify=True, cert=None, trust_env=True):
    if verify is True or isinstance(verify, str):
        loads.append(verify)
    return real(verify=verify, cert=cert, trust_env=trust_env)
default.create_ssl_context = counting
with FakeRunaiServer() as server:
    server.add_client("ci", "fake-secret-ci")
    client = connect(server.url, ClientCredentials("ci", "fake-secret-ci"))
    status = client.get_httpx_client().get(server.PROTECTED_PATH).status_code
print(status, len(loads))
"""
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.split() == ["200", "1"]
