"""TokenAuth: an httpx.Auth that keeps one valid token for any number of threads and tasks.

The flow follows httpx's own auth classes: a generator that yields the request, receives the
response, and may yield the request once more. Getting a token happens before the yield and
never holds a lock across it.

Token state, under one lock (the single-flight's): the current Token (or None), replaced only by
a flight's leader, and the cooldown after a failed early refresh. Where tokens come from (grants,
refresh tokens, fallback) is _source.TokenSource; when a token expires is _token.

Deciding what a caller does (`_plan`):
- a usable token that is not due, or due but someone is already refreshing or we are cooling
  down after a failure: use it, don't wait;
- a usable token that is due: lead an early refresh; if it fails, keep the token (warning);
- no usable token: join the flight in progress, or lead one; waiters share its outcome.
After a 401, the token that got it is dropped (if it is still current) so nobody sends it again;
a newer token, if someone already got one, is used for the replay without another request.
"""

from __future__ import annotations

import datetime
import functools
import logging
import math
import random as _random
import ssl
import time
from collections.abc import AsyncGenerator, Callable, Generator
from concurrent.futures import Future

import attrs
import httpx

from ._generated import is_token_path
from ._grant import TOKEN_ENDPOINTS, Grants, TokenEndpoint
from ._singleflight import Abandoned, SingleFlight
from ._source import TokenSource, describe
from ._token import AccessToken, Token, cooldown_for
from ._untrusted import port_problem
from .credentials import (
    CREDENTIAL_NAMES,
    Credentials,
    StaticToken,
)
from .retry import HTTPTransports, RetryPolicy, RetryTransport

logger = logging.getLogger("runai_tokens.auth")

# Token requests are rare (one per token lifetime), so their connections are not kept: nothing
# is left open between fetches, to leak or to outlive the event loop that opened it.
_NO_KEEPALIVE = httpx.Limits(max_connections=10, max_keepalive_connections=0)


@attrs.frozen
class _Flight:
    future: Future[Token]
    leads: bool
    # For an early refresh: the still-usable token to fall back on if the refresh fails.
    current: Token | None


class TokenAuth(httpx.Auth):
    """Bearer auth with tokens from Run:ai's grant_token, for httpx.Client and AsyncClient.

    One instance serves any number of clients, threads, tasks and event loops, and makes one
    token request at a time for all of them.

    base_url: the control plane (https://<tenant>.run.ai), possibly with a path prefix.
    credentials: one of the credential classes. A StaticToken is sent as is, never refreshed.
    retry, verify, proxy: for the RetryTransport that token requests go through (transport
      replaces it). The proxy is not read from HTTP(S)_PROXY: pass it (the CLI does, at its edge).
    timeout: seconds, per token request attempt.
    token_endpoint: "auto" (default) grants through POST /api/v2/token (OAuth2, 2.24+) and, if
      the control plane answers 404 or 405 there, through POST /api/v1/token from then on; "v2"
      or "v1" pins one. Credentials whose grant v2 lacks (AppCredentials,
      ExternalTokenCredentials) always use v1, so "v2" refuses them.
    refresh_margin: seconds before expiry to refresh early. None: 10-20 % of the lifetime, with
      jitter. A number is used as is (capped at half the lifetime). Either way a token with under
      30 s (or a tenth of a short lifetime) left is never sent.
    clock, random: injectable for tests; clock must be monotonic.

    Token requests use their own clients (one sync, one async per event loop): close() and
    aclose() close them. Token request failures raise ApiException from get_token(), aget_token()
    and from the httpx request the auth is attached to.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so a shared default is safe
        timeout: float = 30.0,
        token_endpoint: TokenEndpoint = "auto",  # noqa: S107 - an endpoint's name, no secret
        refresh_margin: float | None = None,
        verify: ssl.SSLContext | str | bool = True,
        proxy: str | httpx.URL | httpx.Proxy | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = _random.random,
    ) -> None:
        _check(base_url, credentials, timeout=timeout, refresh_margin=refresh_margin)
        _check_endpoint(token_endpoint, credentials)
        self._base_url = base_url
        self._origin = _origin(httpx.URL(base_url))
        self._credentials = credentials
        self._clock = clock
        self._flight: SingleFlight[Token] = SingleFlight()
        self._cooldown_until = float("-inf")
        self._token: Token | None = None
        self._source: TokenSource | None = None
        if isinstance(credentials, StaticToken):
            self._token = Token(credentials.access_token, clock(), None, None, None)
            return
        grants = Grants(
            base_url,
            transport=(
                (lambda: transport)
                if transport is not None
                else (
                    lambda: RetryTransport(
                        retry, HTTPTransports(verify=verify, proxy=proxy, limits=_NO_KEEPALIVE)
                    )
                )
            ),
            timeout=timeout,
            endpoint=token_endpoint,
        )
        self._source = TokenSource(
            credentials, grants, clock=clock, random=random, refresh_margin=refresh_margin
        )

    def __repr__(self) -> str:
        url = httpx.URL(self._base_url).copy_with(username=None, password=None, query=None)
        return f"TokenAuth({str(url)!r}, {self._credentials!r})"

    # --- the bare token ---------------------------------------------------------------------

    def get_token(self) -> str:
        """A valid access token, fetching one if needed. Raises ApiException."""
        return self._acquire(None).access_token

    async def aget_token(self) -> str:
        """get_token() for asyncio; safe to mix with threads and other event loops."""
        return (await self._aacquire(None)).access_token

    def get_access_token(self) -> AccessToken:
        """get_token() with the token's expiry (an AccessToken). Raises ApiException."""
        return self._public(self._acquire(None))

    async def aget_access_token(self) -> AccessToken:
        """get_access_token() for asyncio."""
        return self._public(await self._aacquire(None))

    def _public(self, token: Token) -> AccessToken:
        return token.public(self._clock(), datetime.datetime.now(datetime.UTC))

    def close(self) -> None:
        """Closes the sync client used for token requests."""
        if self._source is not None:
            self._source.grants.close()

    async def aclose(self) -> None:
        """Closes the async client used for token requests on the running event loop."""
        if self._source is not None:
            await self._source.grants.aclose()

    # --- httpx.Auth ----------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        if not self._wants_token(request):
            yield request
            return
        token = self._acquire(None)
        _authorize(request, token)
        response = yield request
        if response.status_code != 401 or self._source is None:
            return  # a static token has nothing to refresh with: its 401 is the caller's
        if _replayable(request):
            _authorize(request, self._acquire(token))
            yield request
        else:
            self._forget(token)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self._wants_token(request):
            yield request
            return
        token = await self._aacquire(None)
        _authorize(request, token)
        response = yield request
        if response.status_code != 401 or self._source is None:
            return  # a static token has nothing to refresh with: its 401 is the caller's
        if _replayable(request):
            _authorize(request, await self._aacquire(token))
            yield request
        else:
            self._forget(token)

    def _wants_token(self, request: httpx.Request) -> bool:
        """Only requests to the control plane's own origin, and never the token operations.

        The token is a bearer credential for base_url: a client shared with other hosts (or an
        absolute URL to one) must not hand it to them.
        """
        return _origin(request.url) == self._origin and not is_token_path(request.url.path)

    def _forget(self, rejected: Token) -> None:
        """A 401 we cannot replay still means the token is bad: the next caller gets a new one."""
        with self._flight.lock:
            if self._token is rejected:
                self._token = None

    # --- single-flight -------------------------------------------------------------------------

    def _acquire(self, rejected: Token | None) -> Token:
        while True:
            with self._flight.lock:
                plan = self._plan(rejected)
            if isinstance(plan, Token):
                return plan
            if not plan.leads:
                try:
                    return self._flight.wait(plan.future)
                except Abandoned:
                    continue
            assert self._source is not None  # a static token is always usable
            try:
                return self._flight.lead(
                    plan.future,
                    self._source.fetch,
                    self._commit,
                    functools.partial(self._failed, plan.current),
                )
            except Exception as exc:
                return self._keep_current(exc, plan.current)

    async def _aacquire(self, rejected: Token | None) -> Token:
        while True:
            with self._flight.lock:
                plan = self._plan(rejected)
            if isinstance(plan, Token):
                return plan
            if not plan.leads:
                try:
                    return await self._flight.await_flight(plan.future)
                except Abandoned:
                    continue
            assert self._source is not None  # a static token is always usable
            try:
                return await self._flight.alead(
                    plan.future,
                    self._source.afetch,
                    self._commit,
                    functools.partial(self._failed, plan.current),
                )
            except Exception as exc:
                return self._keep_current(exc, plan.current)

    def _plan(self, rejected: Token | None) -> Token | _Flight:
        """What this caller does now; runs under the lock."""
        now = self._clock()
        token = self._token
        if rejected is not None and token is rejected:
            token = self._token = None
        if token is not None and token.usable(now):
            if rejected is not None or not token.due(now):
                return token
            if self._flight.busy or now < self._cooldown_until:
                return token
            future, _ = self._flight.claim()
            return _Flight(future, True, token)
        future, leads = self._flight.claim()
        return _Flight(future, leads, None)

    def _commit(self, token: Token) -> None:
        self._token = token
        self._cooldown_until = float("-inf")

    def _failed(self, current: Token | None, exc: Exception) -> None:
        if current is not None and current.lifetime is not None:
            self._cooldown_until = self._clock() + cooldown_for(current.lifetime)

    def _keep_current(self, exc: Exception, current: Token | None) -> Token:
        """After a failed early refresh, the token we still have, if it is still usable."""
        if current is None or not current.usable(self._clock()) or current is not self._token:
            raise exc
        assert current.lifetime is not None  # only tokens with a lifetime are ever due
        logger.warning(
            "early token refresh failed (%s); keeping the current token, retrying in %.3g s",
            describe(exc),
            cooldown_for(current.lifetime),
        )
        return current


def _check(
    base_url: str, credentials: Credentials, *, timeout: float, refresh_margin: float | None
) -> None:
    """Fail at construction, not at the first request. Messages never echo a value."""
    if not isinstance(credentials, Credentials):
        names = CREDENTIAL_NAMES
        raise TypeError(f"credentials must be one of {names}; got {type(credentials).__name__}")
    if (problem := port_problem(base_url)) is not None:  # httpx takes 99999, and fails later
        raise ValueError(f"base_url {problem}")
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError):
        raise ValueError("base_url is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("base_url must be an http(s) URL with a host")
    if not (isinstance(timeout, int | float) and 0 < timeout < math.inf):
        raise ValueError("timeout must be a positive number of seconds")
    if refresh_margin is not None and not (
        isinstance(refresh_margin, int | float) and 0 <= refresh_margin < math.inf
    ):
        raise ValueError("refresh_margin must be None or a number of seconds, 0 or more")


def _check_endpoint(endpoint: object, credentials: Credentials) -> None:
    if endpoint not in TOKEN_ENDPOINTS:
        raise ValueError(f"token_endpoint must be one of {', '.join(TOKEN_ENDPOINTS)}")
    if (
        endpoint == "v2"
        and not isinstance(credentials, StaticToken)
        and credentials.oauth2_request() is None
    ):
        raise ValueError(
            f"{type(credentials).__name__} has no grant on /api/v2/token: "
            "use token_endpoint='v1' or 'auto'"
        )


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default_port


def _authorize(request: httpx.Request, token: Token) -> None:
    request.headers["Authorization"] = f"Bearer {token.access_token}"


def _replayable(request: httpx.Request) -> bool:
    """Whether the body can be sent again: it is in memory, not a stream read once."""
    try:
        request.content  # noqa: B018 - raises RequestNotRead for a streaming body
    except httpx.RequestNotRead:
        return False
    return True
