"""`runai-token get` without credential options: the credential chain (runai_tokens._chain),
walked before the token cache is looked at, the way default_credentials() walks it.

The base URL is --base-url, else RUNAI_BASE_URL, else the session's own. Nothing found is exit
code 3, with what was tried and "run `runai-token login`": for a person, logging in is the fix.
"""

from __future__ import annotations

import os

from .._chain import Found, MissingCredentialsError
from .._chain import search as search_chain
from .._json_text import string
from ._exit import CliError, ExitCode

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see _cache)
if TYPE_CHECKING:
    from collections.abc import Mapping


def search(
    environ: Mapping[str, str], base_url: str | None, cache_dir: str | os.PathLike[str] | None
) -> Found:
    """The first credentials found. base_url: --base-url or RUNAI_BASE_URL, checked already.
    Raises CliError(REJECTED) listing what was tried when there are none, CliError(USAGE) for
    half a service account (RUNAI_CLIENT_ID without RUNAI_CLIENT_SECRET, or the reverse)."""
    try:
        found, tried = search_chain(environ, base_url, cache_dir)
    except MissingCredentialsError as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None
    if found is None:
        raise CliError(
            ExitCode.REJECTED,
            "no Run:ai credentials found; run `runai-token login` (tried: "
            + "; ".join(tried)
            + ")",
        )
    return found


def login_identity(client_id: str, subject: str | None) -> str:
    """A login's identity in the token cache's key: who, for which client; never its token (which
    rotates on every use, and is a secret).

    json.dumps([client_id, subject]), written out: a person's warm `get` keys its cache on it,
    and json's import (re with it) would cost that `get` half the interpreter's start-up. The
    text must stay the same (tests/test_cli_found.py): it is in every cached login token's key.
    """
    who = "null" if subject is None else string(subject)
    return f"[{string(client_id)}, {who}]"
