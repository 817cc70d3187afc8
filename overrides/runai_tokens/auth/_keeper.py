"""TokenKeeper: the one token TokenAuth shares, and how a caller gets it.

State, under one lock (the single-flight's): the current Token (or None), replaced only by a
flight's leader; the cooldown after a failed early refresh; a rejected grant, remembered
briefly so a fleet of callers with bad credentials does not hammer the token endpoint; and what
the API did with our tokens (Refusals), which decides whether a 401 costs a grant.

Deciding what a caller does (`_plan`), by the current token's state (_token.TokenState):
- fresh, or stale but someone is already refreshing or we are cooling down after a failure: use
  it, don't wait;
- stale: lead an early refresh; if it fails, keep the token (warning);
- invalid or none, and a grant rejected moments ago: that rejection again, without a request;
- invalid or none: join the flight in progress, or lead one; waiters share its outcome.

The decision is written once, as a flow (runai_tokens._flow) that yields Wait or Lead and is
sent the token; acquire() and aacquire() drive it, sync and async.

After a 401, Refusals says whether the token that got it is replaced now or the 401 goes back.
A token the API has accepted and then refuses was revoked (or its signing key rotated): it is
replaced at once, and a revocation costs one grant and no 401 to any caller.

Accepted means a 2xx answer to the very request that carried the token. Other answers prove
nothing: a 403, 404, 429 or 5xx may come from a proxy, a router or a rate limiter in front of the
API that never looked at the token, and an answer reached through a redirect is another request's,
which may not have carried the token at all.

A token refused before it was ever accepted is what an API that refuses every token looks like
(a wrong audience, a gateway that rejects bearer tokens): replacing it on every 401 would cost a
grant per request. It is replaced once, and that starts a cooldown (2 to 5 s, jittered so a fleet
that failed together does not retry together) during which no 401 costs a grant, an accepted
token's included: behind such an API an endpoint that ignores tokens would make each new token
look accepted, and a grant per call of it would be the same storm.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from .._flow import Flow, arun, run
from .._token import FRESH, INVALID, Token, cooldown_for
from ..errors import ApiException
from ._singleflight import Abandoned, SingleFlight
from ._source import TokenSource, describe

if TYPE_CHECKING:
    from concurrent.futures import Future

logger = logging.getLogger("runai_tokens.auth")

# The statuses that mean "these credentials are refused", as opposed to "try again later".
REJECTED = frozenset({400, 401, 403})
# How long a rejected grant is remembered, and how long a 401 for a token that was never
# accepted holds off the next replacement (see Refusals): a few seconds, jittered so a fleet that
# failed together does not retry together.
REJECTION_COOLDOWN = 2.0
REJECTION_JITTER = 3.0


# What the keeper's flow asks its driver to do. NamedTuples: the cheapest records to define, and
# connect() defines them at import.
class Wait(NamedTuple):
    future: Future[Token]


class Lead(NamedTuple):
    future: Future[Token]
    # For an early refresh: the stale token to fall back on if the refresh fails.
    current: Token | None


_KeeperFlow = Flow[Wait | Lead, Token, Token]


class TokenKeeper:
    """One token for every thread and task; see the module docstring for the rules.

    wait_timeout bounds how long a caller waits for another's token request (None: no bound);
    the leader's own request is bounded by its retry deadline.
    """

    def __init__(
        self,
        source: TokenSource | None,
        token: Token | None,
        *,
        clock: Callable[[], float],
        random: Callable[[], float],
        wait_timeout: float | None,
    ) -> None:
        self._source = source
        self._token = token
        self._clock = clock
        self._random = random
        self._wait_timeout = wait_timeout
        self._flight: SingleFlight[Token] = SingleFlight()
        self._cooldown_until = -math.inf
        self._rejection: ApiException | None = None
        self._rejected_until = -math.inf
        self._refusals = Refusals(self._rejection_cooldown)

    # --- the drivers ---------------------------------------------------------------------------

    def fresh(self) -> Token | None:
        """The current token if it is fresh, else None (then acquire() decides).

        Read without the lock: `_plan` would hand this token back without changing anything,
        and the token is read once, as one reference, so no half-made state is ever seen. Every
        request with a fresh token takes this path, so it takes no lock and makes no generator.
        """
        token = self._token
        if token is None:
            return None
        now = self._clock()
        return token if token.state(now) is FRESH else None

    def acquire(self, rejected: Token | None) -> Token:
        """A token to send; `rejected` is one that just got a 401. Raises ApiException."""
        if rejected is None and (token := self.fresh()) is not None:
            return token
        # Every failure goes into the flow: Abandoned makes a waiter claim again, and a failed
        # early refresh falls back on the stale token.
        return run(self._flow(rejected), self._step, catch=Exception)

    async def aacquire(self, rejected: Token | None) -> Token:
        """acquire() for asyncio; safe to mix with threads and other event loops."""
        if rejected is None and (token := self.fresh()) is not None:
            return token
        return await arun(self._flow(rejected), self._astep, catch=Exception)

    def _step(self, ask: Wait | Lead) -> Token:
        if isinstance(ask, Wait):
            return self._flight.wait(ask.future, self._wait_timeout)
        return self._flight.lead(
            ask.future, self._fetch, self._commit, self._failed_with(ask.current)
        )

    async def _astep(self, ask: Wait | Lead) -> Token:
        if isinstance(ask, Wait):
            return await self._flight.await_flight(ask.future, self._wait_timeout)
        return await self._flight.alead(
            ask.future, self._afetch, self._commit, self._failed_with(ask.current)
        )

    # --- the decision, once --------------------------------------------------------------------

    def _flow(self, rejected: Token | None) -> _KeeperFlow:
        while True:
            with self._flight.lock:
                plan = self._plan(rejected)
            if isinstance(plan, Token):
                return plan
            if isinstance(plan, Wait):
                try:
                    return (yield plan)
                except Abandoned:
                    continue  # the leader stopped without an outcome: claim again
            try:
                return (yield plan)
            except Exception as exc:
                return self._keep_current(exc, plan.current)

    def _plan(self, rejected: Token | None) -> Token | Wait | Lead:
        """What this caller does now; runs under the lock."""
        now = self._clock()
        token = self._token
        if rejected is not None and token is rejected:
            token = self._token = None
        if token is not None and (state := token.state(now)) is not INVALID:
            if state is FRESH or rejected is not None:
                return token
            if self._flight.busy or now < self._cooldown_until:
                return token  # stale, and refreshing already or cooling down after a failure
            future, _ = self._flight.claim()
            return Lead(future, token)  # stale: lead an early refresh
        if self._rejection is not None and now < self._rejected_until:
            raise _again(self._rejection)
        future, leads = self._flight.claim()
        return Lead(future, None) if leads else Wait(future)

    def accepted(self, token: Token) -> None:
        """A 2xx came back for a request that carried `token` (see Refusals for why only that).

        Every request with a 2xx calls this: after the first for a token, it takes no lock.
        Under the lock, a token that is no longer current is not recorded, so a late answer for
        an old token never hides the acceptance of the current one.
        """
        if self._refusals.accepted is token:
            return
        with self._flight.lock:
            if self._token is token:
                self._refusals.accepted = token

    def may_replace(self, token: Token) -> bool:
        """After a 401 with `token`: whether to get another and replay.

        A token already replaced or dropped: yes, and the replay joins the one grant in flight or
        uses its result, so any number of callers with the same 401 cost one grant. The current
        token: as Refusals decides; a yes drops it at once. A no sends the 401 to the caller.
        """
        with self._flight.lock:
            if self._token is not token:
                return True
            if not self._refusals.replace(token, self._clock()):
                return False
            self._token = None
            return True

    # --- the leader's side ---------------------------------------------------------------------

    def _fetch(self) -> Token:
        assert self._source is not None  # a static token is always fresh
        return self._source.fetch()

    async def _afetch(self) -> Token:
        assert self._source is not None
        return await self._source.afetch()

    def _commit(self, token: Token) -> None:
        self._token = token
        self._cooldown_until = -math.inf
        self._rejection = None

    def _failed_with(self, current: Token | None) -> Callable[[Exception], None]:
        def failed(exc: Exception) -> None:
            now = self._clock()
            if current is not None and current.lifetime is not None:
                self._cooldown_until = now + cooldown_for(current.lifetime)
            elif isinstance(exc, ApiException) and exc.status in REJECTED:
                self._rejection = exc
                self._rejected_until = now + self._rejection_cooldown()

        return failed

    def _rejection_cooldown(self) -> float:
        return REJECTION_COOLDOWN + REJECTION_JITTER * self._random()

    def _keep_current(self, exc: Exception, current: Token | None) -> Token:
        """After a failed early refresh, the token we still have, unless it is invalid by now."""
        if current is None or current.state(self._clock()) is INVALID or current is not self._token:
            raise exc
        assert current.lifetime is not None  # only tokens with a lifetime are ever stale
        logger.warning(
            "early token refresh failed (%s); keeping the current token, retrying in %.3g s",
            describe(exc),
            cooldown_for(current.lifetime),
        )
        return current


class Refusals:
    """The state of the 401 rule (module docstring); the keeper calls it under its lock."""

    def __init__(self, cooldown: Callable[[], float]) -> None:
        self._cooldown = cooldown
        self._cooling_until = -math.inf
        # The token that got a 2xx, once the keeper has seen one for its current token.
        self.accepted: Token | None = None

    def replace(self, token: Token, now: float) -> bool:
        """Whether `token`, just refused, is replaced now; a cooldown running says no."""
        if now < self._cooling_until:
            return False
        if token is not self.accepted:
            self._cooling_until = now + self._cooldown()
        return True


def _again(exc: ApiException) -> ApiException:
    """The remembered rejection, as a fresh exception: several threads may raise it at once,
    and each raise writes its own traceback into the object. Built without calling the
    constructor, whose signature differs between subclasses."""
    again = type(exc).__new__(type(exc))
    again.__dict__.update(exc.__dict__)
    again.args = exc.args
    again.__cause__ = exc.__cause__
    return again
