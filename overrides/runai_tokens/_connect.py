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

import math
import os
import ssl
from collections.abc import Mapping

import httpx

from ._generated import Client
from ._redact import install_log_redaction
from ._untrusted import port_problem
from .auth import TokenAuth
from .credentials import (
    CREDENTIAL_NAMES,
    Credentials,
)
from .retry import HTTPTransports, RetryPolicy, RetryTransport

__all__ = ["BASE_URL_VARIABLE", "connect"]

BASE_URL_VARIABLE = "RUNAI_BASE_URL"
_DEFAULT_RETRY = RetryPolicy()


def connect(
    base_url: str | None = None,
    credentials: Credentials | httpx.Auth | None = None,
    *,
    retry: RetryPolicy = _DEFAULT_RETRY,
    timeout: float = 30.0,
    verify: ssl.SSLContext | str | bool = True,
    proxy: str | httpx.URL | httpx.Proxy | None = None,
) -> Client:
    """A generated runai_tokens_client.Client for the control plane at base_url.

    base_url: the tenant's URL (https://<tenant>.run.ai) or a self-hosted control plane's,
    possibly with a path prefix; RUNAI_BASE_URL when None. credentials: one of the credential
    classes (a TokenAuth is built for it, with the same retry, timeout, verify and proxy), an
    httpx.Auth to use as is (a TokenAuth shared between clients, say), or None for no auth.
    proxy: an HTTP(S) proxy URL for every request, token requests included.
    Raises ValueError for a missing or unusable base URL or timeout, TypeError for other
    credentials.
    """
    url = _resolve_base_url(base_url, os.environ)
    if isinstance(timeout, bool) or not (
        isinstance(timeout, int | float) and 0 < timeout < math.inf
    ):
        raise ValueError("timeout must be a positive number of seconds")
    auth = _auth(url, credentials, retry=retry, timeout=timeout, verify=verify, proxy=proxy)
    install_log_redaction()
    # No close hook is needed for a TokenAuth built here: its grants keep no idle connection.
    transport = RetryTransport(retry, HTTPTransports(verify=verify, proxy=proxy))
    httpx_args: dict[str, object] = {"transport": transport}
    if auth is not None:
        httpx_args["auth"] = auth
    return Client(
        base_url=url,
        timeout=httpx.Timeout(timeout),
        verify_ssl=verify,
        httpx_args=httpx_args,
    )


def _resolve_base_url(base_url: str | None, environ: Mapping[str, str]) -> str:
    """The base URL to use, checked. Error messages never echo the value: a token pasted into
    the wrong argument would otherwise end up in a traceback."""
    name = "base_url"
    if base_url is None:
        name = BASE_URL_VARIABLE
        base_url = environ.get(BASE_URL_VARIABLE, "")
        if not base_url.strip():
            raise ValueError(
                f"no base URL: pass connect(base_url=...) or set {BASE_URL_VARIABLE}, "
                "e.g. https://<tenant>.run.ai"
            )
    elif not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    base_url = base_url.strip()
    if (problem := port_problem(base_url)) is not None:  # httpx takes 99999, and fails later
        raise ValueError(f"{name} {problem}")
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        raise ValueError(f"{name} is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"{name} must be an http:// or https:// URL with a host, e.g. https://<tenant>.run.ai"
        )
    if url.userinfo:
        raise ValueError(f"{name} must not carry a user or password; pass credentials= instead")
    if url.query or url.fragment:
        raise ValueError(f"{name} must not have a query or fragment")
    return base_url


def _auth(
    base_url: str,
    credentials: Credentials | httpx.Auth | None,
    *,
    retry: RetryPolicy,
    timeout: float,
    verify: ssl.SSLContext | str | bool,
    proxy: str | httpx.URL | httpx.Proxy | None,
) -> httpx.Auth | None:
    if credentials is None or isinstance(credentials, httpx.Auth):
        return credentials
    # Strict on purpose: httpx would take a (user, secret) tuple as basic auth and send it.
    if not isinstance(credentials, Credentials):
        names = CREDENTIAL_NAMES
        raise TypeError(
            f"credentials must be one of {names}, or an httpx.Auth; "
            f"got {type(credentials).__name__}"
        )
    return TokenAuth(
        base_url, credentials, retry=retry, timeout=timeout, verify=verify, proxy=proxy
    )
