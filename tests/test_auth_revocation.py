"""Revocation: a token the API accepted and then refuses is replaced at once, with one grant.

Against FakeRunaiServer over loopback, with TokenAuth on a FakeClock that never moves unless a
test says so: every revocation below happens inside one rejection cooldown, so a client that
held the revoked token through the cooldown would hand 401s to its callers. Counts, not timings.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from runai_tokens import ClientCredentials, TokenAuth
from runai_tokens._generated import GRANT_V2_PATH
from runai_tokens.auth._keeper import REJECTION_COOLDOWN, REJECTION_JITTER
from runai_tokens.testing import PROTECTED_PATH, FakeRunaiServer

from tests.helpers.clock import FakeClock

CLIENT, SECRET = "fake-ci", "fake-secret-revocation"
LONGEST_COOLDOWN = REJECTION_COOLDOWN + REJECTION_JITTER
THREADS, ROUNDS = 8, 5


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as running:
        running.add_client(CLIENT, SECRET)
        yield running


@pytest.fixture
def auth(server: FakeRunaiServer) -> Iterator[TokenAuth]:
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, SECRET), clock=FakeClock())
    yield auth
    auth.close()


def test_each_revocation_costs_one_grant_and_no_401(
    server: FakeRunaiServer, auth: TokenAuth
) -> None:
    with httpx.Client(base_url=server.url, auth=auth) as client:
        assert client.get(PROTECTED_PATH).status_code == 200
        for _ in range(ROUNDS):
            server.revoke_all()
            assert client.get(PROTECTED_PATH).status_code == 200
    assert server.count(GRANT_V2_PATH) == 1 + ROUNDS
    assert server.counts.unknown == ROUNDS  # one 401 per revocation, each replayed


def test_threads_share_one_grant_per_revocation_and_none_gets_a_401(
    server: FakeRunaiServer, auth: TokenAuth
) -> None:
    barrier = threading.Barrier(THREADS)
    with httpx.Client(base_url=server.url, auth=auth) as client:
        assert client.get(PROTECTED_PATH).status_code == 200

        def call(_: int) -> int:
            barrier.wait()
            return client.get(PROTECTED_PATH).status_code

        with ThreadPoolExecutor(THREADS) as pool:
            for _ in range(ROUNDS):
                server.revoke_all()
                assert list(pool.map(call, range(THREADS))) == [200] * THREADS
    assert server.count(GRANT_V2_PATH) == 1 + ROUNDS


@pytest.mark.anyio
async def test_tasks_share_one_grant_per_revocation_and_none_gets_a_401(
    server: FakeRunaiServer, auth: TokenAuth
) -> None:
    async with httpx.AsyncClient(base_url=server.url, auth=auth) as client:
        assert (await client.get(PROTECTED_PATH)).status_code == 200
        for _ in range(ROUNDS):
            server.revoke_all()
            calls = [client.get(PROTECTED_PATH) for _ in range(THREADS)]
            statuses = [r.status_code for r in await asyncio.gather(*calls)]
            assert statuses == [200] * THREADS
    assert server.count(GRANT_V2_PATH) == 1 + ROUNDS
    await auth.aclose()


def test_a_late_401_for_a_replaced_token_replays_with_the_new_one(
    server: FakeRunaiServer, auth: TokenAuth
) -> None:
    """Two requests carry the token when it is revoked; the second 401 comes back after the
    first caller has replaced it. The flows are driven by hand to fix that order."""
    with httpx.Client(base_url=server.url) as plain:
        assert plain.get(PROTECTED_PATH, auth=auth).status_code == 200
        early = auth.sync_auth_flow(plain.build_request("GET", PROTECTED_PATH))
        late = auth.sync_auth_flow(plain.build_request("GET", PROTECTED_PATH))
        late_request = next(late)
        early_request = next(early)
        assert late_request.headers["Authorization"] == early_request.headers["Authorization"]
        server.revoke_all()
        replay = early.send(plain.send(early_request))  # the first 401: one grant
        with pytest.raises(StopIteration):
            early.send(plain.send(replay))
        late_replay = late.send(plain.send(late_request))  # the late 401: no grant
        assert late_replay.headers["Authorization"] == replay.headers["Authorization"]
        assert plain.send(late_replay).status_code == 200
    assert server.count(GRANT_V2_PATH) == 2


def test_a_token_refused_before_it_was_ever_accepted_is_replaced_once_per_cooldown(
    server: FakeRunaiServer,
) -> None:
    """An API that refuses every token: the first token is replaced once, and its replacement
    is refused too; from then on 401s go to the callers until the cooldown ends."""
    clock = FakeClock()
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, SECRET), clock=clock)
    server.fail_next(1000, 401, path=PROTECTED_PATH)
    barrier = threading.Barrier(THREADS)
    with httpx.Client(base_url=server.url, auth=auth) as client:

        def call(_: int) -> int:
            barrier.wait()
            return client.get(PROTECTED_PATH).status_code

        with ThreadPoolExecutor(THREADS) as pool:
            for _ in range(ROUNDS):
                assert list(pool.map(call, range(THREADS))) == [401] * THREADS
                clock.advance(REJECTION_COOLDOWN / 10)
            assert server.count(GRANT_V2_PATH) == 2  # the first token, and its one replacement
            clock.advance(LONGEST_COOLDOWN)
            assert list(pool.map(call, range(THREADS))) == [401] * THREADS
    assert server.count(GRANT_V2_PATH) == 3  # one more after the cooldown, not one per caller
    auth.close()


def test_a_cooldown_holds_even_for_a_token_accepted_since_it_began(
    server: FakeRunaiServer,
) -> None:
    """A refusal of a never-accepted token is what an API that refuses every token looks like;
    an answer from an endpoint that ignores tokens would then make each new token look accepted.
    So while the cooldown runs, no 401 costs a grant; once it ends, a revocation does again."""
    clock = FakeClock()
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, SECRET), clock=clock)
    with httpx.Client(base_url=server.url, auth=auth) as client:
        server.fail_next(1, 401, path=PROTECTED_PATH)  # the first token, never accepted
        assert client.get(PROTECTED_PATH).status_code == 200  # replaced, and replayed
        assert server.count(GRANT_V2_PATH) == 2
        server.revoke_all()  # the replacement, accepted, is revoked inside the cooldown
        assert client.get(PROTECTED_PATH).status_code == 401
        assert server.count(GRANT_V2_PATH) == 2
        clock.advance(LONGEST_COOLDOWN)
        assert client.get(PROTECTED_PATH).status_code == 200
        assert server.count(GRANT_V2_PATH) == 3
        server.revoke_all()  # accepted, and no cooldown running: replaced at once
        assert client.get(PROTECTED_PATH).status_code == 200
        assert server.count(GRANT_V2_PATH) == 4
    auth.close()


@pytest.mark.parametrize("first", [200, 403, 404, 500])
def test_only_a_2xx_answer_counts_as_accepted(server: FakeRunaiServer, first: int) -> None:
    """A 403, 404 or 5xx may come from something in front of the API that never looked at the
    token: a token that only ever got such answers starts a cooldown when it is refused."""
    clock = FakeClock()
    auth = TokenAuth(server.url, ClientCredentials(CLIENT, SECRET), clock=clock)
    with httpx.Client(base_url=server.url, auth=auth) as client:
        if first != 200:
            server.fail_next(1, first, path=PROTECTED_PATH)
        assert client.get(PROTECTED_PATH).status_code == first
        server.fail_next(2, 401, path=PROTECTED_PATH)  # a refusal, and its replay's
        assert client.get(PROTECTED_PATH).status_code == 401
        assert server.count(GRANT_V2_PATH) == 2  # replaced either way: the first refusal
        server.fail_next(1, 401, path=PROTECTED_PATH)  # the replacement, never accepted
        accepted = first < 300
        assert client.get(PROTECTED_PATH).status_code == (200 if accepted else 401)
        # Accepted: no cooldown runs, so the replacement's refusal replaces it in turn.
        assert server.count(GRANT_V2_PATH) == (3 if accepted else 2)
    auth.close()


def test_a_2xx_reached_through_a_redirect_does_not_count_as_accepted(
    server: FakeRunaiServer,
) -> None:
    """httpx drops the token when a redirect leaves the origin, so the 2xx at the end of one
    says nothing about the token. The API here is a narrow stand-in (MockTransport) that
    redirects one path elsewhere and refuses every token; grants come from the fake server."""

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"Location": "http://127.0.0.2/elsewhere"})
        if request.url.host == "127.0.0.2":
            return httpx.Response(200)
        return httpx.Response(401)

    auth = TokenAuth(server.url, ClientCredentials(CLIENT, SECRET), clock=FakeClock())
    transport = httpx.MockTransport(api)
    with httpx.Client(base_url=server.url, auth=auth, transport=transport) as client:
        assert client.get("/moved", follow_redirects=True).status_code == 200
        for _ in range(3):
            assert client.get(PROTECTED_PATH).status_code == 401
    assert server.count(GRANT_V2_PATH) == 2  # never accepted: one replacement, then a cooldown
    auth.close()
