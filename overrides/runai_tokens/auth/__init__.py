"""TokenAuth: an httpx.Auth that keeps one valid token for any number of threads and tasks.

The flow follows httpx's own auth classes: a generator that yields the request, receives the
response, and may yield the request once more. Getting a token happens before the yield and
never holds a lock across it.

Which token a caller gets, and when a new one is fetched, is _keeper.TokenKeeper; where tokens
come from (grants, refresh tokens, fallback) is _source.TokenSource; when a token expires is
_token. A 2xx tells the keeper the token was accepted. After a 401, a newer token, if someone
already got one, is used for the replay without another request; the token that got it, if still
current, is dropped and replaced at once when it had been accepted (revoked), and at most once per
cooldown when it never was (the 401 goes to the caller in between): _keeper.Refusals.
"""

from __future__ import annotations

import datetime
import logging
import math
import random as _random
import ssl
import time
from collections.abc import AsyncGenerator, Callable, Generator

import httpx

from .._generated import TOKEN_PATHS
from .._token import AccessToken, Token
from .._validate import BaseUrl
from ..credentials import StaticToken
from ..retry import RetryPolicy
from ._build import AnyCredentials, check_endpoint, checked_arguments, grants_for, source_for
from ._grant import TokenEndpoint
from ._keeper import TokenKeeper
from ._source import SourceTiming, TokenSource

logger = logging.getLogger("runai_tokens.auth")


class TokenAuth(httpx.Auth):
    """Bearer auth with tokens from Run:ai's grant_token, for httpx.Client and AsyncClient.

    One instance serves any number of clients, threads, tasks and event loops, and makes one
    token request at a time for all of them.

    base_url: the control plane (https://<tenant>.run.ai), possibly with a path prefix.
    credentials: one of the credential classes. A StaticToken is sent as is, never refreshed. A
      person's session (SessionCredentials: LoginSession, RunaiCliSession) gives its own token
      source; a LoginSession's uses the stored login for this base_url (and refuses another).
    retry, verify, proxy: for the RetryTransport that token requests go through (transport
      replaces it). verify: True, False, an ssl.SSLContext or the path of a CA bundle (or of a
      directory of them). proxy: an http(s):// or socks5:// URL, not read from HTTP(S)_PROXY:
      pass it (the CLI does, at its edge).
    timeout: seconds, per token request attempt.
    token_endpoint: "auto" (default) grants through POST /api/v2/token (OAuth2, 2.24+) and, if
      the control plane answers 404 or 405 there, through POST /api/v1/token from then on; "v2"
      or "v1" pins one. Credentials whose grant v2 lacks (AppCredentials,
      ExternalTokenCredentials) always use v1, so "v2" refuses them.
    refresh_margin: seconds before expiry to refresh early. None: 10-20 % of the lifetime, with
      jitter. A number is used as is (capped at half the lifetime). Either way a token with under
      30 s (or a tenth of a short lifetime) left is never sent.
    clock, random: injectable for tests; clock must be monotonic.
    allow_insecure_http: credentials and tokens go over plain http only to a loopback host
      (127.0.0.0/8, ::1, localhost); True accepts another http host, with an
      InsecureHttpWarning once per origin.

    Bad arguments raise InvalidArgumentType or InvalidArgument (a TypeError, a ValueError) here
    (see _validate), never at the first request.

    Token requests use their own clients (one sync, one async per event loop): close() and
    aclose() close them. Token request failures raise ApiException from get_token(), aget_token()
    and from the httpx request the auth is attached to.
    """

    def __init__(
        self,
        base_url: str,
        credentials: AnyCredentials,
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
        allow_insecure_http: bool = False,
    ) -> None:
        # Everything fails here, not at the first request; messages never echo a value.
        checked_url, url, timeout, refresh_margin, verify = checked_arguments(
            base_url,
            credentials,
            retry=retry,
            timeout=timeout,
            token_endpoint=token_endpoint,
            refresh_margin=refresh_margin,
            verify=verify,
            proxy=proxy,
            allow_insecure_http=allow_insecure_http,
        )
        self._build(
            checked_url,
            url,
            credentials,
            retry=retry,
            timeout=timeout,
            token_endpoint=token_endpoint,
            refresh_margin=refresh_margin,
            verify=verify,
            proxy=proxy,
            transport=transport,
            clock=clock,
            random=random,
        )

    @classmethod
    def _from_checked(
        cls,
        base_url: BaseUrl,
        url: httpx.URL,
        credentials: AnyCredentials,
        *,
        retry: RetryPolicy,
        timeout: float,
        token_endpoint: TokenEndpoint = "auto",  # noqa: S107 - an endpoint's name, no secret
        verify: ssl.SSLContext | str | bool = True,
        proxy: str | httpx.URL | httpx.Proxy | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    ) -> TokenAuth:
        """A TokenAuth from arguments that connect() or the CLI checked where they entered, so
        that none is checked twice: url is base_url as httpx parses it (_validate.httpx_url),
        and plain http was allowed (or not needed) there. Only whether the credentials have a
        grant on token_endpoint is left to check. Raises InvalidArgument for that."""
        check_endpoint(token_endpoint, credentials)
        auth = cls.__new__(cls)
        auth._build(
            base_url,
            url,
            credentials,
            retry=retry,
            timeout=timeout,
            token_endpoint=token_endpoint,
            refresh_margin=None,
            verify=verify,
            proxy=proxy,
            transport=transport,
            clock=time.monotonic,
            random=_random.random,
        )
        return auth

    def _build(
        self,
        base_url: BaseUrl,
        url: httpx.URL,
        credentials: AnyCredentials,
        *,
        retry: RetryPolicy,
        timeout: float,
        token_endpoint: TokenEndpoint,
        refresh_margin: float | None,
        verify: ssl.SSLContext | str | bool,
        proxy: str | httpx.URL | httpx.Proxy | None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        clock: Callable[[], float],
        random: Callable[[], float],
    ) -> None:
        """The grants, the token source and the keeper, from checked arguments."""
        self._base_url = base_url
        self._origin = _origin(url)
        self._credentials = credentials
        self._clock = clock
        self._source: TokenSource | None = None
        # A waiter gives up on a stuck leader once the leader's own deadline is long past.
        wait_timeout = retry.deadline + timeout if math.isfinite(retry.deadline) else None
        if isinstance(credentials, StaticToken):  # sent as is: no grants, no source
            static = Token(credentials.access_token, clock(), None, None, None)
            self._keeper = TokenKeeper(
                None, static, clock=clock, random=random, wait_timeout=wait_timeout
            )
            return
        grants = grants_for(base_url, url, retry, timeout, token_endpoint, verify, proxy, transport)
        timing = SourceTiming(clock, random, refresh_margin, wait_timeout)
        self._source = source_for(credentials, base_url, grants, timing)
        self._keeper = TokenKeeper(
            self._source, None, clock=clock, random=random, wait_timeout=wait_timeout
        )

    def __repr__(self) -> str:
        url = httpx.URL(self._base_url).copy_with(username=None, password=None, query=None)
        return f"TokenAuth({str(url)!r}, {self._credentials!r})"

    # --- the bare token ---------------------------------------------------------------------

    def get_token(self) -> str:
        """A valid access token, fetching one if needed. Raises ApiException."""
        return self._keeper.acquire(None).access_token

    async def aget_token(self) -> str:
        """get_token() for asyncio; safe to mix with threads and other event loops."""
        return (await self._keeper.aacquire(None)).access_token

    def get_access_token(self) -> AccessToken:
        """get_token() with the token's expiry (an AccessToken). Raises ApiException."""
        return self._public(self._keeper.acquire(None))

    async def aget_access_token(self) -> AccessToken:
        """get_access_token() for asyncio."""
        return self._public(await self._keeper.aacquire(None))

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
        token = self._keeper.acquire(None)
        _authorize(request, token)
        response = yield request
        if self._should_replay(request, response, token):
            token = self._keeper.acquire(token)
            _authorize(request, token)
            response = yield request
        if 200 <= response.status_code < 300 and response.request is request:
            self._keeper.accepted(token)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self._wants_token(request):
            yield request
            return
        # A fresh token without a coroutine; only a missing or due one goes through aacquire.
        token = self._keeper.fresh() or await self._keeper.aacquire(None)
        _authorize(request, token)
        response = yield request
        if self._should_replay(request, response, token):
            token = await self._keeper.aacquire(token)
            _authorize(request, token)
            response = yield request
        if 200 <= response.status_code < 300 and response.request is request:
            self._keeper.accepted(token)

    def _should_replay(
        self, request: httpx.Request, response: httpx.Response, token: Token
    ) -> bool:
        """After a response: whether to send the request again with a new token.

        A 401 to a token the server accepted before means it stopped accepting it (revoked, or
        its signing key rotated): a new grant and one replay, when the body can be sent again.
        A token it never accepted is replaced at most once per cooldown (_keeper.Refusals).
        """
        if response.status_code != 401 or self._source is None:
            return False  # a static token has nothing to refresh with: its 401 is the caller's
        if not self._keeper.may_replace(token):
            return False  # in a cooldown: the API may refuse every token, the 401 is the caller's
        # The token is dropped either way: a body that cannot be sent again leaves the 401 to
        # the caller, and the next request gets the new token.
        return _replayable(request)

    def _wants_token(self, request: httpx.Request) -> bool:
        """Only requests to the control plane's own origin, and never the token operations.

        The token is a bearer credential for base_url: a client shared with other hosts (or an
        absolute URL to one) must not hand it to them.
        """
        url = request.url
        return _origin(url) == self._origin and not url.path.endswith(_TOKEN_PATHS)


# A tuple, for str.endswith: is_token_path's test in one call, on every request.
_TOKEN_PATHS = tuple(TOKEN_PATHS)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    scheme = url.scheme
    return scheme, url.host, url.port or _DEFAULT_PORTS.get(scheme)


def _authorize(request: httpx.Request, token: Token) -> None:
    request.headers["Authorization"] = f"Bearer {token.access_token}"


def _replayable(request: httpx.Request) -> bool:
    """Whether the body can be sent again: it is in memory, not a stream read once."""
    try:
        request.content  # noqa: B018 - raises RequestNotRead for a streaming body
    except httpx.RequestNotRead:
        return False
    return True


__all__ = ["TokenAuth"]
