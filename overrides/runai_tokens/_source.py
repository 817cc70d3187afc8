"""TokenSource: where tokens come from. The credentials, the newest refresh token, grant_token.

A fetch prefers the newest refresh token received (from RefreshTokenCredentials, or from any
earlier grant: the service may rotate them, so the newest is the one that works). When the
refresh fails (rejected, or a 5xx or dropped connection, after which a refresh is never retried),
the primary credentials are used instead, where there are any.

The fetch is written once, as a generator that yields the grant to make and is sent the
response (or thrown the ApiException), and driven by fetch() or afetch(); so the sync and async
paths cannot drift apart.

Only a single-flight leader calls fetch(), and flights never overlap, so the refresh token needs
no lock of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator

from ._generated import TokenRequest, TokenResponse
from ._grant import REJECTED, Grants
from ._token import Token, lifetime_of, make_token
from .credentials import GrantCredentials, RefreshTokenCredentials, client_id_of, refresh_request
from .errors import ApiException, RetryAfterExceedsDeadline

logger = logging.getLogger("runai_tokens.auth")

_FetchFlow = Generator[TokenRequest, TokenResponse, Token]


class TokenSource:
    def __init__(
        self,
        credentials: GrantCredentials,
        grants: Grants,
        *,
        clock: Callable[[], float],
        random: Callable[[], float],
        refresh_margin: float | None,
    ) -> None:
        self._credentials = credentials
        self.grants = grants
        self._clock = clock
        self._random = random
        self._refresh_margin = refresh_margin
        self._primary = None if isinstance(credentials, RefreshTokenCredentials) else credentials
        self._refresh_token = (
            credentials.refresh_token if isinstance(credentials, RefreshTokenCredentials) else None
        )

    def fetch(self) -> Token:
        flow = self._flow()
        try:
            body = next(flow)
            while True:
                try:
                    response = self.grants.grant(body)
                except ApiException as exc:
                    body = flow.throw(exc)
                else:
                    body = flow.send(response)
        except StopIteration as stop:
            token: Token = stop.value
            return token

    async def afetch(self) -> Token:
        flow = self._flow()
        try:
            body = next(flow)
            while True:
                try:
                    response = await self.grants.agrant(body)
                except ApiException as exc:
                    body = flow.throw(exc)
                else:
                    body = flow.send(response)
        except StopIteration as stop:
            token: Token = stop.value
            return token

    def _flow(self) -> _FetchFlow:
        started = self._clock()
        if self._refresh_token is None:
            assert self._primary is not None  # only RefreshTokenCredentials lack one
            response = yield self._primary.token_request()
        else:
            try:
                response = yield refresh_request(
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
                started = self._clock()
                response = yield self._primary.token_request()
        if isinstance(response.refresh_token, str) and response.refresh_token:
            self._refresh_token = response.refresh_token
        access_token = response.access_token
        assert isinstance(access_token, str)  # Grants checked it
        token = make_token(
            access_token,
            obtained_at=started,
            lifetime=lifetime_of(access_token, response.expires_in),
            refresh_margin=self._refresh_margin,
            random=self._random,
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
