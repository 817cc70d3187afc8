"""Time, for the retry layer: the Clock it reads and waits on, and the error when time runs out.

Apart from the flow because both the decisions (_attempts) and the drivers' I/O (_body, _cutoff,
_transport) measure the same deadline on the same clock, and tests replace that clock as one
value.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Awaitable, Callable

import httpx

from .._base_errors import RunaiTokensError
from .._value import Value


async def _asyncio_sleep(seconds: float) -> None:
    """asyncio.sleep, with asyncio imported on the first async wait: a sync program never loads
    it (it was a fifth of connect()'s import time)."""
    import asyncio

    await asyncio.sleep(seconds)


class Clock(Value):
    """Where RetryTransport gets its time, its waits and its jitter; tests pass a fake one.

    monotonic measures the deadline; wall (Unix seconds) reads an HTTP-date Retry-After from a
    response without a Date header; sleep and async_sleep wait between attempts; random gives
    the jitter, in [0, 1).
    """

    __slots__ = _fields = ("monotonic", "wall", "sleep", "async_sleep", "random")
    monotonic: Callable[[], float]
    wall: Callable[[], float]
    sleep: Callable[[float], object]
    async_sleep: Callable[[float], Awaitable[object]]
    random: Callable[[], float]

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = _asyncio_sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self._set(monotonic, wall, sleep, async_sleep, random)

    @classmethod
    def system(cls) -> Clock:
        """The real clocks, sleeps and random numbers."""
        return cls()


class DeadlineExceeded(RunaiTokensError, httpx.ReadTimeout):
    """The retry deadline passed while an attempt was still waiting for its answer or its body.

    A ReadTimeout, so code that handles httpx's timeouts handles this one; never retried.
    """
