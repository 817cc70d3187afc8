"""Benchmarks 1, 2 and 2b: token requests under concurrency: cold, after expiry, after a 401.

Every library gets its own TokenServer (bench_servers) whose token endpoint takes 50 ms, like a
real identity provider; without that delay a grant on loopback finishes before the next thread
has started and a missing single-flight goes unnoticed. Callers start together on a barrier
(threads) or in one gather (asyncio tasks); each makes one GET to the protected endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Sequence

import attrs
from bench_clients import ASYNC, SYNC, AsyncClient, SyncClient, Unavailable, error_name
from bench_report import Section, section, tally
from bench_servers import TokenServer, token_server

TOKEN_DELAY = 0.05
EXPIRY_LIFETIME = 2.0
BURST_TIMEOUT = 30.0


def burst_threads(call: Callable[[], str], n: int) -> list[str]:
    barrier = threading.Barrier(n)
    results = ["error:timeout"] * n

    def worker(index: int) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=10)
        try:
            results[index] = call()
        except Exception as exc:
            results[index] = error_name(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + BURST_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return results


async def burst_tasks(call: Callable[[], Awaitable[str]], n: int) -> list[str]:
    async def one() -> str:
        try:
            return await call()
        except Exception as exc:
            return error_name(exc)

    return list(await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), BURST_TIMEOUT))


async def watched(call: Callable[[], Awaitable[str]]) -> tuple[str, float]:
    """One call's outcome, and the longest time (s) the event loop could run nothing else."""
    longest = 0.0
    stop = asyncio.Event()

    async def watch() -> None:
        nonlocal longest
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            longest = max(longest, time.perf_counter() - start - 0.001)

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.01)  # the watcher is running before the call starts
    try:
        outcome = await asyncio.wait_for(call(), BURST_TIMEOUT)
    except Exception as exc:
        outcome = error_name(exc)
    finally:
        stop.set()
        await watcher
    return outcome, longest


def _ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1e3:.0f}"


# --- 1. cold cache -----------------------------------------------------------------------------


def cold_cache(thread_counts: Sequence[int] = (10, 64), task_count: int = 64) -> Section:
    rows: list[list[str]] = []
    for n in thread_counts:
        for name, factory in SYNC.items():
            with token_server(token_delay=TOKEN_DELAY) as server:
                try:
                    client = factory(server)
                except Unavailable as exc:
                    rows.append([name, f"{n} threads", "n/a", str(exc), ""])
                    continue
                start = time.perf_counter()
                outcomes = burst_threads(client.call, n)
                wall = _ms(start)
                client.close()
                tokens = server.counters.token_requests
                rows.append([name, f"{n} threads", str(tokens), tally(outcomes), wall])
    rows.extend(asyncio.run(_cold_async(task_count)))
    return section(
        "1. Cold cache: token requests when many callers need a token at once",
        "Each caller makes one GET to a protected endpoint through one shared client; nobody "
        "has a token yet. Ideal: 1 token request. Token endpoint latency 50 ms.",
        ["library", "callers", "token requests", "calls", "wall ms"],
        rows,
        [
            "runapy fetches its token in the ApiClient constructor, before any thread starts: "
            "its 1 is a serial fetch, not single-flight (see table 2 for what happens at expiry).",
            "Authlib's clients refuse to send without a token until the application calls "
            "fetch_token() itself (MissingTokenError): there is no cold path to measure.",
            "httpx-auth's 1 under asyncio is no single-flight: its auth flow is synchronous, "
            "so the first task makes the token request blocking the event loop and the other "
            "tasks cannot run until it is done (table 2c).",
        ],
    )


async def _cold_async(n: int) -> list[list[str]]:
    rows: list[list[str]] = []
    for name, factory in ASYNC.items():
        with token_server(token_delay=TOKEN_DELAY) as server:
            try:
                client = factory(server)
            except Unavailable as exc:
                rows.append([name, f"{n} asyncio tasks", "n/a", str(exc), ""])
                continue
            start = time.perf_counter()
            outcomes = await burst_tasks(client.call, n)
            wall = _ms(start)
            await client.close()
            tokens = server.counters.token_requests
            rows.append([name, f"{n} asyncio tasks", str(tokens), tally(outcomes), wall])
    return rows


# --- 2. expired token --------------------------------------------------------------------------


def _wait_for_expiry(servers: Sequence[TokenServer]) -> None:
    latest = max((max(s.issued.values(), default=0.0) for s in servers), default=0.0)
    time.sleep(max(0.0, latest - time.time()) + 0.1)


def expired_token(thread_count: int = 16, task_count: int = 64) -> Section:
    rows: list[list[str]] = []
    with contextlib.ExitStack() as stack:
        ready: list[tuple[str, TokenServer, SyncClient]] = []
        for name, factory in SYNC.items():
            server = stack.enter_context(
                token_server(lifetime=EXPIRY_LIFETIME, token_delay=TOKEN_DELAY)
            )
            try:
                client = factory(server, expiry_margin_zero=True)
                client.warm()
                first = client.call()
            except Unavailable as exc:
                rows.append([name, f"{thread_count} threads", "n/a", "", "", str(exc)])
                continue
            if first != "ok":
                warm_up = f"warm-up: {first}"
                rows.append([name, f"{thread_count} threads", "n/a", "", "", warm_up])
                continue
            ready.append((name, server, client))
        _wait_for_expiry([server for _, server, _ in ready])
        for name, server, client in ready:
            server.reset_counters()
            start = time.perf_counter()
            outcomes = burst_threads(client.call, thread_count)
            wall = _ms(start)
            client.close()
            callers = f"{thread_count} threads"
            rows.append(_expiry_row(name, callers, server, outcomes, wall))
    rows.extend(asyncio.run(_expired_async(task_count)))
    return section(
        "2. Expired token: what happens when many callers find the token expired",
        f"One warm-up call, then the {EXPIRY_LIFETIME:.0f}-second token expires; then all "
        "callers make one GET at once. Stale sends: requests that reached the server carrying "
        "the expired token (each is a 401). Refresh margins set as small as each library allows, "
        "so none refreshes early. Token endpoint latency 50 ms.",
        ["library", "callers", "token requests", "stale sends", "calls", "wall ms"],
        rows,
        [
            "google-auth treats any token with under 3 min 45 s left as expired, so it refreshes "
            "before every request of a 2-second token; its count is the same as for an expired "
            "1-hour token: one token request per caller, with no single-flight.",
            "runapy retries a 401 (it is in its urllib3 status_forcelist) with the same stale "
            "header, 3 times with backoff, before the 401 reaches the caller.",
        ],
    )


# --- 2b. revoked token ------------------------------------------------------------------------


def revoked_token(thread_count: int = 16) -> Section:
    rows: list[list[str]] = []
    for name, factory in SYNC.items():
        with token_server(token_delay=TOKEN_DELAY) as server:
            try:
                client = factory(server)
                client.warm()
                first = client.call()
            except Unavailable as exc:
                rows.append([name, f"{thread_count} threads", "n/a", "", "", "", str(exc)])
                continue
            if first != "ok":
                rows.append(
                    [name, f"{thread_count} threads", "n/a", "", "", "", f"warm-up: {first}"]
                )
                continue
            server.revoke_all()
            server.reset_counters()
            start = time.perf_counter()
            outcomes = burst_threads(client.call, thread_count)
            wall = _ms(start)
            counters = attrs.evolve(server.counters)
            after = client.call()
            client.close()
            rows.append(
                [
                    name,
                    f"{thread_count} threads",
                    str(counters.token_requests),
                    str(counters.unknown),
                    tally(outcomes),
                    after,
                    wall,
                ]
            )
    return section(
        "2b. Revoked token: the server rejects a token the client still thinks valid",
        "One warm-up call with a 1-hour token; then the server revokes every token it issued "
        "(as after a signing-key rotation) and all callers make one GET at once. Rejected "
        "sends: requests answered 401 for the revoked token. Ideal: 1 token request, each "
        "caller replayed once, no 401 reaching a caller. Next call: one more GET afterwards.",
        ["library", "callers", "token requests", "rejected sends", "calls", "next call", "wall ms"],
        rows,
        [
            "httpx-auth and Authlib do not look at a 401: they hand it to the caller and keep "
            "the revoked token cached, so the next call gets a 401 too (until the token's own "
            "expiry).",
            "google-auth refreshes on every 401 it gets, so each caller makes its own grant.",
            "runai-tokens' rejected sends vary from run to run between about 12 and 16: a "
            "thread that starts after the first replay's refresh already carries the new token.",
        ],
    )


def _expiry_row(
    name: str, callers: str, server: TokenServer, outcomes: list[str], wall: str
) -> list[str]:
    counters = server.counters
    tokens, stale = str(counters.token_requests), str(counters.stale)
    return [name, callers, tokens, stale, tally(outcomes), wall]


async def _expired_async(n: int) -> list[list[str]]:
    rows: list[list[str]] = []
    async with contextlib.AsyncExitStack() as stack:
        ready: list[tuple[str, TokenServer, AsyncClient]] = []
        for name, factory in ASYNC.items():
            server = stack.enter_context(
                token_server(lifetime=EXPIRY_LIFETIME, token_delay=TOKEN_DELAY)
            )
            try:
                client = factory(server, expiry_margin_zero=True)
                await client.warm()
                first = await client.call()
            except Unavailable as exc:
                rows.append([name, f"{n} asyncio tasks", "n/a", "", "", str(exc)])
                continue
            if first != "ok":
                rows.append([name, f"{n} asyncio tasks", "n/a", "", "", f"warm-up: {first}"])
                continue
            ready.append((name, server, client))
        latest = max((max(s.issued.values(), default=0.0) for _, s, _ in ready), default=0.0)
        await asyncio.sleep(max(0.0, latest - time.time()) + 0.1)
        for name, server, client in ready:
            server.reset_counters()
            start = time.perf_counter()
            outcomes = await burst_tasks(client.call, n)
            wall = _ms(start)
            await client.close()
            rows.append(_expiry_row(name, f"{n} asyncio tasks", server, outcomes, wall))
    return rows


# --- 2c. the event loop during a refresh -------------------------------------------------------

SLOW_TOKEN_DELAY = 0.2


def loop_blocking() -> Section:
    return section(
        "2c. asyncio: how long the event loop stops while the token is refreshed",
        f"One task, one GET after the {EXPIRY_LIFETIME:.0f}-second token expired (warm-up "
        f"done on the same loop), with a token endpoint that takes "
        f"{SLOW_TOKEN_DELAY * 1e3:.0f} ms. Loop blocked: the longest stretch in which the event "
        "loop could run nothing else (a watcher task sleeping 1 ms at a time). Ideal: about 0.",
        ["library", "call", "loop blocked ms"],
        asyncio.run(_loop_blocking()),
        [
            "A blocked event loop stops every other task of the process: request handlers of "
            "an async web app, heartbeats, other clients.",
        ],
    )


async def _loop_blocking() -> list[list[str]]:
    rows: list[list[str]] = []
    async with contextlib.AsyncExitStack() as stack:
        ready: list[tuple[str, TokenServer, AsyncClient]] = []
        for name, factory in ASYNC.items():
            server = stack.enter_context(
                token_server(lifetime=EXPIRY_LIFETIME, token_delay=SLOW_TOKEN_DELAY)
            )
            try:
                client = factory(server, expiry_margin_zero=True)
                await client.warm()
                first = await client.call()
            except Unavailable as exc:
                rows.append([name, "n/a", str(exc)])
                continue
            if first != "ok":
                rows.append([name, "n/a", f"warm-up: {first}"])
                continue
            ready.append((name, server, client))
        latest = max((max(s.issued.values(), default=0.0) for _, s, _ in ready), default=0.0)
        await asyncio.sleep(max(0.0, latest - time.time()) + 0.1)
        for name, _server, client in ready:
            outcome, longest = await watched(client.call)
            await client.close()
            rows.append([name, outcome, f"{longest * 1e3:.0f}"])
    return rows
