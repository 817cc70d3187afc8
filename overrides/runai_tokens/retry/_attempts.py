"""One request's way through its attempts, free of I/O, so the sync and async drivers share it.

exchange() is a flow (runai_tokens._flow): it yields what to do next (Send a request, Read a
body, Discard an answer, Sleep) and is sent the outcome, or thrown the error. RetryTransport's
two drivers (_transport) do the I/O each action names. Every decision is an Attempts': give up
(hand the response back, or re-raise the error), retry after a delay, read a body inside the
loop, or stop because the server asked for a wait past the deadline. The rules it weighs (what is
safe to resend, Retry-After) are _rules', the limits it keeps (attempts, backoff, the budget) the
policy's.

The deadline bounds the whole exchange: every attempt's timeouts are cut to the time left, a body
read inside the loop is checked against it chunk by chunk, and the drivers stop an attempt that
outlives it (_deadline).
"""

from __future__ import annotations

import logging
import math
from typing import NamedTuple

import httpx

from .._flow import Flow
from ..errors import RetryAfterExceedsDeadline, parse_error_envelope
from ._deadline import Clock, DeadlineExceeded
from ._policy import RetryBudget, RetryPolicy
from ._rules import (
    LONGEST_RETRY_AFTER,
    Kind,
    error_is_retryable,
    is_replayable,
    kind_of,
    operation_of,
    retry_after_seconds,
    status_is_retryable,
)

# Method and path only: the query of a deprecated operation carries a refresh token or a code.
logger = logging.getLogger("runai_tokens.retry")

# A timer may fire this much before the moment it was set for.
_TIMER_SLACK = 0.01
_TIMEOUT_KEYS = ("connect", "read", "write", "pool")


# --- what the flow asks its driver to do --------------------------------------------------------


# NamedTuples: one is made per attempt, and connect() defines them at import, where a tuple is the
# cheapest record. They keep their request and response out of repr: a deprecated operation's URL
# carries a refresh token or a code in its query, and actions are locals a traceback can show.
class Send(NamedTuple):
    request: httpx.Request
    time_left: float  # seconds before the deadline, inf for none
    # A sync driver shuts the connection down at the deadline (token operations: _deadline.Cutoff).
    cut: bool = False

    def __repr__(self) -> str:
        return f"Send(time_left={self.time_left!r}, cut={self.cut!r})"


class Read(NamedTuple):
    """Read the body now, inside the retry loop, so a connection lost mid-body can be retried."""

    response: httpx.Response
    request: httpx.Request
    deadline: float  # on Clock.monotonic, inf for none
    time_left: float
    limit: int | None  # bytes; past it ApiException (token operations), None: no cap
    declared: int | None = None  # the answer's Content-Length, None when it gives none
    cut: bool = False

    def __repr__(self) -> str:
        return (
            f"Read(deadline={self.deadline!r}, time_left={self.time_left!r}, "
            f"limit={self.limit!r}, declared={self.declared!r}, cut={self.cut!r})"
        )


class Discard(NamedTuple):
    """Close an answer that will not be handed back; drain it first if small (its connection
    then goes back to the pool), within the deadline. Answered with the response, read or not."""

    read: Read


class Sleep(NamedTuple):
    seconds: float


Action = Send | Read | Discard | Sleep
Exchange = Flow[Action, httpx.Response | None, httpx.Response]


# --- the flow -------------------------------------------------------------------------------------


def exchange(attempts: Attempts) -> Exchange:
    """The attempts of one request, until a response to hand back or an error to raise."""
    while True:
        try:
            response = yield attempts.send()
            assert response is not None
            step = attempts.after_response(response)
            if step is None:
                read = attempts.read(response)
                if read is not None:
                    response = yield read
                    assert response is not None
                return attempts.finish(response)
            drained = yield Discard(attempts.drain(response))
            assert drained is not None
            if isinstance(step, TooLate):
                raise attempts.too_late(drained, step.retry_after)
        except httpx.TransportError as error:
            if attempts.after_error(error) is None:
                attempts.note_failure(error)
                if attempts.ran_out(error):
                    raise attempts.deadline_exceeded() from error
                raise
        yield Sleep(attempts.wait())


# --- the decisions --------------------------------------------------------------------------------


# The steps an Attempts decides: NamedTuples, one made per attempt, as the actions are.
class Retry(NamedTuple):
    delay: float


class TooLate(NamedTuple):
    retry_after: float


class Attempts:
    """The state of one request's attempts: count, deadline, the budget it last spent."""

    def __init__(
        self, request: httpx.Request, policy: RetryPolicy, budget: RetryBudget, clock: Clock
    ) -> None:
        self._original = request
        self._policy = policy
        self._budget = budget
        self._clock = clock
        self._operation = operation_of(request)
        self._token_operation = self._operation is not None
        self._kind_known: Kind | None = None  # see _kind
        self._replayable = is_replayable(request)
        # An absolute deadline, so "would this wait end past it" is one comparison of two
        # times rather than of a wait with a difference of times (which rounding can tip).
        self._deadline_at = clock.monotonic() + policy.deadline
        # The longest of the request's own timeouts (inf when one is None or missing): an
        # attempt with at least that much time left needs none of them cut.
        self._longest_timeout = _longest(request.extensions.get("timeout"))
        self._last_cost: int | None = None
        self._decided_at = 0.0
        self._delay = 0.0
        self.attempt = 1

    def send(self) -> Send:
        remaining = self._remaining()
        cut = self._token_operation and not math.isinf(remaining)
        return Send(self.request(remaining), remaining, cut)

    def request(self, remaining: float) -> httpx.Request:
        """What to send for this attempt: the request with its timeouts cut to the time left, so
        that no attempt, the first included, can wait on past the deadline."""
        left = max(remaining, 0.001)
        if self._longest_timeout <= left:  # every timeout ends before the deadline: no copy
            return self._original
        timeout = self._original.extensions.get("timeout")
        old = timeout if isinstance(timeout, dict) else dict.fromkeys(_TIMEOUT_KEYS)
        clamped = {key: left if value is None else min(value, left) for key, value in old.items()}
        return httpx.Request(
            self._original.method,
            self._original.url,
            headers=self._original.headers,
            stream=self._original.stream,
            extensions={**self._original.extensions, "timeout": clamped},
        )

    def read(self, response: httpx.Response) -> Read | None:
        """Whether to read the body inside the loop: always for a token operation (capped at
        the policy's max_body_bytes), and for a repeatable request whose answer declares a
        length within that cap. Anything else (a download, a stream of events) is handed back
        unread, for the caller to read or stream."""
        limit = self._policy.max_body_bytes
        declared = _declared(response)
        if self._token_operation:
            remaining = self._remaining()
            cut = not math.isinf(remaining)
            return Read(
                response, self._original, self._deadline_at, remaining, limit, declared, cut
            )
        if declared is not None and declared <= limit and self._kind is Kind.REPEATABLE:
            return Read(
                response, self._original, self._deadline_at, self._remaining(), None, declared
            )
        return None

    def drain(self, response: httpx.Response) -> Read:
        declared = _declared(response)
        return Read(response, self._original, self._deadline_at, self._remaining(), None, declared)

    def wait(self) -> float:
        """How long to sleep before the next attempt. The wait was chosen when the retry was
        decided; time spent since (draining the answer) counts towards it, as Retry-After
        counts from the answer."""
        spent = self._clock.monotonic() - self._decided_at
        return max(0.0, self._delay - max(spent, 0.0))

    def after_response(self, response: httpx.Response) -> Retry | TooLate | None:
        status = response.status_code
        if status not in self._policy.statuses:  # the common case, told without the kind
            return None
        if not status_is_retryable(self._kind, status, self._policy.statuses):
            return None
        retry_after = retry_after_seconds(response.headers, wall_clock=self._clock.wall)
        return self._decide(str(response.status_code), retry_after, self._policy.retry_cost)

    def after_error(self, error: Exception) -> Retry | None:
        if isinstance(error, DeadlineExceeded) or not error_is_retryable(self._kind, error):
            return None
        timed_out = isinstance(error, httpx.TimeoutException)
        cost = self._policy.timeout_retry_cost if timed_out else self._policy.retry_cost
        step = self._decide(type(error).__name__, None, cost)
        return step if isinstance(step, Retry) else None  # only a response can be too late

    def finish(self, response: httpx.Response) -> httpx.Response:
        response.extensions["attempts"] = self.attempt
        if response.status_code not in self._policy.statuses:
            self._budget.refund(self._last_cost if self._last_cost is not None else 1)
        return response

    def ran_out(self, error: Exception) -> bool:
        """A timeout that fired at the deadline: the attempt's timeouts were cut to it, so this
        is the deadline speaking, whichever timeout httpx names."""
        return (
            isinstance(error, httpx.TimeoutException)
            and not isinstance(error, DeadlineExceeded)
            and self._clock.monotonic() >= self._deadline_at - _TIMER_SLACK
        )

    def deadline_exceeded(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            "the retry deadline passed while an attempt was still waiting", request=self._original
        )

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
        now = self._clock.monotonic()
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
            delay = self._policy.backoff(self.attempt, self._clock.random())
            if now + delay >= self._deadline_at:
                return None
        else:
            delay = retry_after
        if not self._budget.try_spend(cost):
            logger.debug("not retrying %s %s: the retry budget is spent", method, path)
            return None
        self._last_cost = cost
        self._decided_at, self._delay = now, delay
        logger.debug(
            "retrying %s %s after %s (attempt %d of %d) in %.3fs",
            method, path, reason, self.attempt + 1, self._policy.max_attempts, delay,
        )  # fmt: skip
        self.attempt += 1
        return Retry(delay)

    @property
    def _kind(self) -> Kind:
        """The request's kind, decided when a retry is first weighed: most requests are answered
        at once with a status no rule retries, and a grant's kind reads its body."""
        if self._kind_known is None:
            self._kind_known = kind_of(self._original, self._operation)
        return self._kind_known

    def _remaining(self) -> float:
        return self._deadline_at - self._clock.monotonic()


def _declared(response: httpx.Response) -> int | None:
    """The length a response's Content-Length declares, None when it declares none."""
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


def _longest(timeout: object) -> float:
    """The longest of a request's timeouts; inf when one is None (no limit) or there are none."""
    if not isinstance(timeout, dict) or not timeout or None in timeout.values():
        return math.inf
    longest: float = max(timeout.values())
    return longest
