"""A refused grant is not hammered, and a forked child never waits on its parent's flight.

Against FakeRunaiServer over loopback, with TokenAuth on a fake clock: counts, not timings.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from runai_tokens import ClientCredentials, TokenAuth
from runai_tokens._generated import GRANT_V2_PATH
from runai_tokens.auth._keeper import REJECTION_COOLDOWN, REJECTION_JITTER
from runai_tokens.errors import ApiException
from runai_tokens.testing import PROTECTED_PATH, FakeRunaiServer

from tests.helpers.clock import FakeClock

CLIENT, SECRET = "fake-ci", "fake-secret-rejection"
LONGEST_COOLDOWN = REJECTION_COOLDOWN + REJECTION_JITTER


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as running:
        running.add_client(CLIENT, SECRET)
        yield running


def test_rejected_credentials_cost_one_grant_per_cooldown_whatever_the_callers(
    server: FakeRunaiServer,
) -> None:
    clock = FakeClock()
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, "fake-secret-WRONG"), clock=clock)

    def get(_: int) -> int | None:
        try:
            auth.get_token()
        except ApiException as exc:
            return exc.status
        return None

    with ThreadPoolExecutor(8) as pool:
        for _ in range(5):  # eight callers, five rounds, inside one cooldown
            assert list(pool.map(get, range(8))) == [401] * 8
            clock.advance(REJECTION_COOLDOWN / 10)
        assert server.count(GRANT_V2_PATH) == 1
        clock.advance(LONGEST_COOLDOWN)
        assert list(pool.map(get, range(8))) == [401] * 8
    assert server.count(GRANT_V2_PATH) == 2  # one more after the cooldown, not 8 more
    auth.close()


def test_the_remembered_rejection_says_what_the_server_said(server: FakeRunaiServer) -> None:
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, "fake-secret-WRONG"))
    with pytest.raises(ApiException) as first:
        auth.get_token()
    with pytest.raises(ApiException) as again:
        auth.get_token()
    assert again.value is not first.value  # a fresh object per raise: tracebacks never mix
    assert (again.value.status, str(again.value)) == (first.value.status, str(first.value))
    assert again.value.oauth2_error == "invalid_client"
    auth.close()


def test_a_server_that_refuses_every_token_is_not_re_granted_per_request(
    server: FakeRunaiServer,
) -> None:
    clock = FakeClock()
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, SECRET), clock=clock)
    with httpx.Client(base_url=server.url, auth=auth) as client:
        assert client.get(PROTECTED_PATH).status_code == 200
        server.revoke_all()  # the first 401 is a revocation: one grant and a replay
        assert client.get(PROTECTED_PATH).status_code == 200
        assert server.count(GRANT_V2_PATH) == 2
        # Now every token is refused (a misconfigured gateway in front, say): the accepted
        # token is replaced once, its replacement is refused before it is ever accepted.
        server.fail_next(1000, 401, path=PROTECTED_PATH)
        for _ in range(10):
            assert client.get(PROTECTED_PATH).status_code == 401
        assert server.count(GRANT_V2_PATH) == 4  # no grant per request within the cooldown
        clock.advance(LONGEST_COOLDOWN)
        assert client.get(PROTECTED_PATH).status_code == 401
        assert server.count(GRANT_V2_PATH) == 5  # after it, one more try
    auth.close()


def test_concurrent_401s_with_one_revoked_token_share_one_grant(server: FakeRunaiServer) -> None:
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, SECRET))
    barrier = threading.Barrier(16)
    with httpx.Client(base_url=server.url, auth=auth) as client:
        assert client.get(PROTECTED_PATH).status_code == 200
        server.revoke_all()

        def call(_: int) -> int:
            barrier.wait()
            return client.get(PROTECTED_PATH).status_code

        with ThreadPoolExecutor(16) as pool:
            assert list(pool.map(call, range(16))) == [200] * 16
    assert server.count(GRANT_V2_PATH) == 2
    auth.close()


def test_a_forked_child_does_not_wait_on_the_parents_flight(server: FakeRunaiServer) -> None:
    """Fork while a grant is in flight: the child starts clean and gets its own token."""
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, SECRET))
    server.delay_next(1, 2.0, path=GRANT_V2_PATH)  # the parent's grant hangs on the wire
    parent = threading.Thread(target=auth.get_token, daemon=True)
    parent.start()
    while server.count(GRANT_V2_PATH) == 0:  # the flight has begun
        threading.Event().wait(0.005)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one thread, the parent's flight is not ours
        os.close(read)
        try:
            ok = bool(auth.get_token())
        except BaseException:
            ok = False
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    assert answer == b"1"
    parent.join()
    auth.close()
