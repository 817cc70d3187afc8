"""RetryTransport: retries that survive a flaky control plane, for httpx.Client and AsyncClient.

RetryTransport wraps the transport it is given and retries around it. One object is both an
httpx.BaseTransport and an httpx.AsyncBaseTransport, so one transport (and one retry budget)
serves sync and async clients alike, as far as the transport it wraps has each side:

    client = httpx.Client(transport=RetryTransport(RetryPolicy(max_attempts=5)))
    tls = RetryTransport(policy, HTTPTransports(verify=context, proxy="http://proxy:3128"))

TLS, proxies and connection limits belong to the wrapped transport; HTTPTransports holds an
httpx.HTTPTransport and an httpx.AsyncHTTPTransport made with the same options. What is retried,
and why only that, is in _rules; the decisions of one request in _attempts.
"""

from __future__ import annotations

import inspect
import math
import threading
from typing import Any

import httpx

from .. import _validate
from .._base_errors import InvalidArgumentType
from .._flow import Done, send, throw
from ._attempts import Action, Attempts, Discard, Exchange, Read, Send, exchange
from ._body import adiscard, aread_body, discard, read_body
from ._deadline import Clock, Cutoff, DeadlineExceeded
from ._policy import RetryBudget, RetryPolicy

Transport = httpx.BaseTransport | httpx.AsyncBaseTransport
_DEFAULT_POLICY = RetryPolicy()


class HTTPTransports(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """httpx.HTTPTransport and httpx.AsyncHTTPTransport made with the same options, as one object.

    options are httpx's own (verify, cert, proxy, limits, http2, ...), checked here and given
    to each transport when its side is first used, so a sync-only program never builds the
    async one (nor its TLS context). close() closes the sync side, aclose() the async side, as
    httpx.Client and httpx.AsyncClient do on exit.
    """

    def __init__(self, **options: Any) -> None:
        try:
            inspect.signature(httpx.HTTPTransport).bind(**options)
        except TypeError as exc:
            raise InvalidArgumentType(f"HTTPTransports: {exc}") from None
        # httpx opens the CA bundle and parses the proxy only when the transport is built.
        if "verify" in options:
            options["verify"] = _validate.verify(options["verify"])
        _validate.proxy(options.get("proxy"))
        self._options = options
        self._lock = threading.Lock()
        self._sync: httpx.HTTPTransport | None = None
        self._async: httpx.AsyncHTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._sync  # once built, read without the lock: it never changes again
        if inner is None:
            with self._lock:
                if self._sync is None:
                    self._sync = httpx.HTTPTransport(**self._options)
                inner = self._sync
        return inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._async
        if inner is None:
            with self._lock:
                if self._async is None:
                    self._async = httpx.AsyncHTTPTransport(**self._options)
                inner = self._async
        return await inner.handle_async_request(request)

    def close(self) -> None:
        with self._lock:
            inner = self._sync
        if inner is not None:
            inner.close()

    async def aclose(self) -> None:
        with self._lock:
            inner = self._async
        if inner is not None:
            await inner.aclose()


class RetryTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Retries requests through `transport` according to `policy`.

    transport: what to send through: an httpx.BaseTransport (sync clients), an
      httpx.AsyncBaseTransport (async clients), or an object that is both (HTTPTransports, the
      default, with httpx's default options; httpx.MockTransport; another RetryTransport). Using
      a side the transport lacks raises TypeError rather than open a connection of its own.
    clock: the time, waits and jitter (Clock.system() by default); tests pass a fake one.

    Closing this transport closes the wrapped one: close() its sync side, aclose() its async
    side. The final response carries response.extensions["attempts"], 1 when no retry was made.
    """

    def __init__(
        self,
        policy: RetryPolicy = _DEFAULT_POLICY,
        transport: Transport | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(policy, RetryPolicy):
            raise InvalidArgumentType(
                f"policy must be a RetryPolicy, got {_validate.type_name(policy, [RetryPolicy])}"
            )
        if transport is None:
            transport = HTTPTransports()
        elif not isinstance(transport, httpx.BaseTransport | httpx.AsyncBaseTransport):
            raise InvalidArgumentType(
                "transport must be an httpx.BaseTransport, an httpx.AsyncBaseTransport or both, "
                f"got {type(transport).__name__}"
            )
        if clock is None:
            clock = Clock.system()
        elif not isinstance(clock, Clock):
            raise InvalidArgumentType(
                "clock must be a runai_tokens.retry.Clock, "
                f"got {_validate.type_name(clock, [Clock])}"
            )
        self.policy = policy
        self.transport = transport
        self._clock = clock
        self._budget = RetryBudget(policy.budget_capacity)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.policy!r}, {type(self.transport).__name__})"

    @property
    def budget_available(self) -> int | None:
        """Retry budget left (None when the policy sets none): a gauge for monitoring."""
        return self._budget.available

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inner = self.transport
        if not isinstance(inner, httpx.BaseTransport):
            raise InvalidArgumentType(self._lacks("sync", "an httpx.AsyncClient"))
        clock = self._clock
        flow = exchange(Attempts(request, self.policy, self._budget, clock))
        action: Step = send(flow, None)
        while not isinstance(action, Done):  # a cut attempt is one step of its own
            if isinstance(action, Send) and action.cut:
                action = _cut_attempt(flow, action, inner, clock)
                continue
            try:
                outcome = _perform(action, inner, clock)
            except Exception as exc:
                action = throw(flow, exc)
            else:
                action = send(flow, outcome)
        response: httpx.Response = action.value
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = self.transport
        if not isinstance(inner, httpx.AsyncBaseTransport):
            raise InvalidArgumentType(self._lacks("async", "an httpx.Client"))
        clock = self._clock
        flow = exchange(Attempts(request, self.policy, self._budget, clock))
        action: Step = send(flow, None)
        while not isinstance(action, Done):  # as handle_request, awaiting each step
            if isinstance(action, Send | Read):
                action = await _attempt(flow, action, inner, clock)
                continue
            try:
                if isinstance(action, Discard):
                    outcome: httpx.Response | None = await adiscard(action.read, clock)
                else:
                    await clock.async_sleep(action.seconds)
                    outcome = None
            except Exception as exc:
                action = throw(flow, exc)
            else:
                action = send(flow, outcome)
        response: httpx.Response = action.value
        return response

    def close(self) -> None:
        if isinstance(self.transport, httpx.BaseTransport):
            self.transport.close()

    async def aclose(self) -> None:
        if isinstance(self.transport, httpx.AsyncBaseTransport):
            await self.transport.aclose()

    def _lacks(self, side: str, use: str) -> str:
        name = type(self.transport).__name__
        return (
            f"RetryTransport wraps {name}, which has no {side} side: use it with {use}, or "
            f"wrap a transport that has both (runai_tokens.retry.HTTPTransports)"
        )


# What a driver holds between steps: the flow's next action, or its response once it is done.
Step = Action | Done[httpx.Response]


async def _attempt(
    flow: Exchange, action: Send | Read, inner: httpx.AsyncBaseTransport, clock: Clock
) -> Step:
    """One attempt's I/O, its send and then the read of its body, cancelled at the deadline:
    the hard bound that sockets alone cannot give. One cancel scope for both steps: they share
    the deadline, and a timer is a good share of an authenticated GET's overhead."""
    import asyncio  # here, not at the top: a sync program never needs asyncio (see _deadline)

    left = action.time_left
    scope = asyncio.timeout(None if math.isinf(left) else max(left, 0.0))
    current = action
    step: Step = action
    try:
        async with scope:
            while isinstance(step, Send | Read):
                current = step
                try:
                    if isinstance(step, Send):
                        outcome = await inner.handle_async_request(step.request)
                    else:
                        outcome = await aread_body(step, clock)
                except Exception as exc:
                    step = throw(flow, exc)
                else:
                    step = send(flow, outcome)
    except TimeoutError:
        if not scope.expired():
            raise
        what = "headers" if isinstance(current, Send) else "body"
        error = DeadlineExceeded(
            f"the retry deadline passed while waiting for the response {what}",
            request=current.request,
        )
        return throw(flow, error)
    return step


def _perform(action: Action, inner: httpx.BaseTransport, clock: Clock) -> httpx.Response | None:
    """The I/O of one action, without a cutoff."""
    if isinstance(action, Send):
        return inner.handle_request(action.request)
    if isinstance(action, Read):
        return read_body(action, clock)
    if isinstance(action, Discard):
        return discard(action.read, clock)
    clock.sleep(action.seconds)
    return None


def _cut_attempt(flow: Exchange, attempt: Send, inner: httpx.BaseTransport, clock: Clock) -> Step:
    """One attempt of a sync token request, its send and then the read of its body, under one
    Cutoff that shuts its socket down at the deadline: the hard bound a blocking read cannot
    give. One alarm for both steps, as _attempt has one cancel scope for them."""
    cutoff = Cutoff(attempt.time_left, attempt.request)
    with cutoff:
        try:
            response = cutoff.arrived(inner.handle_request(attempt.request))
        except Exception as exc:
            return throw(flow, cutoff.explained(exc))
        step = send(flow, response)
        if not isinstance(step, Read):
            return step  # the answer, or what to do with it outside the attempt (Discard)
        try:
            body = read_body(step, clock)
        except Exception as exc:
            return throw(flow, cutoff.explained(exc))
        return send(flow, body)
