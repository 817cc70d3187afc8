"""Single-flight: threads and asyncio tasks needing a token at once cause exactly one request."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from runai_tokens._keeper import REJECTION_COOLDOWN, REJECTION_JITTER
from runai_tokens.auth import TokenAuth
from runai_tokens.credentials import ClientCredentials
from runai_tokens.errors import ApiException

from tests.token_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROTECTED_PATH,
    FakeClock,
    envelope,
    token_server,
)

CREDENTIALS = ClientCredentials(CLIENT_ID, CLIENT_SECRET)


def test_64_threads_on_a_cold_cache_make_one_token_request() -> None:
    with token_server(token_delay=0.2) as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        barrier = threading.Barrier(64)

        def get() -> str:
            barrier.wait()
            return auth.get_token()

        with ThreadPoolExecutor(64) as pool:
            tokens = list(pool.map(lambda _: get(), range(64)))
        auth.close()
    assert server.token_requests == 1
    assert len(set(tokens)) == 1


@pytest.mark.anyio
async def test_64_asyncio_tasks_on_a_cold_cache_make_one_token_request() -> None:
    with token_server(token_delay=0.2) as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        tokens = await asyncio.gather(*(auth.aget_token() for _ in range(64)))
        await auth.aclose()
    assert server.token_requests == 1
    assert len(set(tokens)) == 1


def test_threads_and_tasks_on_several_event_loops_share_one_flight() -> None:
    with token_server(token_delay=0.2) as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        barrier = threading.Barrier(8)
        tokens: list[str] = []

        async def tasks() -> list[str]:
            return list(await asyncio.gather(*(auth.aget_token() for _ in range(8))))

        def on_a_loop() -> None:
            barrier.wait()
            tokens.extend(asyncio.run(tasks()))

        def in_a_thread() -> None:
            barrier.wait()
            tokens.append(auth.get_token())

        threads = [threading.Thread(target=on_a_loop) for _ in range(4)]
        threads += [threading.Thread(target=in_a_thread) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert server.token_requests == 1
    assert len(tokens) == 4 * 8 + 4
    assert len(set(tokens)) == 1


def test_waiters_get_the_leaders_exception_and_the_next_caller_tries_again() -> None:
    with token_server(token_delay=0.2) as server:
        server.script(envelope(401, "invalid credentials"))
        clock = FakeClock()
        auth = TokenAuth(server.url, CREDENTIALS, clock=clock)
        barrier = threading.Barrier(16)

        def get() -> str | ApiException:
            barrier.wait()
            try:
                return auth.get_token()
            except ApiException as exc:
                return exc

        with ThreadPoolExecutor(16) as pool:
            outcomes = list(pool.map(lambda _: get(), range(16)))
        assert server.token_requests == 1
        assert all(isinstance(o, ApiException) and o.status == 401 for o in outcomes)
        with pytest.raises(ApiException):  # the rejection is remembered for a few seconds
            auth.get_token()
        assert server.token_requests == 1
        clock.advance(REJECTION_COOLDOWN + REJECTION_JITTER)
        assert auth.get_token()
        assert server.token_requests == 2


@pytest.mark.anyio
async def test_a_cancelled_async_leader_does_not_strand_its_waiters() -> None:
    with token_server(token_delay=0.3) as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        leader = asyncio.create_task(auth.aget_token())
        while server.token_requests == 0:  # the leader's request is on the wire
            await asyncio.sleep(0.01)
        waiters = [asyncio.create_task(auth.aget_token()) for _ in range(3)]
        thread_waiter = asyncio.create_task(asyncio.to_thread(auth.get_token))
        await asyncio.sleep(0.02)
        leader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leader
        tokens = await asyncio.wait_for(asyncio.gather(*waiters, thread_waiter), timeout=5)
        await auth.aclose()
    assert len(set(tokens)) == 1
    assert server.token_requests == 2  # the abandoned one, and one more for all the waiters


@pytest.mark.anyio
async def test_a_cancelled_waiter_does_not_cancel_the_flight() -> None:
    with token_server(token_delay=0.2) as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        leader = asyncio.create_task(auth.aget_token())
        await asyncio.sleep(0.02)
        waiter = asyncio.create_task(auth.aget_token())
        other = asyncio.create_task(auth.aget_token())
        await asyncio.sleep(0.02)
        waiter.cancel()
        token = await leader
        assert await other == token
        assert waiter.cancelled()
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
    with token_server(token_delay=0.2) as server:
        auth = TokenAuth(server.url, CREDENTIALS, clock=clock, random=lambda: 0.0)
        old = auth.get_token()
        clock.advance(3600 - 360 + 1)  # inside the refresh margin, well before the 30 s floor
        barrier = threading.Barrier(8)

        def get() -> tuple[str, float]:
            barrier.wait()
            started = time.monotonic()
            return auth.get_token(), time.monotonic() - started

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda _: get(), range(8)))
    tokens = Counter(token for token, _ in outcomes)
    new = next(token for token in tokens if token != old)
    assert tokens == {old: 7, new: 1}
    assert all(waited < 0.15 for token, waited in outcomes if token == old)
    assert server.token_requests == 2


def test_16_threads_with_1_second_tokens_never_see_a_401() -> None:
    with token_server(lifetime=1) as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        with httpx.Client(base_url=server.url, auth=auth) as client:
            until = time.monotonic() + 2.5

            def hammer() -> Counter[int]:
                statuses: Counter[int] = Counter()
                while time.monotonic() < until:
                    statuses[client.get(PROTECTED_PATH).status_code] += 1
                return statuses

            with ThreadPoolExecutor(16) as pool:
                statuses = sum(pool.map(lambda _: hammer(), range(16)), Counter[int]())
        auth.close()
    assert set(statuses) == {200}
    calls = statuses[200]
    # Each token lives 1 s and is replaced 0.1-0.2 s early: about one request per lifetime.
    assert 2 <= server.token_requests <= 6
    assert calls >= 20 * server.token_requests


@pytest.mark.anyio
async def test_a_blocking_wait_on_the_loop_of_the_fetching_task_fails_instead_of_deadlocking() -> (
    None
):
    with token_server(token_delay=0.2) as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        leader = asyncio.create_task(auth.aget_token())
        while server.token_requests == 0:
            await asyncio.sleep(0.01)
        with pytest.raises(RuntimeError, match="deadlock"):
            auth.get_token()
        assert await leader
        assert auth.get_token() == await leader  # no flight now: the blocking call is fine
        await auth.aclose()
        auth.close()
    assert server.token_requests == 1
