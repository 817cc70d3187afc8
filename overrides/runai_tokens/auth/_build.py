"""What TokenAuth is made of, from its arguments: the checks they pass first (unless connect() or
the CLI checked them where they entered), then the grants (with the transport their requests go
through) and the token source for the kind of credentials.

Apart from TokenAuth because it runs once, at construction, while the rest of TokenAuth is the
per-request flow; the two read better each on its own.
"""

from __future__ import annotations

import ssl

import httpx

from .. import _validate
from .._base_errors import InvalidArgument, InvalidArgumentType
from .._validate import BaseUrl
from ..credentials import CORE_CREDENTIALS, Credentials, GrantCredentials, StaticToken
from ..retry import HTTPTransports, RetryPolicy, RetryTransport
from ._grant import TOKEN_ENDPOINTS, Grants, TokenEndpoint
from ._source import SessionCredentials, SourceTiming, TokenSource

# What TokenAuth takes: the core's credential classes, or a session's (the people layer's).
AnyCredentials = Credentials | SessionCredentials
# The people layer's SessionCredentials, named for the message only (tests/test_layers.py
# checks the names against the classes).
_SESSION_NAMES = ("RunaiCliSession", "LoginSession")
CREDENTIAL_NAMES = ", ".join([*(kind.__name__ for kind in CORE_CREDENTIALS), *_SESSION_NAMES])

# Token requests are rare (one per token lifetime), so their connections are not kept: nothing
# is left open between fetches, to leak or to outlive the event loop that opened it.
_NO_KEEPALIVE = httpx.Limits(max_connections=10, max_keepalive_connections=0)


def checked_arguments(
    base_url: str,
    credentials: AnyCredentials,
    *,
    retry: RetryPolicy,
    timeout: float,
    token_endpoint: object,
    refresh_margin: float | None,
    verify: object,
    proxy: object,
    allow_insecure_http: bool,
) -> tuple[BaseUrl, httpx.URL, float, float | None, ssl.SSLContext | str | bool]:
    """The base URL (checked, and as httpx parses it), the timeout, the refresh margin and
    verify, checked with the rest: TokenAuth's edge. Raises InvalidArgumentType or
    InvalidArgument, naming the argument, never its value."""
    checked_url = _validate.checked_url(base_url)
    check_credentials(credentials)
    timeout = _validate.timeout(timeout)
    check_retry_policy(retry)
    checked_verify = _validate.verify(verify)
    _validate.proxy(proxy)
    if refresh_margin is not None:
        refresh_margin = _validate.seconds(refresh_margin, "refresh_margin", allow_zero=True)
    check_endpoint(token_endpoint, credentials)
    url = _validate.httpx_url(checked_url)
    _validate.insecure_http(checked_url, allow=allow_insecure_http)
    return checked_url, url, timeout, refresh_margin, checked_verify


def grants_for(
    base_url: str,
    url: httpx.URL,
    retry: RetryPolicy,
    timeout: float,
    token_endpoint: TokenEndpoint,
    verify: ssl.SSLContext | str | bool,
    proxy: str | httpx.URL | httpx.Proxy | None,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
) -> Grants:
    """The grants, through transport if given, else a RetryTransport of their own."""
    return Grants(
        base_url,
        transport=(
            (lambda: transport)
            if transport is not None
            else (
                lambda: RetryTransport(
                    retry,
                    HTTPTransports(
                        verify=_grant_verify(url, verify), proxy=proxy, limits=_NO_KEEPALIVE
                    ),
                )
            )
        ),
        timeout=timeout,
        endpoint=token_endpoint,
    )


def check_credentials(value: object) -> None:
    """value is one of the credential classes (connect() also takes an httpx.Auth: it checks
    that first). Strict on purpose: httpx would take a (user, secret) tuple as Basic auth."""
    if not isinstance(value, (*CORE_CREDENTIALS, SessionCredentials)):
        raise InvalidArgumentType(
            f"credentials must be one of {CREDENTIAL_NAMES} (connect() also takes an "
            f"httpx.Auth); got {_validate.type_name(value, CORE_CREDENTIALS)}"
        )


def check_retry_policy(value: object, name: str = "retry") -> None:
    if not isinstance(value, RetryPolicy):
        raise InvalidArgumentType(
            f"{name} must be a RetryPolicy, not {_validate.type_name(value, [RetryPolicy])}"
        )


def source_for(
    credentials: GrantCredentials | SessionCredentials,
    base_url: str,
    grants: Grants,
    timing: SourceTiming,
) -> TokenSource:
    """Where tokens for credentials come from (a StaticToken has no source: it is the token)."""
    if isinstance(credentials, SessionCredentials):  # a session's own source
        return credentials.token_source(base_url, grants, timing)
    return TokenSource(credentials, grants, timing)


def check_endpoint(endpoint: object, credentials: AnyCredentials) -> None:
    """endpoint is a token endpoint's name, on which credentials have a grant."""
    if endpoint not in TOKEN_ENDPOINTS:
        raise InvalidArgument(f"token_endpoint must be one of {', '.join(TOKEN_ENDPOINTS)}")
    if endpoint != "v2" or isinstance(credentials, StaticToken):
        return
    if (
        not credentials.grants_on_v2
        if isinstance(credentials, SessionCredentials)
        else credentials.oauth2_request() is None
    ):
        raise InvalidArgument(
            f"{type(credentials).__name__} has no grant on /api/v2/token: "
            "use token_endpoint='v1' or 'auto'"
        )


def _grant_verify(
    url: httpx.URL, verify: ssl.SSLContext | str | bool
) -> ssl.SSLContext | str | bool:
    """What the grants' transport verifies TLS with.

    The grants go to this origin only and follow no redirect, so for a plain-http origin they
    never make a TLS connection: loading the CA store for them (a second time, after the
    client's) cost some 20 ms of the first call. Their context then has no CA at all and fails
    closed, should a TLS connection ever be tried.
    """
    if url.scheme == "http" and not isinstance(verify, ssl.SSLContext):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return verify
