"""RetryPolicy: what to retry, how often and for how long. A frozen value, checked on creation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from .. import _validate

# The checks are _validate's, shared with TokenAuth, connect() and the CLI. Times are converted
# to float (an int too large for one is infinite), so no later arithmetic can overflow.


def _int_at_least(minimum: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        _validate.count(value, attribute.name, minimum=minimum)

    return check


def _capacity(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _validate.count(value, attribute.name, minimum=0)


def _deadline(value: float) -> float:
    return _validate.seconds(value, "deadline", allow_infinite=True)


def _backoff_base(value: float) -> float:
    return _validate.seconds(value, "backoff_base", allow_zero=True)


def _backoff_max(value: float) -> float:
    return _validate.seconds(value, "backoff_max", allow_zero=True)


def _statuses(value: Iterable[int]) -> tuple[int, ...]:
    return _validate.statuses(value, "statuses")


@attrs.frozen
class RetryPolicy:
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

    max_attempts: int = attrs.field(default=3, validator=_int_at_least(1))
    deadline: float = attrs.field(default=60.0, converter=_deadline)
    backoff_base: float = attrs.field(default=0.5, converter=_backoff_base)
    backoff_max: float = attrs.field(default=8.0, converter=_backoff_max)
    statuses: tuple[int, ...] = attrs.field(
        default=(408, 429, 500, 502, 503, 504), converter=_statuses
    )
    budget_capacity: int | None = attrs.field(default=500, validator=_capacity)
    retry_cost: int = attrs.field(default=5, validator=_int_at_least(0))
    timeout_retry_cost: int = attrs.field(default=10, validator=_int_at_least(0))
    max_body_bytes: int = attrs.field(default=1 << 20, validator=_int_at_least(1))

    def __attrs_post_init__(self) -> None:
        if self.backoff_max < self.backoff_base:
            raise ValueError("backoff_max must not be below backoff_base")

    def backoff(self, retry: int, jitter: float) -> float:
        """The wait before retry number `retry` (1 for the first), given jitter in [0, 1)."""
        # Past 2**64 the cap has long won; bounding the exponent keeps the float finite.
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(retry - 1, 64))
        return ceiling * min(max(jitter, 0.0), 1.0)
