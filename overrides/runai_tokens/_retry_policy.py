"""RetryPolicy: what to retry, how often and for how long. A frozen value, checked on creation."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs


def _int_at_least(minimum: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{attribute.name} must be an int, got {type(value).__name__}")
        if value < minimum:
            raise ValueError(f"{attribute.name} must be at least {minimum}, got {value}")

    return check


def _seconds(*, allow_zero: bool, allow_infinite: bool) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{attribute.name} must be a number of seconds, got {value!r}")
        if math.isnan(value) or (math.isinf(value) and not allow_infinite):
            raise ValueError(f"{attribute.name} must be finite, got {value!r}")
        if value < 0 or (value == 0 and not allow_zero):
            bound = "zero or more" if allow_zero else "more than zero"
            raise ValueError(f"{attribute.name} must be {bound} seconds, got {value!r}")

    return check


def _to_statuses(value: Iterable[int]) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"statuses must be a collection of ints, got {value!r}")
    items = list(value)
    for status in items:
        if isinstance(status, bool) or not isinstance(status, int):
            raise TypeError(f"statuses must hold ints, got {status!r}")
        if not 100 <= status <= 599:
            raise ValueError(f"statuses must be HTTP statuses (100-599), got {status}")
    return tuple(sorted(set(items)))


def _capacity(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _int_at_least(0)(_, attribute, value)


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
    deadline: float = attrs.field(
        default=60.0, validator=_seconds(allow_zero=False, allow_infinite=True)
    )
    backoff_base: float = attrs.field(
        default=0.5, validator=_seconds(allow_zero=True, allow_infinite=False)
    )
    backoff_max: float = attrs.field(
        default=8.0, validator=_seconds(allow_zero=True, allow_infinite=False)
    )
    statuses: tuple[int, ...] = attrs.field(
        default=(408, 429, 500, 502, 503, 504), converter=_to_statuses
    )
    budget_capacity: int | None = attrs.field(default=500, validator=_capacity)
    retry_cost: int = attrs.field(default=5, validator=_int_at_least(0))
    timeout_retry_cost: int = attrs.field(default=10, validator=_int_at_least(0))
    max_body_bytes: int = attrs.field(default=1 << 20, validator=_int_at_least(1))

    def __attrs_post_init__(self) -> None:
        if self.backoff_max < self.backoff_base:
            raise ValueError(
                f"backoff_max ({self.backoff_max!r}) must not be below backoff_base "
                f"({self.backoff_base!r})"
            )

    def backoff(self, retry: int, jitter: float) -> float:
        """The wait before retry number `retry` (1 for the first), given jitter in [0, 1)."""
        # Past 2**64 the cap has long won; bounding the exponent keeps the float finite.
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(retry - 1, 64))
        return ceiling * min(max(jitter, 0.0), 1.0)
