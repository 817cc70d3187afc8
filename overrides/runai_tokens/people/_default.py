"""default_credentials(): credentials found by themselves, the way google.auth.default() and
botocore's provider chain find theirs; and connect(), which uses them when given none.

The order is _chain's: RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET (ClientCredentials),
RUNAI_EXTERNAL_TOKEN (ExternalTokenCredentials), a `runai-token login` session (LoginSession: the
login for the base URL, connect()'s or RUNAI_BASE_URL, else the most recent), a runai CLI v2
session (RunaiCliSession). Whether a session still works is said when it is used, with the
command that fixes it. Nothing found is a MissingCredentialsError listing what was tried; half
a service account (RUNAI_CLIENT_ID without RUNAI_CLIENT_SECRET, or the reverse) is one naming
both, not a reason to go on to a person's session.
Looking for a login reads the login index only: the keyring is imported when a token is fetched
from a login kept there, never to search.

connect() uses the chain when it is given no credentials argument, and the base URL follows it:
RUNAI_BASE_URL, else the session's own control plane. When the chain finds nothing, connect()
goes on without auth (the token operations need none), and a 401 from any other call raises the
MissingCredentialsError, so the person learns what was looked for instead of a bare 401.
"""

from __future__ import annotations

import enum
import os
import ssl
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import ClassVar

import httpx

from .. import _validate
from .._base_errors import InvalidArgument
from .._connect import client_for
from .._generated import Client, is_token_path
from .._validate import BaseUrl
from ..auth._build import AnyCredentials
from ..credentials import ClientCredentials, ExternalTokenCredentials, MissingCredentialsError
from ..retry import RetryPolicy

BASE_URL_VARIABLE = "RUNAI_BASE_URL"
_DEFAULT_RETRY = RetryPolicy()


class NotGiven(enum.Enum):
    """connect()'s default for credentials: tells "not given" (search) from None (no auth)."""

    NOT_GIVEN = enum.auto()


NOT_GIVEN = NotGiven.NOT_GIVEN


def connect(
    base_url: str | None = None,
    credentials: AnyCredentials | httpx.Auth | NotGiven | None = NOT_GIVEN,
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
    # Checked here, where it enters: the credential chain and client_for take it as it is.
    name = "base_url"
    url: str | BaseUrl | None = None
    if base_url is not None:
        url = _validate.base_url(base_url)
    elif os.environ.get(BASE_URL_VARIABLE, "").strip():
        name = BASE_URL_VARIABLE
        url = _validate.base_url(os.environ[BASE_URL_VARIABLE], name=name)
    url, found = apply_defaults(url, credentials, os.environ)
    if url is None:
        raise InvalidArgument(
            f"no base URL: pass connect(base_url=...) or set {BASE_URL_VARIABLE}, "
            "e.g. https://<tenant>.run.ai"
        )
    return client_for(
        url,
        found,
        name=name,
        retry=retry,
        timeout=timeout,
        verify=verify,
        proxy=proxy,
        limits=limits,
        allow_insecure_http=allow_insecure_http,
    )


def default_credentials(environ: Mapping[str, str] | None = None) -> AnyCredentials:
    """The first credentials found (see the module docstring), from os.environ unless given.

    Raises MissingCredentialsError naming everything tried, or the half of a service account
    that is missing.
    """
    found, tried = _search(os.environ if environ is None else environ)
    if found is None:
        raise MissingCredentialsError(tried=tried)
    return found


def _search(
    env: Mapping[str, str], base_url: str | None = None
) -> tuple[AnyCredentials | None, list[str]]:
    """The chain's first find as credentials, and what was tried before it."""
    # A person's sessions load only when the chain is walked: connect() with credentials given
    # needs none of them.
    from ..login._session import LoginSession
    from . import _chain
    from ._runai_cli import RunaiCliSession

    found, tried = _chain.search(env, base_url)
    if found is None:
        return None, tried
    if found.step == _chain.SERVICE_ACCOUNT:
        return ClientCredentials.from_env(env), tried
    if found.step == _chain.FEDERATED:
        return ExternalTokenCredentials.from_env(env), tried
    assert found.directory is not None  # a session's step always says where it is
    if found.step == _chain.LOGIN:
        # The store is opened only now: a search reads the login index, never the keyring.
        from ..login._store import open_store

        store = open_store("auto", cache_dir=Path(found.directory))
        return LoginSession(found.base_url, store=store), tried
    return RunaiCliSession(Path(found.directory)), tried


def apply_defaults(
    base_url: str | None,
    credentials: AnyCredentials | httpx.Auth | NotGiven | None,
    environ: Mapping[str, str],
) -> tuple[str | None, AnyCredentials | httpx.Auth | None]:
    """connect()'s base URL and credentials once the chain has filled in what was not given."""
    if credentials is NOT_GIVEN:
        found, tried = _search(environ, base_url)
        credentials = found if found is not None else NoCredentialsFound(tried)
    if base_url is None and not environ.get(BASE_URL_VARIABLE, "").strip():
        # Only a person's session knows its control plane.
        from ..login._session import LoginSession
        from ._runai_cli import RunaiCliSession

        if isinstance(credentials, RunaiCliSession | LoginSession):
            base_url = credentials.base_url()
    return base_url, credentials


class NoCredentialsFound(httpx.Auth):
    """No auth, but a 401 outside the token operations says what was looked for."""

    sends_credentials: ClassVar[bool] = False  # so plain http is fine for it (see _connect)

    def __init__(self, tried: list[str]) -> None:
        self.tried = tuple(tried)

    def __repr__(self) -> str:
        return "NoCredentialsFound()"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        response = yield request
        if response.status_code == 401 and not is_token_path(request.url.path):
            raise MissingCredentialsError(tried=(f"401 from {request.url.path}", *self.tried))
