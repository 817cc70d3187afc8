"""Callers that start together: threads on a barrier, asyncio tasks in one gather, and a watcher
that measures how long an event loop could run nothing else. Shared by benchmarks 1 to 2c."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable

from bench_clients import error_name

BURST_TIMEOUT = 30.0


def burst_threads(call: Callable[[], str], n: int) -> list[str]:
    """n threads released at once by a barrier, each making one call; their outcomes."""
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
    """n asyncio tasks in one gather, each making one call; their outcomes."""

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


def ms_since(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1e3:.0f}"
