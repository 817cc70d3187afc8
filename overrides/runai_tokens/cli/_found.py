"""`runai-token get` without credential options: credentials found the way default_credentials()
finds them, decided before the token cache is looked at.

In order: RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET, RUNAI_EXTERNAL_TOKEN, a `runai-token login`
session (the login index's entry for the base URL, else the most recent login), a runai CLI v2
session. The base URL is --base-url, else RUNAI_BASE_URL, else the session's own.

Standard library only, like the rest of the warm path: a login is found in the index (no
keyring, no attrs), and its cache key is its base URL, client id and subject, never its refresh
token (which rotates on every use, and is a secret). Nothing found is exit code 3, with what was
tried and "run `runai-token login`": for a person, logging in is the fix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from .._private_files import default_cache_dir
from ._settings import CliError, ExitCode


class Found:
    """What the search found: a grant of GetSettings, and for a session where it lives. (A plain
    class: NamedTuple would import typing, see cli._cache.)"""

    __slots__ = ("base_url", "grant", "identity", "session_dir")

    def __init__(
        self,
        grant: str,  # "client_credentials", "external", "login" or "runai-cli"
        base_url: str | None,  # a session's own control plane (the login's, or None: read later)
        identity: str = "",
        session_dir: str | None = None,
    ) -> None:
        self.grant = grant
        self.base_url = base_url
        self.identity = identity
        self.session_dir = session_dir


def login_identity(client_id: str, subject: str | None) -> str:
    """A login's identity in the token cache's key: who, for which client; never the token."""
    return json.dumps([client_id, subject])


def search(
    environ: Mapping[str, str], base_url: str | None, cache_dir: str | os.PathLike[str] | None
) -> Found:
    """The first credentials found. base_url: --base-url or RUNAI_BASE_URL, checked already.
    Raises CliError(REJECTED) listing what was tried when there are none."""
    tried: list[str] = []
    client_id = environ.get("RUNAI_CLIENT_ID", "").strip()
    client_secret = environ.get("RUNAI_CLIENT_SECRET", "").strip()
    if client_id and client_secret:
        return Found("client_credentials", None, client_id)
    unset = " and ".join(
        name
        for name, value in (("RUNAI_CLIENT_ID", client_id), ("RUNAI_CLIENT_SECRET", client_secret))
        if not value
    )
    tried.append(f"RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET ({unset} not set)")
    if environ.get("RUNAI_EXTERNAL_TOKEN", "").strip():
        return Found("external", None)
    tried.append("RUNAI_EXTERNAL_TOKEN (not set)")
    login = _login(environ, base_url, cache_dir, tried)
    if login is not None:
        return login
    # Reached without a login only: then the session's files are what `get` reads, and the
    # attrs that _cli_session imports are no extra cost worth a copy of its rule.
    from .._cli_session import AUTH_FILE, default_config_dir

    try:
        config_dir = default_config_dir(environ)
    except RuntimeError:  # no home directory at all
        tried.append("a runai CLI session (no home directory; run `runai login`)")
    else:
        if (config_dir / AUTH_FILE).is_file():
            return Found("runai-cli", None, session_dir=str(config_dir))
        tried.append(f"a runai CLI session in {config_dir} (none; run `runai login`)")
    raise CliError(
        ExitCode.REJECTED,
        "no Run:ai credentials found; run `runai-token login` (tried: " + "; ".join(tried) + ")",
    )


def _login(
    environ: Mapping[str, str],
    base_url: str | None,
    cache_dir: str | os.PathLike[str] | None,
    tried: list[str],
) -> Found | None:
    # Reached only without credentials in the environment: their warm `get` never reads the index.
    from ..login import _index

    what = "a `runai-token login` session"
    url = None if base_url is None else base_url.rstrip("/")
    what += "" if url is None else f" for {url}"
    try:
        directory = default_cache_dir(environ) if cache_dir is None else cache_dir
        entry = _index.lookup(directory, url)
    except OSError as exc:
        tried.append(f"{what} ({exc.strerror or type(exc).__name__})")
        return None
    if entry is None:
        tried.append(f"{what} in {directory} (none)")
        return None
    identity = login_identity(entry.client_id, entry.subject)
    return Found("login", entry.base_url, identity, str(directory))
