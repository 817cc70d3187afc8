"""Fault injection: what the infrastructure between a client and Run:ai does on a bad day.

Faults are queued in the order they were asked for. Each request takes at most one: the oldest
fault with matching requests left whose path is the request's path (or any path). Most faults
happen before the server looks at the request, as they would in a load balancer in front of the
service, so such a request is never validated and never mints a token. Four deliver the real
answer, bent on its way: DELAY holds it back, TRICKLE sends it a few bytes at a time, RESET cuts
the connection mid-body; the server did the work (a grant minted its token) all the same.
OVERSIZED replaces it with a body larger than any token.
"""

from __future__ import annotations

import enum
import itertools
import json
import math
import threading
from collections.abc import Iterator

import attrs

from .._base_errors import InvalidArgument


class FaultKind(enum.Enum):
    FAIL = "fail"  # an Error envelope with a status (and maybe Retry-After)
    DROP = "drop"  # the connection closes without an answer
    DELAY = "delay"  # the answer comes, late
    HTML = "html"  # a load balancer's HTML 502 page
    TRUNCATED = "truncated"  # a 200 whose JSON body is cut off
    TRICKLE = "trickle"  # the answer, a few bytes at a time
    RESET = "reset"  # the answer's headers and the start of its body, then a TCP reset
    OVERSIZED = "oversized"  # a 200 whose body is larger than any token


@attrs.frozen
class Fault:
    kind: FaultKind
    path: str | None = None  # None: any path
    status: int = 503
    retry_after: float | str | None = None
    seconds: float = 0.0
    # How the answer goes on the wire (TRICKLE, RESET, OVERSIZED).
    delivery: Delivery | None = None

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


@attrs.frozen
class Delivery:
    """How a reply goes on the wire when a fault bends it; a reply without one goes at once."""

    # Pace: the body (and with trickle_headers the status line and headers) at this rate.
    bytes_per_second: float | None = None
    trickle_headers: bool = False
    # Body bytes sent before the connection is reset (SO_LINGER 0, then close: a TCP RST).
    reset_after: int | None = None
    # A body of this many bytes, made as it is sent, instead of the reply's own.
    filler: int | None = None
    # False: no Content-Length; the body ends when the connection closes.
    content_length: bool = True


def positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidArgument(f"{name} must be a positive number")
    return float(value)


def seconds(name: str, value: float) -> float:
    """A number of seconds, 0 or more and finite."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise InvalidArgument(f"{name} must be a finite number of seconds, 0 or more")
    return float(value)


def at_least_zero(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(f"{name} must be an int, 0 or more")
    return value


@attrs.define
class _Pending:
    fault: Fault
    remaining: int


class FaultQueue:
    """Thread-safe queue of faults, each good for a number of matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []

    def add(self, fault: Fault, n: int) -> None:
        if n < 0:
            raise InvalidArgument("n must be >= 0")
        if n:
            with self._lock:
                self._pending.append(_Pending(fault, n))

    def take(self, path: str) -> Fault | None:
        """The fault for a request to `path`, consuming it, or None to answer normally."""
        with self._lock:
            for index, pending in enumerate(self._pending):
                if pending.fault.matches(path):
                    pending.remaining -= 1
                    if not pending.remaining:
                        del self._pending[index]
                    return pending.fault
        return None

    def __len__(self) -> int:
        """How many faulted requests are still to come."""
        with self._lock:
            return sum(p.remaining for p in self._pending)


def envelope(status: int, message: str, details: str | None = None) -> bytes:
    """The contract's Error envelope {code, message, details?} as a JSON body."""
    data: dict[str, object] = {"code": status, "message": message}
    if details is not None:
        data["details"] = details
    return json.dumps(data).encode()


def retry_after_header(value: float | str) -> str:
    """Retry-After as sent: delay-seconds (an integer on the wire) or an HTTP-date string."""
    return value if isinstance(value, str) else f"{value:g}"


# What nginx in front of a service sends when the upstream is gone; the body is not JSON.
HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def filler(size: int) -> Iterator[bytes]:
    """size bytes of a JSON token answer whose token runs on and on, made 64 KiB at a time."""
    head, tail = b'{"accessToken": "', b'"}'
    pieces = itertools.chain([head], itertools.repeat(b"A" * 65536))
    sent = 0
    for piece in pieces:
        piece = piece[: max(0, size - len(tail) - sent)]
        if not piece:
            break
        sent += len(piece)
        yield piece
    yield tail[: size - sent]


def truncated(body: bytes) -> bytes:
    """The first half of a JSON body, as a proxy that cut the upstream off would pass it on."""
    return body[: max(1, len(body) // 2)]
