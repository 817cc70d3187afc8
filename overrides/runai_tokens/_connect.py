"""connect(): the generated Client, wired with retries and (given credentials) TokenAuth.

Everything goes through the generated Client's own extension point, httpx_args, which it passes
to both the httpx.Client and the httpx.AsyncClient it builds lazily. So the one RetryTransport
serves both (it is both kinds of transport), the one TokenAuth serves both (it is an httpx.Auth
with both flows), and every generated function (sync, asyncio, *_detailed) takes the returned
client unchanged:

    client = connect("https://tenant.run.ai", ClientCredentials.from_env())
    grant_token.sync(client=client, body=...)

Proxies are passed in (proxy=...), never read from HTTP(S)_PROXY: httpx ignores the environment
whenever a transport is given, as here, and configuration is read at the edge, not deep inside.
The proxy goes to both the client's RetryTransport and TokenAuth's.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping

import httpx

from . import _validate
from ._default import NOT_GIVEN, NoCredentialsFound, NotGiven, apply_defaults
from ._generated import Client
from .auth import TokenAuth
from .credentials import Credentials
from .retry import HTTPTransports, RetryPolicy, RetryTransport

__all__ = ["BASE_URL_VARIABLE", "connect"]

BASE_URL_VARIABLE = "RUNAI_BASE_URL"
_DEFAULT_RETRY = RetryPolicy()


def connect(
    base_url: str | None = None,
    credentials: Credentials | httpx.Auth | NotGiven | None = NOT_GIVEN,
    *,
    retry: RetryPolicy = _DEFAULT_RETRY,
    timeout: float = 30.0,
    verify: ssl.SSLContext | str | bool = True,
    proxy: str | httpx.URL | httpx.Proxy | None = None,
    limits: httpx.Limits | None = None,
    allow_insecure_http: bool = False,
) -> Client:
    """A generated runai_tokens_client.Client for the control plane at base_url.

    base_url: the tenant's URL (https://<tenant>.run.ai) or a self-hosted control plane's,
    possibly with a path prefix; RUNAI_BASE_URL when None, else a runai CLI session's. credentials:
    one of the credential classes (a TokenAuth is built for it, with the same retry, timeout,
    verify and proxy), an httpx.Auth to use as is (a TokenAuth shared between clients, say), None
    for no auth, or left out for default_credentials() (no auth when it finds nothing; a 401
    then raises MissingCredentialsError saying what was tried).
    verify: True, False, an ssl.SSLContext, or the path of a CA bundle (or a directory of them).
    proxy: an http(s):// or socks5:// proxy URL for every request, token requests included.
    limits: httpx.Limits for the client's connection pools (sync and async), httpx's default
    (100 connections, 20 kept alive) when None. N threads sharing the client keep N connections
    alive only with max_keepalive_connections of at least N; beyond it, a connection is closed
    when its request ends and opened again by the next.
    allow_insecure_http: with credentials, plain http is refused unless the host is loopback
    (127.0.0.0/8, ::1, localhost); True accepts it, with an InsecureHttpWarning once per origin.
    Without credentials plain http is fine.
    Raises ValueError or TypeError (the same ones TokenAuth raises, see _validate) for a
    missing or unusable base URL, timeout, retry, verify, proxy or credentials: here, never at
    the first request.
    """
    base_url, credentials = apply_defaults(base_url, credentials, os.environ)
    url, name = _resolve_base_url(base_url, os.environ)
    timeout = _validate.timeout(timeout)
    _validate.retry_policy(retry)
    verify = _validate.verify(verify)
    _validate.proxy(proxy)
    _validate.flag(allow_insecure_http, "allow_insecure_http")
    if limits is not None and not isinstance(limits, httpx.Limits):
        raise TypeError(f"limits must be an httpx.Limits, got {type(limits).__name__}")
    auth = _auth_for(url, name, credentials, retry, timeout, verify, proxy, allow_insecure_http)
    # No close hook is needed for a TokenAuth built here: its grants keep no idle connection.
    pool = {} if limits is None else {"limits": limits}
    transport = RetryTransport(retry, HTTPTransports(verify=verify, proxy=proxy, **pool))
    httpx_args: dict[str, object] = {"transport": transport}
    if auth is not None:
        httpx_args["auth"] = auth
    return Client(
        base_url=url,
        # A status openapi.yaml does not list raises the generator's UnexpectedStatus, not None.
        raise_on_unexpected_status=True,
        timeout=httpx.Timeout(timeout),
        verify_ssl=verify,
        httpx_args=httpx_args,
    )


def _resolve_base_url(base_url: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The base URL to use, checked, with surrounding whitespace stripped; and its name."""
    name = "base_url"
    if base_url is None:
        name = BASE_URL_VARIABLE
        base_url = environ.get(BASE_URL_VARIABLE, "")
        if not base_url.strip():
            raise ValueError(
                f"no base URL: pass connect(base_url=...) or set {BASE_URL_VARIABLE}, "
                "e.g. https://<tenant>.run.ai"
            )
    url = _validate.base_url(base_url, name=name)
    _validate.httpx_url(url, name=name)
    return url, name


def _auth_for(
    url: str,
    name: str,
    credentials: Credentials | httpx.Auth | None,
    retry: RetryPolicy,
    timeout: float,
    verify: ssl.SSLContext | str | bool,
    proxy: str | httpx.URL | httpx.Proxy | None,
    allow_insecure_http: bool,
) -> httpx.Auth | None:
    """The client's auth: credentials checked and wrapped in a TokenAuth, an httpx.Auth as is."""
    if credentials is not None and not isinstance(credentials, httpx.Auth):
        _validate.credentials(credentials)
    if credentials is not None and not isinstance(credentials, TokenAuth | NoCredentialsFound):
        # Whatever an auth adds to a request is a credential of some kind. A TokenAuth sends
        # its token only to its own origin, which it checked when it was built; the chain's
        # "nothing found" adds nothing.
        _validate.insecure_http(url, allow=allow_insecure_http, name=name)
    if credentials is None or isinstance(credentials, httpx.Auth):
        return credentials
    return TokenAuth(
        url,
        credentials,
        retry=retry,
        timeout=timeout,
        verify=verify,
        proxy=proxy,
        allow_insecure_http=allow_insecure_http,
    )
