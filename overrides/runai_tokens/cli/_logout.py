"""`runai-token logout`: forget a `runai-token login`, and the access tokens cached for it.

The login is the one for --base-url, else RUNAI_BASE_URL, else the most recent: the one
`runai-token get` would use. Its refresh token goes from wherever it is kept (the keyring entry
or the 0600 file), its entry from the login index, and its access tokens from the token cache,
so the next `get` cannot hand one out. Nothing there is not a failure: logout says so and exits 0.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from .._private_files import default_cache_dir
from ..login import _index
from ._cache import TokenCache
from ._exit import CliError, ExitCode
from ._found import login_identity


def logout(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    url = _base_url(args, environ)
    if args.store == "none":
        print("Nothing to forget: --store none keeps no login.", file=out)
        return ExitCode.OK
    from ..login._store import open_store

    try:
        directory = Path(args.cache_dir or default_cache_dir(environ))
        entry = _index.lookup(directory, url)
        forgot = open_store(args.store, cache_dir=directory).delete(url)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise CliError(ExitCode.ERROR, f"cannot forget the login: {why}") from None
    where = url if entry is None else entry.base_url
    if not forgot:
        print(f"No stored login{f' for {where}' if where else ''}: nothing to forget.", file=out)
        return ExitCode.OK
    who = f" as {entry.subject}" if entry is not None and entry.subject else ""
    kept = f" (its refresh token was in the {entry.store} store)" if entry is not None else ""
    tokens = _forget_cached_tokens(directory, entry)
    print(f"Forgot the login to {where}{who}{kept}{tokens}.", file=out)
    return ExitCode.OK


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
