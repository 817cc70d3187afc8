"""A retry budget shared by every request through one transport, after botocore's retry quota.

Each retry spends tokens (more for a timeout, which ties up a connection for longer); a request
that succeeds puts some back. While a service keeps failing the budget drains and the transport
stops retrying altogether, so a fleet of clients does not multiply the load on a service that is
already down. Success refills it, one request at a time.
"""

from __future__ import annotations

import threading


class RetryBudget:
    """A thread-safe token bucket. capacity None means retries are never limited by budget.

    Only non-blocking work happens under the lock, so the same budget serves threads and asyncio
    tasks alike.
    """

    def __init__(self, capacity: int | None) -> None:
        self._capacity = capacity
        self._available = capacity
        self._lock = threading.Lock()

    @property
    def available(self) -> int | None:
        with self._lock:
            return self._available

    def try_spend(self, cost: int) -> bool:
        """Take cost tokens if there are that many; False (and take nothing) otherwise."""
        with self._lock:
            if self._available is None:
                return True
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, amount: int) -> None:
        """Put tokens back after a success, never above capacity."""
        if self._available == self._capacity:
            # Full (or unlimited): nothing to put back, told without the lock. A spend racing
            # this read ends as if it came after the refund, which a lock would allow too.
            return
        with self._lock:
            if self._available is None or self._capacity is None:
                return
            self._available = min(self._capacity, self._available + amount)
