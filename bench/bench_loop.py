"""Benchmark 2c: how long an asyncio event loop stops while each library refreshes its token."""

from __future__ import annotations

import asyncio
import contextlib

from bench_auth import EXPIRY_LIFETIME, expiring_server
from bench_burst import watched
from bench_clients import ASYNC, AsyncClient
from bench_report import Section, section
from bench_warm import warm_async

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
    with contextlib.ExitStack() as stack:
        ready: list[tuple[str, AsyncClient]] = []
        for name, factory in ASYNC.items():
            server = stack.enter_context(expiring_server(SLOW_TOKEN_DELAY))
            client = await warm_async(factory, server.target, expiry_margin_zero=True)
            if isinstance(client, str):
                rows.append([name, "n/a", client])
                continue
            ready.append((name, client))
        await asyncio.sleep(EXPIRY_LIFETIME + 0.1)  # every token above was issued before this
        for name, client in ready:
            outcome, longest = await watched(client.call)
            await client.close()
            rows.append([name, outcome, f"{longest * 1e3:.0f}"])
    return rows
