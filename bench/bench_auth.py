"""Benchmarks 1, 2 and 2b: token requests under concurrency: cold, after expiry, after a 401.

Every library gets its own FakeRunaiServer, in a process of its own (server_process), whose
token endpoint takes 50 ms (grant_delay), like a real identity provider; without that delay a
grant on loopback finishes before the next thread has started and a missing single-flight goes
unnoticed. Callers start together on a barrier (threads) or in one gather (asyncio tasks); each
makes one GET to the protected endpoint. The server counts the token requests, and what each
protected request carried: a live token, a stale one (issued, expired) or an unknown one
(revoked, or none).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

from bench_burst import burst_tasks, burst_threads, ms_since
from bench_clients import ASYNC, SYNC, AsyncClient, SyncClient, Unavailable
from bench_report import Section, section, tally
from bench_warm import warm_async, warm_sync
from runai_tokens.testing import Counts
from server_process import RemoteServer, server_process

TOKEN_DELAY = 0.05
EXPIRY_LIFETIME = 2.0


# --- 1. cold cache -----------------------------------------------------------------------------


def cold_cache(thread_counts: Sequence[int] = (10, 64), task_count: int = 64) -> Section:
    rows: list[list[str]] = []
    for n in thread_counts:
        for name, factory in SYNC.items():
            with server_process(grant_delay=TOKEN_DELAY) as server:
                try:
                    client = factory(server.target)
                except Unavailable as exc:
                    rows.append([name, f"{n} threads", "n/a", str(exc), ""])
                    continue
                start = time.perf_counter()
                outcomes = burst_threads(client.call, n)
                wall = ms_since(start)
                client.close()
                tokens = server.counts.token_requests
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
            "google-auth makes a grant for every caller that looks before the first grant has "
            "returned: with 64 threads that is 17 to 64 from run to run (the server has its "
            "own process, so a grant returns after 50 ms while the threads are still starting).",
        ],
    )


async def _cold_async(n: int) -> list[list[str]]:
    rows: list[list[str]] = []
    for name, factory in ASYNC.items():
        with server_process(grant_delay=TOKEN_DELAY) as server:
            try:
                client = factory(server.target)
            except Unavailable as exc:
                rows.append([name, f"{n} asyncio tasks", "n/a", str(exc), ""])
                continue
            start = time.perf_counter()
            outcomes = await burst_tasks(client.call, n)
            wall = ms_since(start)
            await client.close()
            tokens = server.counts.token_requests
            rows.append([name, f"{n} asyncio tasks", str(tokens), tally(outcomes), wall])
    return rows


# --- 2. expired token --------------------------------------------------------------------------


def expired_token(thread_count: int = 16, task_count: int = 64) -> Section:
    rows: list[list[str]] = []
    callers = f"{thread_count} threads"
    with contextlib.ExitStack() as stack:
        ready: list[tuple[str, RemoteServer, SyncClient]] = []
        for name, factory in SYNC.items():
            server = stack.enter_context(expiring_server())
            client = warm_sync(factory, server.target, expiry_margin_zero=True)
            if isinstance(client, str):
                rows.append([name, callers, "n/a", "", "", client])
                continue
            ready.append((name, server, client))
        time.sleep(EXPIRY_LIFETIME + 0.1)  # every token above was issued before this
        for name, server, client in ready:
            before = server.counts
            start = time.perf_counter()
            outcomes = burst_threads(client.call, thread_count)
            wall = ms_since(start)
            client.close()
            rows.append(_expiry_row(name, callers, server.counts - before, outcomes, wall))
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


def expiring_server(delay: float = TOKEN_DELAY) -> contextlib.AbstractContextManager[RemoteServer]:
    """A server whose tokens live EXPIRY_LIFETIME seconds and whose grants take `delay`."""
    return server_process(lifetime=EXPIRY_LIFETIME, grant_delay=delay)


def _expiry_row(
    name: str, callers: str, counts: Counts, outcomes: list[str], wall: str
) -> list[str]:
    return [name, callers, str(counts.token_requests), str(counts.stale), tally(outcomes), wall]


async def _expired_async(n: int) -> list[list[str]]:
    rows: list[list[str]] = []
    callers = f"{n} asyncio tasks"
    with contextlib.ExitStack() as stack:
        ready: list[tuple[str, RemoteServer, AsyncClient]] = []
        for name, factory in ASYNC.items():
            server = stack.enter_context(expiring_server())
            client = await warm_async(factory, server.target, expiry_margin_zero=True)
            if isinstance(client, str):
                rows.append([name, callers, "n/a", "", "", client])
                continue
            ready.append((name, server, client))
        await asyncio.sleep(EXPIRY_LIFETIME + 0.1)
        for name, server, client in ready:
            before = server.counts
            start = time.perf_counter()
            outcomes = await burst_tasks(client.call, n)
            wall = ms_since(start)
            await client.close()
            rows.append(_expiry_row(name, callers, server.counts - before, outcomes, wall))
    return rows


# --- 2b. revoked token ------------------------------------------------------------------------


def revoked_token(thread_count: int = 16) -> Section:
    rows: list[list[str]] = []
    callers = f"{thread_count} threads"
    for name, factory in SYNC.items():
        with server_process(grant_delay=TOKEN_DELAY) as server:
            client = warm_sync(factory, server.target)
            if isinstance(client, str):
                rows.append([name, callers, "n/a", "", "", "", client])
                continue
            server.call("revoke_all")
            before = server.counts
            start = time.perf_counter()
            outcomes = burst_threads(client.call, thread_count)
            wall = ms_since(start)
            burst = server.counts - before
            after = client.call()
            client.close()
            rows.append(
                [
                    name,
                    callers,
                    str(burst.token_requests),
                    str(burst.unknown),
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
