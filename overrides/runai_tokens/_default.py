"""default_credentials(): credentials found by themselves, the way google.auth.default() and
botocore's provider chain find theirs.

In order, the first that is there wins:
1. RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET: a service account (CI, a pipeline);
2. RUNAI_EXTERNAL_TOKEN: a federated token;
3. a `runai-token login` session (LoginSession): the login for the base URL (connect()'s, else
   RUNAI_BASE_URL), or the most recent login when there is no base URL;
4. a runai CLI v2 session (`runai login`), in $RUNAI_CLI_CONFIG_PATH or ~/.runai.
A session is taken when its index entry or file is there; whether it still works is said when it
is used, with the command that fixes it. Nothing found is a MissingCredentialsError listing what
was tried. Looking for a login reads the login index only: the keyring is imported when a token
is fetched from a login kept there, never to search.

connect() uses the chain when it is given no credentials argument, and the base URL follows it:
RUNAI_BASE_URL, else the session's own control plane. When the chain finds nothing, connect()
goes on without auth (the token operations need none), and a 401 from any other call raises the
MissingCredentialsError, so the person learns what was looked for instead of a bare 401.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Generator, Mapping

import httpx

from ._cli_session import RunaiCliSession, default_config_dir
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

    Raises MissingCredentialsError naming everything tried.
    """
    found, tried = _search(os.environ if environ is None else environ)
    if found is None:
        raise MissingCredentialsError(tried=tried)
    return found


def _search(
    env: Mapping[str, str], base_url: str | None = None
) -> tuple[Credentials | None, list[str]]:
    tried: list[str] = []
    client_id = env.get("RUNAI_CLIENT_ID", "").strip()
    client_secret = env.get("RUNAI_CLIENT_SECRET", "").strip()
    if client_id and client_secret:
        return ClientCredentials(client_id, client_secret), tried
    unset = " and ".join(
        name
        for name, value in (("RUNAI_CLIENT_ID", client_id), ("RUNAI_CLIENT_SECRET", client_secret))
        if not value
    )
    tried.append(f"RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET ({unset} not set)")
    if env.get("RUNAI_EXTERNAL_TOKEN", "").strip():
        return ExternalTokenCredentials.from_env(env), tried
    tried.append("RUNAI_EXTERNAL_TOKEN (not set)")
    login = _login(env, base_url, tried)
    if login is not None:
        return login, tried
    try:
        session = RunaiCliSession(default_config_dir(env))
    except RuntimeError:  # no home directory at all
        tried.append("a runai CLI session (no home directory; run `runai login`)")
        return None, tried
    if session.exists():
        return session, tried
    tried.append(f"a runai CLI session in {session.config_dir} (none; run `runai login`)")
    return None, tried


def _login(env: Mapping[str, str], base_url: str | None, tried: list[str]) -> LoginSession | None:
    """The `runai-token login` session for base_url (else RUNAI_BASE_URL, else the most recent),
    found in the login index; None, saying why in tried, when there is none."""
    # The login index and store are read only when no credentials came from the environment:
    # connect() with credentials (or found in RUNAI_CLIENT_*) never imports them.
    from pathlib import Path

    from ._private_files import default_cache_dir
    from .login import _index
    from .login._store import open_store

    what = "a `runai-token login` session"
    url = base_url if base_url is not None else env.get(BASE_URL_VARIABLE, "").strip() or None
    try:
        url = None if url is None else _index.normalize_base_url(url)
    except (TypeError, ValueError):
        url = None  # connect() refuses the URL itself, in its own words
    else:
        what += "" if url is None else f" for {url}"
    try:
        directory = Path(default_cache_dir(env))
        entry = _index.lookup(directory, url)
    except OSError as exc:
        tried.append(f"{what} ({exc.strerror or type(exc).__name__}; run `runai-token login`)")
        return None
    if entry is None:
        tried.append(f"{what} in {directory} (none; run `runai-token login`)")
        return None
    return LoginSession(entry.base_url, store=open_store("auto", cache_dir=directory))


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
