"""Fault injection: what the infrastructure between a client and Run:ai does on a bad day.

Faults are queued in the order they were asked for. Each request takes at most one: the oldest
fault with matching requests left whose path is the request's path (or any path). A fault happens
before the server looks at the request, as it would in a load balancer in front of the service,
so a faulted request is never validated and never mints a token.
"""

from __future__ import annotations

import enum
import json
import threading

import attrs


class FaultKind(enum.Enum):
    FAIL = "fail"  # an Error envelope with a status (and maybe Retry-After)
    DROP = "drop"  # the connection closes without an answer
    DELAY = "delay"  # the answer comes, late
    HTML = "html"  # a load balancer's HTML 502 page
    TRUNCATED = "truncated"  # a 200 whose JSON body is cut off


@attrs.frozen
class Fault:
    kind: FaultKind
    path: str | None = None  # None: any path
    status: int = 503
    retry_after: float | str | None = None
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


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
            raise ValueError("n must be >= 0")
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


def truncated(body: bytes) -> bytes:
    """The first half of a JSON body, as a proxy that cut the upstream off would pass it on."""
    return body[: max(1, len(body) // 2)]
