"""Refusals: after a 401, whether the token that got it is replaced now or the 401 goes back.

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

import math
from collections.abc import Callable

from .._token import Token


class Refusals:
    """The state of the rule above; the keeper calls it under its lock."""

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
