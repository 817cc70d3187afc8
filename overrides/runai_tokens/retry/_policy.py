"""How hard to try: RetryPolicy, what to retry, how often and for how long (a frozen value,
checked on creation); and RetryBudget, the fleet-wide limit the policy sizes.

The budget follows botocore's retry quota. Each retry spends tokens (more for a timeout, which
ties up a connection for longer); a request that succeeds puts some back. While a service keeps
failing the budget drains and the transport stops retrying altogether, so a fleet of clients does
not multiply the load on a service that is already down. Success refills it, one request at a
time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .. import _validate
from .._base_errors import InvalidArgument
from .._value import Value

# The checks are _validate's, shared with TokenAuth, connect() and the CLI. Times are converted
# to float (an int too large for one is infinite), so no later arithmetic can overflow.


class RetryPolicy(Value):
    """How RetryTransport retries.

    max_attempts counts every send, the first included (1 turns retrying off). deadline is one
    monotonic budget in seconds over all attempts and waits (math.inf for none): no wait is begun
    that would end past it. Waits are full-jitter exponential backoff, a random share of
    min(backoff_max, backoff_base * 2**n), unless the server says how long with Retry-After.
    statuses are the answers worth another try.

    budget_capacity is a retry budget shared by every request through one transport (None: no
    budget): each retry costs retry_cost, or timeout_retry_cost after a timeout; a success
    refunds what its last retry cost, or 1 if it needed none. An empty budget means no retries
    until successes refill it.

    max_body_bytes caps the body of a token operation's answer (1 MiB; a token is a few KiB):
    past it, ApiException without reading further. Those bodies are read inside the retry loop,
    as are other answers to repeatable requests that declare a Content-Length up to this size,
    so a connection lost mid-body is retried like one lost before the status line.
    """

    __slots__ = _fields = (
        "max_attempts",
        "deadline",
        "backoff_base",
        "backoff_max",
        "statuses",
        "budget_capacity",
        "retry_cost",
        "timeout_retry_cost",
        "max_body_bytes",
    )
    max_attempts: int
    deadline: float
    backoff_base: float
    backoff_max: float
    statuses: tuple[int, ...]
    budget_capacity: int | None
    retry_cost: int
    timeout_retry_cost: int
    max_body_bytes: int

    def __init__(
        self,
        max_attempts: int = 3,
        deadline: float = 60.0,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        statuses: Iterable[int] = (408, 429, 500, 502, 503, 504),
        budget_capacity: int | None = 500,
        retry_cost: int = 5,
        timeout_retry_cost: int = 10,
        max_body_bytes: int = 1 << 20,
    ) -> None:
        # The times and statuses are converted first, then the counts checked: with several
        # bad arguments, the first of that order is the one reported.
        deadline = _validate.seconds(deadline, "deadline", allow_infinite=True)
        backoff_base = _validate.seconds(backoff_base, "backoff_base", allow_zero=True)
        backoff_max = _validate.seconds(backoff_max, "backoff_max", allow_zero=True)
        statuses = _validate.statuses(statuses, "statuses")
        _validate.count(max_attempts, "max_attempts", minimum=1)
        if budget_capacity is not None:
            _validate.count(budget_capacity, "budget_capacity", minimum=0)
        _validate.count(retry_cost, "retry_cost", minimum=0)
        _validate.count(timeout_retry_cost, "timeout_retry_cost", minimum=0)
        _validate.count(max_body_bytes, "max_body_bytes", minimum=1)
        if backoff_max < backoff_base:
            raise InvalidArgument("backoff_max must not be below backoff_base")
        self._set(
            max_attempts,
            deadline,
            backoff_base,
            backoff_max,
            statuses,
            budget_capacity,
            retry_cost,
            timeout_retry_cost,
            max_body_bytes,
        )

    def backoff(self, retry: int, jitter: float) -> float:
        """The wait before retry number `retry` (1 for the first), given jitter in [0, 1)."""
        # Past 2**64 the cap has long won; bounding the exponent keeps the float finite.
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(retry - 1, 64))
        return ceiling * min(max(jitter, 0.0), 1.0)


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
