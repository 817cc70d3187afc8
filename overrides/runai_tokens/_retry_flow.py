"""One request's way through its attempts, free of I/O so the sync and async transports share it.

The transport sends, then asks an Attempts what to do with the outcome: give up (None: hand the
response back, or re-raise the error), Retry after a delay, or stop because the server asked for
a wait past the deadline (TooLate). Closing responses and sleeping stay with the transport.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import attrs
import httpx

from ._retry_after import LONGEST_RETRY_AFTER, retry_after_seconds
from ._retry_budget import RetryBudget
from ._retry_policy import RetryPolicy
from ._retry_rules import classify, error_is_retryable, is_replayable, status_is_retryable
from .errors import RetryAfterExceedsDeadline, parse_error_envelope

# Method and path only: the query of a deprecated operation carries a refresh token or a code.
logger = logging.getLogger("runai_tokens.retry")


@attrs.frozen
class Retry:
    delay: float


@attrs.frozen
class TooLate:
    retry_after: float


@attrs.frozen
class Clocks:
    monotonic: Callable[[], float]
    wall: Callable[[], float]
    random: Callable[[], float]


class Attempts:
    """The state of one request's attempts: count, start time, the budget it last spent."""

    def __init__(
        self, request: httpx.Request, policy: RetryPolicy, budget: RetryBudget, clocks: Clocks
    ) -> None:
        self._original = request
        self._policy = policy
        self._budget = budget
        self._clocks = clocks
        self._kind = classify(request)
        self._replayable = is_replayable(request)
        # An absolute deadline, so "would this wait end past it" is one comparison of two
        # times rather than of a wait with a difference of times (which rounding can tip).
        self._deadline_at = clocks.monotonic() + policy.deadline
        self._last_cost: int | None = None
        self.attempt = 1

    def request(self) -> httpx.Request:
        """What to send for this attempt. The first goes as the client built it; a retry's
        timeouts are cut to the time left, so a retry cannot hang on past the deadline."""
        remaining = self._remaining()
        if self.attempt == 1 or math.isinf(remaining):
            return self._original
        left = max(remaining, 0.001)
        timeout = self._original.extensions.get("timeout")
        keys = ("connect", "read", "write", "pool")
        old = timeout if isinstance(timeout, dict) else dict.fromkeys(keys)
        clamped = {key: left if value is None else min(value, left) for key, value in old.items()}
        return httpx.Request(
            self._original.method,
            self._original.url,
            headers=self._original.headers,
            stream=self._original.stream,
            extensions={**self._original.extensions, "timeout": clamped},
        )

    def after_response(self, response: httpx.Response) -> Retry | TooLate | None:
        if not status_is_retryable(self._kind, response.status_code, self._policy.statuses):
            return None
        retry_after = retry_after_seconds(response.headers, wall_clock=self._clocks.wall)
        return self._decide(str(response.status_code), retry_after, self._policy.retry_cost)

    def after_error(self, error: Exception) -> Retry | None:
        if not error_is_retryable(self._kind, error):
            return None
        timed_out = isinstance(error, httpx.TimeoutException)
        cost = self._policy.timeout_retry_cost if timed_out else self._policy.retry_cost
        step = self._decide(type(error).__name__, None, cost)
        return step if isinstance(step, Retry) else None  # only a response can be TooLate

    def finish(self, response: httpx.Response) -> httpx.Response:
        response.extensions["attempts"] = self.attempt
        if response.status_code not in self._policy.statuses:
            self._budget.refund(self._last_cost if self._last_cost is not None else 1)
        return response

    def note_failure(self, error: Exception) -> None:
        if self.attempt > 1:
            error.add_note(f"runai_tokens.retry: gave up after {self.attempt} attempts")

    def too_late(self, response: httpx.Response, retry_after: float) -> RetryAfterExceedsDeadline:
        """The error for a response (already read, or unreadable) that asked for too long a wait."""
        try:
            body: str | None = response.text
        except httpx.ResponseNotRead:
            body = None
        return RetryAfterExceedsDeadline(
            response.status_code,
            retry_after=retry_after,
            attempts=self.attempt,
            headers=response.headers,
            body=body,
            error=parse_error_envelope(body),
        )

    def _decide(self, reason: str, retry_after: float | None, cost: int) -> Retry | TooLate | None:
        method, path = self._original.method, self._original.url.path
        if not self._replayable or self.attempt >= self._policy.max_attempts:
            return None
        now = self._clocks.monotonic()
        remaining = self._deadline_at - now
        if remaining <= 0:
            return None
        if retry_after is not None and (
            retry_after > LONGEST_RETRY_AFTER or now + retry_after >= self._deadline_at
        ):
            logger.debug(
                "not retrying %s %s: asked to wait %.3fs, %.3fs left before the deadline",
                method, path, retry_after, max(remaining, 0.0),
            )  # fmt: skip
            return TooLate(retry_after)
        if retry_after is None:
            delay = self._policy.backoff(self.attempt, self._clocks.random())
            if now + delay >= self._deadline_at:
                return None
        else:
            delay = retry_after
        if not self._budget.try_spend(cost):
            logger.debug("not retrying %s %s: the retry budget is spent", method, path)
            return None
        self._last_cost = cost
        logger.debug(
            "retrying %s %s after %s (attempt %d of %d) in %.3fs",
            method, path, reason, self.attempt + 1, self._policy.max_attempts, delay,
        )  # fmt: skip
        self.attempt += 1
        return Retry(delay)

    def _remaining(self) -> float:
        return self._deadline_at - self._clocks.monotonic()
