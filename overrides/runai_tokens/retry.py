"""RetryTransport: retries that survive a flaky control plane, for httpx.Client and AsyncClient.

One class is both an httpx.BaseTransport and an httpx.AsyncBaseTransport, so one object (and one
retry budget) serves sync and async clients alike. It wraps httpx's own HTTPTransport and
AsyncHTTPTransport, created on first use with the options given here, and retries around them:

    client = httpx.Client(transport=RetryTransport(RetryPolicy(max_attempts=5)))

What is retried, and why only that, is in _retry_rules; the per-request decisions in _retry_flow.
"""

from __future__ import annotations

import asyncio
import random as _random
import ssl
import threading
import time
from collections.abc import Awaitable, Callable

import httpx

from ._retry_budget import RetryBudget
from ._retry_flow import Attempts, Clocks, Retry, TooLate
from ._retry_policy import RetryPolicy

__all__ = ["RetryPolicy", "RetryTransport"]

# httpx's own defaults, spelled out because httpx keeps its constants private.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5)
_DEFAULT_POLICY = RetryPolicy()
# A discarded answer is drained so its connection can go back to the pool, unless it is big
# enough that opening a new connection is cheaper than reading it.
_DRAIN_LIMIT = 64 * 1024

CertTypes = str | tuple[str, str] | tuple[str, str, str]
ProxyTypes = str | httpx.URL | httpx.Proxy


class RetryTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Retries requests according to `policy`; the transport options go to httpx unchanged.

    transport and async_transport replace the inner HTTPTransport / AsyncHTTPTransport (tests,
    or composing with another transport); the transport options are then unused. Closing this
    transport closes the inner ones, whether created here or passed in: close() the sync side,
    aclose() the async side, as httpx.Client and httpx.AsyncClient do on exit.

    clock, wall_clock, sleep, async_sleep and random exist so tests need not wait for real.
    The final response carries response.extensions["attempts"], 1 when no retry was made.
    """

    def __init__(
        self,
        policy: RetryPolicy = _DEFAULT_POLICY,
        *,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        proxy: ProxyTypes | None = None,
        uds: str | None = None,
        local_address: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        random: Callable[[], float] = _random.random,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not isinstance(policy, RetryPolicy):
            raise TypeError(f"policy must be a RetryPolicy, got {type(policy).__name__}")
        self.policy = policy
        self._options = {
            "verify": verify,
            "cert": cert,
            "trust_env": trust_env,
            "http1": http1,
            "http2": http2,
            "limits": limits,
            "proxy": proxy,
            "uds": uds,
            "local_address": local_address,
        }
        self._clocks = Clocks(monotonic=clock, wall=wall_clock, random=random)
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._budget = RetryBudget(policy.budget_capacity)
        self._transport = transport
        self._async_transport = async_transport
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.policy!r})"

    @property
    def budget_available(self) -> int | None:
        """Retry budget left (None when the policy sets none): a gauge for monitoring."""
        return self._budget.available

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._sync_inner()
        attempts = Attempts(request, self.policy, self._budget, self._clocks)
        step: Retry | TooLate | None
        while True:
            try:
                response = inner.handle_request(attempts.request())
            except httpx.TransportError as error:
                step = attempts.after_error(error)
                if step is None:
                    attempts.note_failure(error)
                    raise
            else:
                step = attempts.after_response(response)
                if step is None:
                    return attempts.finish(response)
                _discard(response)
                if not isinstance(step, Retry):
                    raise attempts.too_late(response, step.retry_after)
            self._sleep(step.delay)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._async_inner()
        attempts = Attempts(request, self.policy, self._budget, self._clocks)
        step: Retry | TooLate | None
        while True:
            try:
                response = await inner.handle_async_request(attempts.request())
            except httpx.TransportError as error:
                step = attempts.after_error(error)
                if step is None:
                    attempts.note_failure(error)
                    raise
            else:
                step = attempts.after_response(response)
                if step is None:
                    return attempts.finish(response)
                await _adiscard(response)
                if not isinstance(step, Retry):
                    raise attempts.too_late(response, step.retry_after)
            await self._async_sleep(step.delay)

    def close(self) -> None:
        with self._lock:
            inner = self._transport
        if inner is not None:
            inner.close()

    async def aclose(self) -> None:
        with self._lock:
            inner = self._async_transport
        if inner is not None:
            await inner.aclose()

    def _sync_inner(self) -> httpx.BaseTransport:
        with self._lock:
            if self._transport is None:
                self._transport = httpx.HTTPTransport(**self._options)  # type: ignore[arg-type]
            return self._transport

    def _async_inner(self) -> httpx.AsyncBaseTransport:
        with self._lock:
            if self._async_transport is None:
                self._async_transport = httpx.AsyncHTTPTransport(**self._options)  # type: ignore[arg-type]
            return self._async_transport


def _worth_draining(response: httpx.Response) -> bool:
    length = response.headers.get("content-length", "")
    return length.isdigit() and int(length) <= _DRAIN_LIMIT


def _discard(response: httpx.Response) -> None:
    """Close an answer we will not hand back, before sleeping, so its connection is free (with
    a pool of one, the retry would otherwise wait forever for it)."""
    try:
        if _worth_draining(response):
            response.read()
    except httpx.HTTPError:
        pass  # the answer is being thrown away; a broken one needs no more than closing
    finally:
        response.close()


async def _adiscard(response: httpx.Response) -> None:
    try:
        if _worth_draining(response):
            await response.aread()
    except httpx.HTTPError:
        pass
    finally:
        await response.aclose()
