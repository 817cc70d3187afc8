"""The HTTP/1.1 plumbing of the fake server: a BaseHTTPRequestHandler that hands each request on.

It logs nothing secret: http.server's own request lines (which carry the query string, and so a
refresh token or an authorization code) are not logged at all. A reply with a Delivery (a fault
that trickles, resets or oversizes the answer) is written by _Wire, byte by byte if need be.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, NamedTuple

from ._faults import Delivery, filler
from ._routes import WireReply, error_reply

logger = logging.getLogger("runai_tokens.testing")

# (method, request target, lower-cased headers, body) -> reply
Handle = Callable[[str, str, Mapping[str, str], bytes], WireReply]
# (connection, opened?) -> None: so that stopping the server can cut keep-alive connections
Track = Callable[[socket.socket, bool], None]
# seconds -> True when the server is stopping (threading.Event.wait): a paced write stops too
Wait = Callable[[float], bool]


class Server(ThreadingHTTPServer):
    """A threaded HTTP server whose errors go to the logger, and whose shutdown() is prompt.

    socketserver's serve_forever() polls for shutdown every poll_interval, so every stop costs
    up to one interval (and the poll costs CPU while idle). Here the loop sleeps until a
    connection arrives or shutdown() wakes it through a socket pair. shutdown() may be called
    before serve_forever() has started; the loop then returns at once.
    """

    daemon_threads = True
    # The listen backlog. socketserver's default of 5 made a burst of callers (a test suite's
    # workers starting at once) wait for SYN retransmissions, seconds each, which looked like
    # client slowness or turned into ReadTimeouts. The kernel caps it at its own maximum.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        # Before binding: a failed bind calls server_close(), which closes the pair.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._state = threading.Lock()
        self._stop_requested = False
        self._loop_done = threading.Event()
        self._loop_done.set()  # no loop is running yet
        super().__init__(address, handler)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Handle requests until shutdown(); poll_interval is accepted and not needed."""
        with self._state:
            if self._stop_requested:
                return
            self._loop_done.clear()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self, selectors.EVENT_READ)
                selector.register(self._wake_reader, selectors.EVENT_READ)
                while not self._stop_requested:
                    ready = {key.fileobj for key, _ in selector.select()}
                    if self._stop_requested or self._wake_reader in ready:
                        break
                    # What BaseServer.serve_forever calls for a readable listening socket
                    # (accept, verify, process; errors to handle_error); typeshed omits it.
                    self._handle_request_noblock()  # type: ignore[attr-defined]
                    self.service_actions()
        finally:
            self._loop_done.set()

    def shutdown(self) -> None:
        """Stop serve_forever() and wait until it has returned."""
        with self._state:
            self._stop_requested = True
        with contextlib.suppress(OSError):  # closed already: then no loop is waiting on it
            self._wake_writer.send(b"\0")
        self._loop_done.wait()

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | ssl.SSLEOFError | ssl.SSLZeroReturnError):
            # A client that gave up (a timeout while a delay_next fault held the answer back,
            # or a deadline during a trickle, over TLS too), or stop() cutting a connection:
            # nobody is left to answer.
            logger.debug("FakeRunaiServer: client went away")
            return
        logger.error("FakeRunaiServer: error while serving a request", exc_info=error)


def handler_class(
    handle: Handle, track: Track, wait: Wait | None = None
) -> type[BaseHTTPRequestHandler]:
    """The handler class; wait paces trickled answers (an Event's wait, by default one that is
    never set), so that a server stopping can cut them short."""
    pace = wait if wait is not None else threading.Event().wait

    class Handler(_Handler):
        callbacks = _Callbacks(handle, track, pace)

    return Handler


class _Callbacks(NamedTuple):
    handle: Handle
    track: Track
    pace: Wait


class _Handler(BaseHTTPRequestHandler):
    """Hands each request to its server's callbacks, set on the subclass handler_class makes."""

    callbacks: ClassVar[_Callbacks]
    protocol_version = "HTTP/1.1"
    server_version = "FakeRunaiServer"

    def setup(self) -> None:
        super().setup()
        # A delivery (_deliver) writes its head and body apart, paced: without this, Nagle's
        # algorithm holds each write back until the client's delayed ACK, some 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.callbacks.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.callbacks.track(self.connection, False)

    def _serve(self) -> None:
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = self.callbacks.handle(self.command, self.path, headers, body)
        except Exception as exc:  # a bug here must not hang the client: answer like a server
            logger.error("FakeRunaiServer failed on %s: %s", self.command, type(exc).__name__)
            reply = error_reply(500, "Something went wrong.")
        if reply.drop:
            self.close_connection = True
            return
        if any(
            n.lower() == "connection" and v.lower() == "close" for n, v in reply.headers.items()
        ):
            self.close_connection = True  # as send_header() would: the reply says it closes
        if reply.delivery is not None:
            self._deliver(reply, reply.delivery)
            return
        # Head and body in one write, as a production server sends a small answer: a client
        # then reads it in one wakeup rather than two.
        lines = [*self._head(reply), f"Content-Length: {len(reply.body)}"]
        self.wfile.write(_joined(lines) + reply.body)

    def _deliver(self, reply: WireReply, delivery: Delivery) -> None:
        body = [reply.body] if delivery.filler is None else filler(delivery.filler)
        size = len(reply.body) if delivery.filler is None else delivery.filler
        lines = self._head(reply)
        if delivery.content_length:
            lines.append(f"Content-Length: {size}")
        else:
            lines.append("Connection: close")
            self.close_connection = True
        wire = _Wire(self.wfile.write, delivery.bytes_per_second, self.callbacks.pace)
        wire.write([_joined(lines)], paced=delivery.trickle_headers)
        wire.write(body, paced=True, stop_after=delivery.reset_after)
        if delivery.reset_after is not None:
            # SO_LINGER 0 turns close() into a reset: the client sees ECONNRESET, not EOF.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

    def _head(self, reply: WireReply) -> list[str]:
        """The status line and headers, Content-Length and the blank line still to come."""
        phrase = self.responses.get(reply.status, ("",))[0]
        lines = [f"{self.protocol_version} {reply.status} {phrase}"]
        lines.append(f"Server: {self.version_string()}")
        if not any(name.lower() == "date" for name in reply.headers):
            # A reply may pin its own Date: Retry-After dates are measured against it.
            lines.append(f"Date: {self.date_time_string()}")
        lines += [f"{name}: {value}" for name, value in reply.headers.items()]
        return lines

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the server logs method, path and status itself: the request line has the query

    def log_message(self, format: str, *args: Any) -> None:
        # Only the format: its arguments can hold the request line, query string included.
        logger.debug("http.server: %s", format)


class _Wire:
    """Writes a reply's bytes, at a pace when asked: `rate` bytes per second, in steps of about
    a twentieth of a second (one byte at a time below 20 bytes per second)."""

    def __init__(self, out: Callable[[bytes], object], rate: float | None, wait: Wait) -> None:
        self._out = out
        self._rate = rate
        self._wait = wait

    def write(self, chunks: Iterable[bytes], *, paced: bool, stop_after: int | None = None) -> None:
        sent = 0
        for chunk in chunks:
            if stop_after is not None:
                chunk = chunk[: stop_after - sent]
            if paced and self._rate is not None:
                self._paced(chunk)
            else:
                self._out(chunk)
            sent += len(chunk)
            if stop_after is not None and sent >= stop_after:
                return

    def _paced(self, chunk: bytes) -> None:
        assert self._rate is not None
        step = max(1, int(self._rate / 20))
        for start in range(0, len(chunk), step):
            if start and self._wait(step / self._rate):
                raise ConnectionAbortedError("FakeRunaiServer is stopping")
            self._out(chunk[start : start + step])


def _joined(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
