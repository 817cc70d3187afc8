"""The fault-injection methods of FakeRunaiServer: each queues a Fault (see _faults)."""

from __future__ import annotations

from ._faults import Delivery, Fault, FaultKind, FaultQueue, at_least_zero, positive


class FaultInjection:
    """What the infrastructure in front of the server does on a bad day, one request at a time.

    Each method queues a fault for the next n requests (to `path`, or any path).
    """

    _faults: FaultQueue

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        *,
        path: str | None = None,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next n requests (to `path`, or any) with `status` and an Error envelope,
        plus Retry-After (seconds, or an HTTP-date string) when given."""
        self._faults.add(Fault(FaultKind.FAIL, path, status=status, retry_after=retry_after), n)

    def drop_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Close the connection of the next n requests without answering."""
        self._faults.add(Fault(FaultKind.DROP, path), n)

    def delay_next(self, n: int, seconds: float, *, path: str | None = None) -> None:
        """Answer the next n requests normally, but only after `seconds`."""
        self._faults.add(Fault(FaultKind.DELAY, path, seconds=seconds), n)

    def html_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Answer the next n requests with a load balancer's HTML 502 page."""
        self._faults.add(Fault(FaultKind.HTML, path), n)

    def truncated_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Answer the next n requests with a 200 whose JSON body is cut off halfway."""
        self._faults.add(Fault(FaultKind.TRUNCATED, path), n)

    def trickle_next(
        self,
        n: int = 1,
        *,
        bytes_per_second: float = 1.0,
        headers: bool = False,
        path: str | None = None,
    ) -> None:
        """Answer the next n requests normally, but send the body a few bytes at a time,
        bytes_per_second in all: a slow link, or a server that keeps a client hanging on.
        headers=True trickles the status line and headers too; else they go at once."""
        rate = positive("bytes_per_second", bytes_per_second)
        delivery = Delivery(bytes_per_second=rate, trickle_headers=bool(headers))
        self._faults.add(Fault(FaultKind.TRICKLE, path, delivery=delivery), n)

    def reset_next(self, n: int = 1, *, after_bytes: int = 0, path: str | None = None) -> None:
        """Answer the next n requests normally as far as the status line, the headers and the
        first after_bytes bytes of the body, then reset the connection (a TCP RST), as a proxy
        or a crashed upstream does mid-body. The server did the work: a grant cut off this
        way minted its token (and spent a single-use refresh token or code)."""
        delivery = Delivery(reset_after=at_least_zero("after_bytes", after_bytes))
        self._faults.add(Fault(FaultKind.RESET, path, delivery=delivery), n)

    def oversized_next(
        self,
        n: int = 1,
        *,
        size: int = 600 * 2**20,
        content_length: bool = True,
        path: str | None = None,
    ) -> None:
        """Answer the next n requests with a 200 whose JSON body is `size` bytes (600 MiB by
        default: a token that never ends), made as it is sent, so the server holds none of it.
        content_length=False leaves the length out (the body ends when the connection closes),
        so that only counting the bytes read can stop a client."""
        delivery = Delivery(filler=at_least_zero("size", size), content_length=bool(content_length))
        self._faults.add(Fault(FaultKind.OVERSIZED, path, delivery=delivery), n)

    @property
    def pending_faults(self) -> int:
        return len(self._faults)
