"""The retry deadline: the Clock it is measured on, DeadlineExceeded when it passes, and the hard
stop of a sync token request, whose socket is shut down when time is up.

Every part of the retry layer (the decisions in _attempts, the body reads in _body, the drivers
in _transport) measures the same deadline on the same Clock, and tests replace that clock as one
value.

A blocking read only times out when no byte comes for `read` seconds; a server that sends one
byte a second resets that clock forever. Under asyncio the attempt is simply cancelled at the
deadline; a thread cannot be cancelled, but the socket it waits on can be shut down from another
one, which makes its read return at once. A Cutoff does that for token requests only, on the
time of one watchdog thread (_watchdog) that all cutoffs share, so that a cut request costs no
thread of its own.

The socket comes from httpx's own extensions: the response's network_stream once the headers are
in, and before that the trace extension's connect_tcp / start_tls events, which name the stream
of a new connection. A reused keep-alive connection announces no stream before its headers, so
its status line and headers are bounded by the cut read timeout only. TokenAuth's grants never
reuse a connection. The trace hook goes on the request for the attempt and comes off after it,
so the request is as it was when the transport hands the response back (no copy per attempt).
"""

from __future__ import annotations

import contextlib
import random as _random
import socket
import threading
import time
import types
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .._base_errors import RunaiTokensError
from .._value import Value
from ._watchdog import WATCHDOG, Alarm


async def _asyncio_sleep(seconds: float) -> None:
    """asyncio.sleep, with asyncio imported on the first async wait: a sync program never loads
    it, and it is a large share of connect()'s import time."""
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


# --- the hard stop of a sync attempt --------------------------------------------------------------

_STREAM_EVENTS = ("connect_tcp.complete", "connect_unix_socket.complete", "start_tls.complete")
# A request whose first trace event is none of these goes over a reused connection.
_CONNECTING = ("connect_tcp.started", "connect_unix_socket.started")


class Cutoff:
    """Shuts down the socket of one attempt (its send, then the read of its body) after
    `seconds`, unless the attempt is over by then. One alarm for both steps: they share the
    deadline, and an alarm is CPU on every grant's path. As a context manager it sets the alarm
    and puts its trace hook on the request, and takes both off again; explained() turns the
    failure a shutdown causes into DeadlineExceeded."""

    def __init__(self, seconds: float, request: httpx.Request) -> None:
        self.request = request
        self._stream: Any = None
        self._lock = threading.Lock()
        self._over = False
        self._rung = False  # the alarm rang: the deadline has passed
        self.fired = False  # ... and shut a stream down
        self._seconds = max(seconds, 0.0)
        self._alarm: Alarm | None = None
        self._hook: Callable[[str, dict[str, Any]], None] | None = None
        self._earlier: Callable[[str, dict[str, Any]], object] | None = None

    def arrived(self, response: httpx.Response) -> httpx.Response:
        """The response whose headers just came: from here on the alarm shuts down the stream
        its body comes on. DeadlineExceeded if the alarm rang before they came (it may have
        found no stream to shut down: a reused connection announces none before its headers)."""
        stream = response.extensions.get("network_stream")
        with self._lock:
            if stream is not None:
                self._stream = stream
            late = self._rung
        if not late:
            return response
        response.close()
        raise DeadlineExceeded(
            "the retry deadline passed as the response headers arrived", request=self.request
        )

    def explained(self, error: Exception) -> Exception:
        """error, or DeadlineExceeded caused by it when it is the cutoff's doing."""
        if not (self.fired and isinstance(error, httpx.TransportError)):
            return error
        exceeded = DeadlineExceeded(
            "the retry deadline passed while waiting for the response; its connection "
            "was shut down",
            request=self.request,
        )
        exceeded.__cause__ = error
        return exceeded

    def _watch(self) -> None:
        """Learn the stream of a new connection from the request's trace events (chaining any
        trace hook already there).

        httpcore reads the hook afresh for each step of a request, and calls it twice a step,
        a dozen times a request. A request's first event says whether it opens a connection; if
        not (a reused keep-alive one), no stream will be announced, and the hook hands its
        place back to the one it chained (or to none) for the steps to come."""
        extensions = self.request.extensions
        earlier: Callable[[str, dict[str, Any]], object] | None = extensions.get("trace")
        first = True

        def trace(event: str, info: dict[str, Any]) -> None:
            nonlocal first
            if first and not event.endswith(_CONNECTING):
                self._unwatch()
            first = False
            if event.endswith(_STREAM_EVENTS) and info.get("return_value") is not None:
                with self._lock:
                    self._stream = info["return_value"]
            if earlier is not None:
                earlier(event, info)

        self._hook, self._earlier = trace, earlier
        extensions["trace"] = trace

    def _unwatch(self) -> None:
        """The request's trace hook as it was before _watch(), if ours is still in its place."""
        extensions = self.request.extensions
        if self._hook is not None and extensions.get("trace") is self._hook:
            if self._earlier is None:
                del extensions["trace"]
            else:
                extensions["trace"] = self._earlier
        self._hook = None

    def __enter__(self) -> Cutoff:
        # The watchdog's thread starts with the first alarm, not with this import.
        self._alarm = WATCHDOG.set(self._seconds, self._fire)
        self._watch()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        with self._lock:
            self._over = True  # from here on a late alarm does nothing
        if self._alarm is not None:
            WATCHDOG.cancel(self._alarm)
        self._unwatch()

    def _fire(self) -> None:
        with self._lock:
            if self._over:
                return
            self._rung = True
            if self._stream is None:
                return
            self.fired = True
            sock = self._stream.get_extra_info("socket")
            if isinstance(sock, socket.socket):
                # socket.socket's own shutdown, also for an SSLSocket: the syscall only, so the
                # reader's TLS read fails as a read (an SSL EOF) rather than on torn state.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
