"""The deadline's hard stop for a sync token request: its socket is shut down when time is up.

A blocking read only times out when no byte comes for `read` seconds; a server that sends one
byte a second resets that clock forever. Under asyncio the attempt is simply cancelled at the
deadline; a thread cannot be cancelled, but the socket it waits on can be shut down from another
one, which makes its read return at once. A Cutoff does that for token requests only, on the
time of one watchdog thread (_watchdog) that all cutoffs share: a thread started per request
made a grant_token call cost twice the CPU of a plain POST.

The socket comes from httpx's own extensions: the response's network_stream once the headers are
in, and before that the trace extension's connect_tcp / start_tls events, which name the stream
of a new connection. A reused keep-alive connection announces no stream before its headers, so
its status line and headers are bounded by the cut read timeout only. TokenAuth's grants never
reuse a connection.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from ._clock import DeadlineExceeded

if TYPE_CHECKING:
    from ._watchdog import Alarm

_STREAM_EVENTS = ("connect_tcp.complete", "connect_unix_socket.complete", "start_tls.complete")


class Cutoff:
    """Shuts down the socket of one attempt (or one body read) after `seconds`, unless the
    attempt is over by then; as a context manager, turns the failure that causes into
    DeadlineExceeded."""

    def __init__(self, seconds: float, request: httpx.Request, stream: Any = None) -> None:
        self.request = request
        self._stream = stream
        self._lock = threading.Lock()
        self._over = False
        self.fired = False
        self._seconds = max(seconds, 0.0)
        self._alarm: Alarm | None = None

    @classmethod
    def watching(cls, seconds: float, request: httpx.Request) -> Cutoff:
        """A cutoff for a request about to be sent, learning its stream as it connects."""
        cutoff = cls(seconds, request)
        cutoff.watch(request)
        return cutoff

    def checked(self, response: httpx.Response) -> httpx.Response:
        """The response, unless the cutoff fired as its headers came in: its connection is gone."""
        if not self.fired:
            return response
        response.close()
        raise DeadlineExceeded(
            "the retry deadline passed as the response headers arrived", request=self.request
        )

    def watch(self, request: httpx.Request) -> None:
        """Learn the stream of a new connection from request's trace events (chaining any
        trace hook already there). request must be this attempt's own copy."""
        earlier: Callable[[str, dict[str, Any]], object] | None = request.extensions.get("trace")

        def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith(_STREAM_EVENTS) and info.get("return_value") is not None:
                with self._lock:
                    self._stream = info["return_value"]
            if earlier is not None:
                earlier(event, info)

        request.extensions["trace"] = trace

    def __enter__(self) -> Cutoff:
        from ._watchdog import WATCHDOG  # here: only a sync token request needs its thread

        self._alarm = WATCHDOG.set(self._seconds, self._fire)
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
            from ._watchdog import WATCHDOG

            WATCHDOG.cancel(self._alarm)
        if self.fired and isinstance(error, httpx.TransportError):
            raise DeadlineExceeded(
                "the retry deadline passed while waiting for the response; its connection "
                "was shut down",
                request=self.request,
            ) from error

    def _fire(self) -> None:
        with self._lock:
            if self._over or self._stream is None:
                return
            self.fired = True
            sock = self._stream.get_extra_info("socket")
            if isinstance(sock, socket.socket):
                # socket.socket's own shutdown, also for an SSLSocket: the syscall only, so the
                # reader's TLS read fails as a read (an SSL EOF) rather than on torn state.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
