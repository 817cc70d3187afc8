"""Single-flight: threads and asyncio tasks needing a token at once cause exactly one request.

No test here sleeps or times anything. The token server holds grants at a gate (hold_grants) that
the test opens only once every caller is waiting for the flight: a thread parked in its wait
(tests/helpers/parked.py), or an asyncio task that has taken its first step. Time, where it
matters, is a FakeClock shared by TokenAuth and the server.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from runai_tokens.auth import TokenAuth
from runai_tokens.auth._keeper import REJECTION_COOLDOWN, REJECTION_JITTER
from runai_tokens.credentials import ClientCredentials
from runai_tokens.errors import ApiException
from runai_tokens.testing import PROTECTED_PATH, Reply

from tests.helpers.clock import FakeClock
from tests.helpers.fake import CLIENT_ID, CLIENT_SECRET, token_server
from tests.helpers.parked import HANG_GUARD, wait_until_parked

CREDENTIALS = ClientCredentials(CLIENT_ID, CLIENT_SECRET)


def started(n: int, target: Callable[[], object]) -> list[threading.Thread]:
    threads = [threading.Thread(target=target) for _ in range(n)]
    for thread in threads:
        thread.start()
    return threads


def join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(HANG_GUARD)
    assert not any(thread.is_alive() for thread in threads)


def test_64_threads_on_a_cold_cache_make_one_token_request() -> None:
    with token_server() as server:
        gate = server.hold_grants(timeout=HANG_GUARD)
        auth = TokenAuth(server.url, CREDENTIALS)
        tokens: list[str] = []
        threads = started(64, lambda: tokens.append(auth.get_token()))
        # One thread's request is held at the server until the other 63 wait for it.
        assert gate.arrived.wait(HANG_GUARD)
        wait_until_parked(threads, 63)
        gate.open()
        join(threads)
        auth.close()
    assert server.token_requests == 1
    assert len(tokens) == 64
    assert len(set(tokens)) == 1


@pytest.mark.anyio
async def test_64_asyncio_tasks_on_a_cold_cache_make_one_token_request() -> None:
    with token_server() as server:
        gate = server.hold_grants(timeout=HANG_GUARD)
        auth = TokenAuth(server.url, CREDENTIALS)
        tasks = [asyncio.create_task(auth.aget_token()) for _ in range(64)]
        # By the time the leader's request reaches the server, every task has taken its first
        # step, and so has joined the flight; the request is held until then anyway.
        assert await asyncio.to_thread(gate.arrived.wait, HANG_GUARD)
        gate.open()
        tokens = await asyncio.gather(*tasks)
        await auth.aclose()
    assert server.token_requests == 1
    assert len(set(tokens)) == 1


def test_threads_and_tasks_on_several_event_loops_share_one_flight() -> None:
    with token_server() as server:
        gate = server.hold_grants(timeout=HANG_GUARD)
        auth = TokenAuth(server.url, CREDENTIALS)
        tokens: list[str] = []
        joined = threading.Semaphore(0)

        async def tasks() -> list[str]:
            mine = [asyncio.create_task(auth.aget_token()) for _ in range(8)]
            await asyncio.sleep(0)  # each task takes its first step: it leads or joins
            joined.release()
            return list(await asyncio.gather(*mine))

        loops = started(4, lambda: tokens.extend(asyncio.run(tasks())))
        plain = started(4, lambda: tokens.append(auth.get_token()))
        assert gate.arrived.wait(HANG_GUARD)
        for _ in loops:
            assert joined.acquire(timeout=HANG_GUARD)
        wait_until_parked(plain, 3)  # all four, unless one of them leads
        gate.open()
        join(loops + plain)
    assert server.token_requests == 1
    assert len(tokens) == 4 * 8 + 4
    assert len(set(tokens)) == 1


def test_waiters_get_the_leaders_exception_and_the_next_caller_tries_again() -> None:
    with token_server() as server:
        server.script_grants(
            Reply.json(401, {"error": "invalid_client", "error_description": "invalid client"})
        )
        gate = server.hold_grants(timeout=HANG_GUARD)
        clock = FakeClock()
        auth = TokenAuth(server.url, CREDENTIALS, clock=clock)
        outcomes: list[str | ApiException] = []

        def get() -> None:
            try:
                outcomes.append(auth.get_token())
            except ApiException as exc:
                outcomes.append(exc)

        threads = started(16, get)
        assert gate.arrived.wait(HANG_GUARD)
        wait_until_parked(threads, 15)  # every other caller waits on the one failing request
        gate.open()
        join(threads)
        assert server.token_requests == 1
        assert len(outcomes) == 16
        assert all(isinstance(o, ApiException) and o.status == 401 for o in outcomes)
        with pytest.raises(ApiException):  # the rejection is remembered for a few seconds
            auth.get_token()
        assert server.token_requests == 1
        clock.advance(REJECTION_COOLDOWN + REJECTION_JITTER)
        assert auth.get_token()
        assert server.token_requests == 2


@pytest.mark.anyio
async def test_a_cancelled_async_leader_does_not_strand_its_waiters() -> None:
    with token_server() as server:
        gate = server.hold_grants(timeout=HANG_GUARD)
        auth = TokenAuth(server.url, CREDENTIALS)
        leader = asyncio.create_task(auth.aget_token())
        assert await asyncio.to_thread(gate.arrived.wait, HANG_GUARD)  # on the wire, held
        waiters = [asyncio.create_task(auth.aget_token()) for _ in range(3)]
        in_thread: list[str] = []
        (thread,) = started(1, lambda: in_thread.append(auth.get_token()))
        await asyncio.sleep(0)  # the waiting tasks take their first step: they join
        await asyncio.to_thread(wait_until_parked, [thread])
        leader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leader
        gate.open()  # the abandoned request, and the one a waiter now leads
        tokens = await asyncio.wait_for(asyncio.gather(*waiters), timeout=HANG_GUARD)
        await asyncio.to_thread(join, [thread])
        await auth.aclose()
    assert len(set(tokens + in_thread)) == 1
    assert len(in_thread) == 1
    assert server.token_requests == 2  # the abandoned one, and one more for all the waiters


@pytest.mark.anyio
async def test_a_cancelled_waiter_does_not_cancel_the_flight() -> None:
    with token_server() as server:
        gate = server.hold_grants(timeout=HANG_GUARD)
        auth = TokenAuth(server.url, CREDENTIALS)
        leader = asyncio.create_task(auth.aget_token())
        assert await asyncio.to_thread(gate.arrived.wait, HANG_GUARD)
        waiter = asyncio.create_task(auth.aget_token())
        other = asyncio.create_task(auth.aget_token())
        await asyncio.sleep(0)  # both join the flight, still held at the server
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        gate.open()
        token = await leader
        assert await other == token
        await auth.aclose()
    assert server.token_requests == 1


def test_one_auth_on_successive_event_loops() -> None:
    clock = FakeClock()
    with token_server() as server:
        auth = TokenAuth(server.url, CREDENTIALS, clock=clock)
        first = asyncio.run(auth.aget_token())
        clock.advance(4000)  # past expiry: the second loop must fetch with a client of its own
        second = asyncio.run(auth.aget_token())
    assert first != second
    assert server.token_requests == 2


def test_during_an_early_refresh_only_the_leader_waits() -> None:
    clock = FakeClock()
    with token_server(clock=clock) as server:
        auth = TokenAuth(server.url, CREDENTIALS, clock=clock, random=lambda: 0.0)
        old = auth.get_token()
        clock.advance(3600 - 360 + 1)  # inside the refresh margin, well before the 30 s floor
        gate = server.hold_grants(timeout=HANG_GUARD)
        got: queue.SimpleQueue[str] = queue.SimpleQueue()
        threads = started(8, lambda: got.put(auth.get_token()))
        # The refresh stays held at the server while the seven others get their answer.
        others = [got.get(timeout=HANG_GUARD) for _ in range(7)]
        assert others == [old] * 7
        assert gate.arrived.wait(HANG_GUARD)  # the leader's refresh, held at the server
        gate.open()
        new = got.get(timeout=HANG_GUARD)
        join(threads)
    assert new != old
    assert server.token_requests == 2


# (seconds since the first token, token requests that phase): tokens live 1 s; with random=1.0
# one is refreshed early from 0.8 s on (one caller refreshes, the others keep using it) and is
# stale from 0.9 s on (everyone waits for one refresh).
PHASES = [
    (0.0, 1),  # cold: token 1
    (0.5, 0),
    (0.85, 1),  # early refresh of token 1: token 2, issued at 0.85
    (1.25, 0),
    (1.7, 1),  # early refresh of token 2 (due 1.65, stale 1.75): token 3, issued at 1.7
    (2.65, 1),  # token 3 is stale (2.6) though not yet expired (2.7): token 4
    (5.0, 1),  # token 4 expired long ago: token 5
    (5.5, 0),
]
THREADS, CALLS = 16, 3


def hammer(client: httpx.Client) -> Counter[int]:
    """THREADS threads, let go at once, make CALLS calls each: the statuses they got."""
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    statuses: Counter[int] = Counter()

    def calls() -> None:
        barrier.wait()
        mine = Counter(client.get(PROTECTED_PATH).status_code for _ in range(CALLS))
        with lock:
            statuses.update(mine)

    join(started(THREADS, calls))
    return statuses


def test_16_threads_with_1_second_tokens_never_see_a_401() -> None:
    clock = FakeClock()
    start = clock.now
    with token_server(lifetime=1.0, clock=clock) as server:
        auth = TokenAuth(server.url, CREDENTIALS, clock=clock, random=lambda: 1.0)
        statuses: Counter[int] = Counter()
        with httpx.Client(base_url=server.url, auth=auth) as client:
            for offset, _ in PHASES:
                clock.now = start + offset  # and stays there for the phase: its outcome is exact
                statuses += hammer(client)
        auth.close()
    calls = len(PHASES) * THREADS * CALLS
    assert statuses == {200: calls}
    # The server never saw an expired token either: a 401 would have been replayed, unseen above.
    assert server.count(PROTECTED_PATH) == calls
    assert server.token_requests == sum(requests for _, requests in PHASES)


@pytest.mark.anyio
async def test_a_blocking_wait_on_the_loop_of_the_fetching_task_fails_instead_of_deadlocking() -> (
    None
):
    with token_server() as server:
        gate = server.hold_grants(timeout=HANG_GUARD)
        auth = TokenAuth(server.url, CREDENTIALS)
        leader = asyncio.create_task(auth.aget_token())
        assert await asyncio.to_thread(gate.arrived.wait, HANG_GUARD)  # in flight, held
        with pytest.raises(RuntimeError, match="deadlock"):
            auth.get_token()
        gate.open()
        assert await leader
        assert auth.get_token() == await leader  # no flight now: the blocking call is fine
        await auth.aclose()
        auth.close()
    assert server.token_requests == 1
