"""The Token value object: an access token and when to stop using it.

Times are on the caller's monotonic clock, anchored at the START of the token request: the server
counts the lifetime from when it issued the token, which is after we asked, so anchoring at the
start errs on the safe side by the round trip. Wall-clock time is never compared with a JWT's
claims unless the token lacks `iat`, so a skewed host clock does not matter.

Two moments per token divide its life into three states (TokenState):
- fresh until refresh_at; stale from there: the next caller refreshes early, while the token
  still works. The margin before expiry scales with the lifetime and carries jitter drawn once
  per token, so a fleet that started together spreads its refreshes out.
- invalid from invalid_at: the token is never sent again; callers wait for a new one. It leaves
  30 s, or a tenth of a short lifetime, for the request to reach the server before the token
  expires.
A token with no known lifetime has neither moment, stays fresh, and is used until a 401.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import enum
import math
import time
from collections.abc import Callable
from typing import Any, TypeGuard

from ._untrusted import UntrustedJsonError, json_object
from ._value import Value

# Never send a token with less than this left (or a tenth of the lifetime, if that is shorter).
MIN_REMAINING = 30.0
# The scaled default margin: refresh when between 10 % and 20 % of the lifetime is left.
MARGIN_FRACTION = 0.10
MARGIN_JITTER = 0.10
# A fixed margin is capped here so a margin longer than the lifetime cannot refresh on every call.
MAX_MARGIN_FRACTION = 0.5
# After a failed early refresh, the current token is kept and the refresh retried this much later.
MAX_COOLDOWN = 30.0
COOLDOWN_FRACTION = 0.05
# A longer lifetime (an expiresIn or exp of 10**400, say, or inf) is taken as this: the token is
# refreshed within a year at the latest, and no expiry ever overflows a float or a datetime.
MAX_LIFETIME = 365 * 24 * 3600.0
# A JWT's payload is a few KB (a Keycloak token with many groups, tens of KB): a longer one is
# not read, and the token counts as opaque.
MAX_PAYLOAD = 256 * 1024


class AccessToken(Value):
    """A valid access token and when it expires, for code that needs more than the string.

    expires_at is an aware UTC datetime: when the server's stated lifetime (expiresIn, else the
    JWT's exp - iat) runs out, counted from when the token was asked for. None when the token
    says nothing about its lifetime (an opaque token without expiresIn). The token is kept out
    of repr() and str().
    """

    __slots__ = _fields = ("token", "expires_at")
    _hidden = frozenset({"token"})
    token: str
    expires_at: datetime.datetime | None

    def __init__(self, token: str, expires_at: datetime.datetime | None) -> None:
        self._set(token, expires_at)

    def __str__(self) -> str:
        return repr(self)


class TokenState(enum.Enum):
    """Where a token is in its life at a given moment (google-auth's TokenState, on our clock)."""

    FRESH = "fresh"  # sent as it is
    STALE = "stale"  # still sent, but past refresh_at: the next caller refreshes it early
    INVALID = "invalid"  # past invalid_at: never sent again; callers wait for a new one


FRESH, STALE, INVALID = TokenState.FRESH, TokenState.STALE, TokenState.INVALID


class Token:
    """An access token; compared by identity, which is how a 401 tells "mine" from "newer".

    A plain class, not a Value (never changed after it is made): identity is what a plain
    class compares by.
    """

    __slots__ = ("access_token", "invalid_at", "lifetime", "obtained_at", "refresh_at")

    def __init__(
        self,
        access_token: str,
        obtained_at: float,
        lifetime: float | None,
        refresh_at: float | None,
        invalid_at: float | None,
    ) -> None:
        self.access_token = access_token
        self.obtained_at = obtained_at
        self.lifetime = lifetime
        self.refresh_at = refresh_at
        self.invalid_at = invalid_at

    def __repr__(self) -> str:  # the token stays out of tracebacks and logs
        return (
            f"Token(obtained_at={self.obtained_at!r}, lifetime={self.lifetime!r}, "
            f"refresh_at={self.refresh_at!r}, invalid_at={self.invalid_at!r})"
        )

    def state(self, now: float) -> TokenState:
        if self.invalid_at is not None and now >= self.invalid_at:
            return INVALID
        if self.refresh_at is not None and now >= self.refresh_at:
            return STALE
        return FRESH

    def public(self, now: float, wall_now: datetime.datetime) -> AccessToken:
        """This token as an AccessToken; now is the monotonic clock's reading at wall_now."""
        if self.lifetime is None:
            return AccessToken(self.access_token, None)
        left = self.obtained_at + self.lifetime - now
        return AccessToken(self.access_token, wall_now + datetime.timedelta(seconds=left))


def make_token(
    access_token: str,
    *,
    obtained_at: float,
    lifetime: float | None,
    refresh_margin: float | None,
    random: Callable[[], float],
) -> Token:
    if lifetime is None:
        return Token(access_token, obtained_at, None, None, None)
    floor = min_remaining(lifetime)
    margin = max(floor, margin_for(lifetime, refresh_margin, random))
    expires_at = obtained_at + lifetime
    return Token(access_token, obtained_at, lifetime, expires_at - margin, expires_at - floor)


def cooldown_for(lifetime: float) -> float:
    """How long to wait before trying again after a failed early refresh."""
    return min(MAX_COOLDOWN, lifetime * COOLDOWN_FRACTION)


def min_remaining(lifetime: float) -> float:
    """How much life a token must have left to be sent."""
    return min(MIN_REMAINING, lifetime / 10)


def margin_for(lifetime: float, fixed: float | None, random: Callable[[], float]) -> float:
    """How long before expiry to refresh early: fixed when given, else scaled with jitter."""
    if fixed is not None:
        return min(fixed, lifetime * MAX_MARGIN_FRACTION)
    return lifetime * (MARGIN_FRACTION + MARGIN_JITTER * random())


def lifetime_of(
    access_token: str, expires_in: object, *, wall_clock: Callable[[], float] = time.time
) -> float | None:
    """Seconds the token lives: expiresIn when sent, else the JWT's exp - iat, else None.

    At most MAX_LIFETIME, however large the number the server sent.
    """
    if _number(expires_in) and expires_in > 0:
        return _clamped(expires_in)
    return jwt_lifetime(access_token, wall_clock=wall_clock)


def jwt_lifetime(token: str, *, wall_clock: Callable[[], float] = time.time) -> float | None:
    """exp - iat from a JWT's payload (signature not checked), or None for an opaque token.

    Without iat the lifetime is counted from the wall clock, the best that is left.
    """
    claims = jwt_claims(token)
    if claims is None or not _number(claims.get("exp")):
        return None
    exp, iat = claims["exp"], claims.get("iat")
    issued = iat if _number(iat) else wall_clock()
    if not exp > issued:  # comparing an int with a float is exact; NaN (inf - inf) fails too
        return None
    try:
        return _clamped(exp - issued)  # exact for two ints of any size
    except OverflowError:  # an int past any float minus a float
        return MAX_LIFETIME


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a compact JWS, base64url-decoded with its padding restored; None when the
    token is not one (an opaque token), or its payload is not JSON by _untrusted's rules."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1] or len(parts[1]) > MAX_PAYLOAD * 4 // 3 + 4:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        return json_object(base64.urlsafe_b64decode(payload.encode("ascii")), limit=MAX_PAYLOAD)
    except (UntrustedJsonError, binascii.Error, UnicodeError):
        return None


def _number(value: object) -> TypeGuard[float]:
    """A JSON number, however large (json reads 1e400 as inf, and 10**400 as an exact int)."""
    if isinstance(value, float):
        return not math.isnan(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _clamped(lifetime: float) -> float:
    # min() compares an int with a float exactly, without converting the int.
    return float(min(lifetime, MAX_LIFETIME))
