"""`runai-token logout`: revoke and forget a `runai-token login`, and the access tokens cached
for it.

The login is the one for --base-url, else RUNAI_BASE_URL, else the most recent: the one
`runai-token get` would use. When its identity provider advertises a revocation endpoint (found
by OpenID discovery at <base URL>/auth/realms/runai, or at --issuer), the refresh token is
revoked there first (RFC 7009; login._revocation), unless --no-revoke. Then it goes from wherever
it is kept (the keyring entry or the 0600 file), its entry from the login index, and its access
tokens from the token cache, so the next `get` cannot hand one out. What logout prints says
whether the token was revoked, or that it was only forgotten here and may still be valid until
it expires. Nothing there is not a failure: logout says so and exits 0.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from .. import _validate
from .._private_files import default_cache_dir
from .._untrusted import escape_controls
from ..login import _index
from ..login._store import StoredLogin
from ._cache import TokenCache
from ._exit import CliError, ExitCode
from ._found import login_identity


def logout(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    url = _base_url(args, environ)
    if args.store == "none":
        print("Nothing to forget: --store none keeps no login.", file=out)
        return ExitCode.OK
    from ..login._store import open_store

    issuer = _issuer(args)
    try:
        directory = Path(args.cache_dir or default_cache_dir(environ))
        entry = _index.lookup(directory, url)
        store = open_store(args.store, cache_dir=directory)
        login = store.load(url)
        revoked = _revoke(args, environ, login, issuer)
        forgot = store.delete(url)
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise CliError(ExitCode.ERROR, f"cannot forget the login: {escape_controls(why)}") from None
    where = url if entry is None else entry.base_url
    if not forgot:
        print(f"No stored login{f' for {where}' if where else ''}: nothing to forget.", file=out)
        return ExitCode.OK
    who = f" as {entry.subject}" if entry is not None and entry.subject else ""
    kept = f" (its refresh token was in the {entry.store} store)" if entry is not None else ""
    tokens = _forget_cached_tokens(directory, entry)
    print(f"Forgot the login to {where}{who}{kept}{tokens}.", file=out)
    if revoked is not None:
        print(revoked, file=out)
    return ExitCode.OK


def _issuer(args: argparse.Namespace) -> str | None:
    issuer = getattr(args, "issuer", None)
    if issuer is None:
        return None
    try:
        issuer = _validate.base_url(issuer, name="--issuer").trimmed()
        _validate.insecure_http(issuer, allow=False, name="--issuer", warn=False)
    except (TypeError, ValueError) as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None
    return issuer


def _revoke(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    login: StoredLogin | None,
    issuer: str | None,
) -> str | None:
    """Revoke login's refresh token at its identity provider; what to say about it (None when
    there is no login)."""
    if login is None:
        return None
    kept_alive = "it may still be valid at the identity provider until it expires"
    if getattr(args, "no_revoke", False):
        return f"Its refresh token was not revoked (--no-revoke): {kept_alive}."
    from ..login._revocation import revoke
    from ._proxy import proxy_for

    outcome = revoke(login, issuer=issuer, proxy=proxy_for(login.base_url, environ))
    if outcome.revoked:
        return "Revoked its refresh token at the identity provider."
    why = escape_controls(outcome.why)
    return f"Its refresh token was forgotten here but not revoked ({why}): {kept_alive}."


def _base_url(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    name, value = "--base-url", args.base_url
    if not value:
        name, value = "RUNAI_BASE_URL", environ.get("RUNAI_BASE_URL", "")
    if not value.strip():
        return None
    try:
        return _index.normalize_base_url(value, name)
    except (TypeError, ValueError) as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None


def _forget_cached_tokens(directory: Path, entry: _index.LoginEntry | None) -> str:
    """Remove the login's cached access token; how to say so."""
    if entry is None:
        return ""
    cache = TokenCache(directory)
    try:
        identity = login_identity(entry.client_id, entry.subject)
        removed = cache.delete(cache.key(entry.base_url, "login", identity, ""))
    except OSError as exc:
        return f"; its cached access token could not be removed ({exc.strerror or 'error'})"
    return ", and its cached access token" if removed else ""
