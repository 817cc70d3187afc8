"""TokenSource: where tokens come from. The credentials, the newest refresh token, grant_token.

A fetch prefers the newest refresh token received (from RefreshTokenCredentials, or from any
earlier grant: the service may rotate them, so the newest is the one that works). When the
refresh fails (rejected, or a 5xx or dropped connection, after which a refresh is never retried),
the primary credentials are used instead, where there are any.

The fetch is written once, as a generator that yields the credentials to grant with and is sent
what the grant brought (or thrown the ApiException), driven by fetch() or afetch() through
_flow; so the sync and async paths cannot drift apart.

Only a single-flight leader calls fetch(), and flights never overlap, so the refresh token needs
no lock of its own.

SessionCredentials is the protocol the people layer implements for credentials that a person's
session stands behind (RunaiCliSession, LoginSession): TokenAuth does not grant with them, it asks
them for their own TokenSource, so the core names none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from typing import ClassVar, Protocol, runtime_checkable

from .._flow import arun, run
from .._token import Token, lifetime_of, make_token
from .._value import Value
from ..credentials import GrantCredentials, RefreshTokenCredentials, client_id_of
from ..errors import ApiException, RetryAfterExceedsDeadline
from ._grant import REJECTED, Granted, Grants

logger = logging.getLogger("runai_tokens.auth")

# A fetch yields the credentials to grant with and is sent what the grant brought.
_FetchFlow = Generator[GrantCredentials, Granted, Token]


class SourceTiming(Value):
    """How a token source tells time and makes its tokens: TokenAuth's monotonic clock and
    jitter, its refresh margin, and how long a fetch may wait for another caller's refresh of
    the same session (None: no deadline)."""

    __slots__ = _fields = ("clock", "random", "refresh_margin", "wait_timeout")
    clock: Callable[[], float]
    random: Callable[[], float]
    refresh_margin: float | None
    wait_timeout: float | None

    def __init__(
        self,
        clock: Callable[[], float],
        random: Callable[[], float],
        refresh_margin: float | None,
        wait_timeout: float | None = None,
    ) -> None:
        self._set(clock, random, refresh_margin, wait_timeout)

    def token(self, access_token: str, *, obtained_at: float, lifetime: float | None) -> Token:
        """A Token obtained at obtained_at (this clock's reading), with this refresh margin."""
        return make_token(
            access_token,
            obtained_at=obtained_at,
            lifetime=lifetime,
            refresh_margin=self.refresh_margin,
            random=self.random,
        )


@runtime_checkable
class SessionCredentials(Protocol):
    """Credentials that bring their own TokenSource (see the module docstring).

    since: the first control-plane version they work with. grants_on_v2: whether their source
    grants through the token endpoint (so token_endpoint="v2" suits them), or never grants.
    """

    since: ClassVar[str]
    grants_on_v2: ClassVar[bool]

    def token_source(self, base_url: str, grants: Grants, timing: SourceTiming) -> TokenSource:
        """Where TokenAuth for base_url (already checked) gets its tokens."""
        ...


class TokenSource:
    def __init__(self, credentials: GrantCredentials, grants: Grants, timing: SourceTiming) -> None:
        self._credentials = credentials
        self.grants = grants
        self._timing = timing
        self._primary = None if isinstance(credentials, RefreshTokenCredentials) else credentials
        self._refresh_token = (
            credentials.refresh_token if isinstance(credentials, RefreshTokenCredentials) else None
        )

    def fetch(self) -> Token:
        return run(self._flow(), self.grants.grant)

    async def afetch(self) -> Token:
        return await arun(self._flow(), self.grants.agrant)

    def _flow(self) -> _FetchFlow:
        started = self._timing.clock()
        if self._refresh_token is None:
            assert self._primary is not None  # only RefreshTokenCredentials lack one
            granted = yield self._primary
        else:
            try:
                granted = yield RefreshTokenCredentials(
                    self._refresh_token, client_id_of(self._credentials)
                )
            except ApiException as exc:
                # Any failed refresh falls back, not only a rejected one: a refresh grant is not
                # retried after a 500 or a dropped connection (the token may have been spent),
                # while the primary credentials can be. A server that asked us to wait past the
                # deadline is not asked again at once, though.
                if self._primary is None or isinstance(exc, RetryAfterExceedsDeadline):
                    raise
                what = "rejected" if exc.status in REJECTED else "failed"
                logger.info(
                    "refresh token %s (%s); using the primary credentials", what, describe(exc)
                )
                self._refresh_token = None
                started = self._timing.clock()
                granted = yield self._primary
        if granted.refresh_token is not None:
            self._refresh_token = granted.refresh_token
        return self.token(granted, started)

    def token(self, granted: Granted, started: float) -> Token:
        """The Token a grant brought, asked for at `started` (on our clock)."""
        token = self._timing.token(
            granted.access_token,
            obtained_at=started,
            lifetime=lifetime_of(granted.access_token, granted.expires_in),
        )
        logger.debug(
            "got a token (lifetime %s s, early refresh after %s s)",
            _seconds(token.lifetime),
            _seconds(None if token.refresh_at is None else token.refresh_at - started),
        )
        return token


def describe(exc: Exception) -> str:
    """An exception for a log line: ApiException's str() is secret-free, others by type only."""
    return str(exc) if isinstance(exc, ApiException) else type(exc).__name__


def _seconds(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.3g}"
