"""default_credentials(): credentials found by themselves, the way google.auth.default() and
botocore's provider chain find theirs.

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
from collections.abc import Generator, Mapping
from pathlib import Path

import httpx

from . import _chain
from ._cli_session import RunaiCliSession
from ._generated import is_token_path
from .credentials import (
    ClientCredentials,
    Credentials,
    ExternalTokenCredentials,
    LoginSession,
    MissingCredentialsError,
)

BASE_URL_VARIABLE = "RUNAI_BASE_URL"


class NotGiven(enum.Enum):
    """connect()'s default for credentials: tells "not given" (search) from None (no auth)."""

    NOT_GIVEN = enum.auto()


NOT_GIVEN = NotGiven.NOT_GIVEN


def default_credentials(environ: Mapping[str, str] | None = None) -> Credentials:
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
) -> tuple[Credentials | None, list[str]]:
    """The chain's first find as credentials, and what was tried before it."""
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
        from .login._store import open_store

        store = open_store("auto", cache_dir=Path(found.directory))
        return LoginSession(found.base_url, store=store), tried
    return RunaiCliSession(Path(found.directory)), tried


def apply_defaults(
    base_url: str | None,
    credentials: Credentials | httpx.Auth | NotGiven | None,
    environ: Mapping[str, str],
) -> tuple[str | None, Credentials | httpx.Auth | None]:
    """connect()'s base URL and credentials once the chain has filled in what was not given."""
    if credentials is NOT_GIVEN:
        found, tried = _search(environ, base_url)
        credentials = found if found is not None else NoCredentialsFound(tried)
    if (
        base_url is None
        and not environ.get(BASE_URL_VARIABLE, "").strip()
        and isinstance(credentials, RunaiCliSession | LoginSession)
    ):
        base_url = credentials.base_url()
    return base_url, credentials


class NoCredentialsFound(httpx.Auth):
    """No auth, but a 401 outside the token operations says what was looked for."""

    def __init__(self, tried: list[str]) -> None:
        self.tried = tuple(tried)

    def __repr__(self) -> str:
        return "NoCredentialsFound()"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        response = yield request
        if response.status_code == 401 and not is_token_path(request.url.path):
            raise MissingCredentialsError(tried=(f"401 from {request.url.path}", *self.tried))
