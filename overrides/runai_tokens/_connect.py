"""client_for(): the generated Client, wired with retries and (given credentials) TokenAuth.

connect() (people/_default) finds what it was not given, a base URL and credentials, and
comes here with them: this module is the core's half, which takes them as given.

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

import ssl

import httpx

from . import _validate
from ._base_errors import InvalidArgumentType
from ._generated import Client
from ._validate import BaseUrl
from .auth import TokenAuth
from .auth._build import AnyCredentials, check_credentials, check_retry_policy
from .retry import HTTPTransports, RetryPolicy, RetryTransport

__all__ = ["client_for"]


def client_for(
    base_url: str | BaseUrl,
    credentials: AnyCredentials | httpx.Auth | None,
    *,
    name: str = "base_url",
    retry: RetryPolicy,
    timeout: float,
    verify: ssl.SSLContext | str | bool,
    proxy: str | httpx.URL | httpx.Proxy | None,
    limits: httpx.Limits | None,
    allow_insecure_http: bool,
) -> Client:
    """connect()'s client for base_url (named name in messages) and credentials, checked here
    (base_url only when it is not a BaseUrl, checked already).

    An httpx.Auth is used as is; one whose sends_credentials attribute is False adds nothing
    to a request, so plain http is fine for it.
    """
    url = _validate.checked_url(base_url, name=name)
    parsed = _validate.httpx_url(url, name=name)
    timeout = _validate.timeout(timeout)
    check_retry_policy(retry)
    verify = _validate.verify(verify)
    _validate.proxy(proxy)
    _validate.flag(allow_insecure_http, "allow_insecure_http")
    if limits is not None and not isinstance(limits, httpx.Limits):
        raise InvalidArgumentType(f"limits must be an httpx.Limits, got {type(limits).__name__}")
    auth = _auth_for(
        url, parsed, name, credentials, retry, timeout, verify, proxy, allow_insecure_http
    )
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


def _auth_for(
    url: BaseUrl,
    parsed: httpx.URL,
    name: str,
    credentials: AnyCredentials | httpx.Auth | None,
    retry: RetryPolicy,
    timeout: float,
    verify: ssl.SSLContext | str | bool,
    proxy: str | httpx.URL | httpx.Proxy | None,
    allow_insecure_http: bool,
) -> httpx.Auth | None:
    """The client's auth: credentials checked and wrapped in a TokenAuth (built from what was
    checked here, so that it checks nothing again), an httpx.Auth as is."""
    if credentials is not None and not isinstance(credentials, httpx.Auth):
        check_credentials(credentials)
    if (
        credentials is not None
        and not isinstance(credentials, TokenAuth)
        and getattr(credentials, "sends_credentials", True)
    ):
        # Whatever an auth adds to a request is a credential of some kind. A TokenAuth sends
        # its token only to its own origin, which it checked when it was built.
        _validate.insecure_http(url, allow=allow_insecure_http, name=name)
    if credentials is None or isinstance(credentials, httpx.Auth):
        return credentials
    return TokenAuth._from_checked(
        url, parsed, credentials, retry=retry, timeout=timeout, verify=verify, proxy=proxy
    )
