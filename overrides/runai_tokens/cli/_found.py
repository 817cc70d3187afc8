"""`runai-token get` without credential options: the credential chain (runai_tokens._chain),
walked before the token cache is looked at, the way default_credentials() walks it.

The base URL is --base-url, else RUNAI_BASE_URL, else the session's own. Nothing found is exit
code 3, with what was tried and "run `runai-token login`": for a person, logging in is the fix.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from .._base_errors import MissingCredentialsError
from ..people._chain import Found
from ..people._chain import search as search_chain
from ._exit import CliError, ExitCode

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

    The text must stay the same: it is in every cached login token's key.
    """
    return json.dumps([client_id, subject])
