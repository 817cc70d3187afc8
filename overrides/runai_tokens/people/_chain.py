"""Where credentials are found, and in what order, said once.

default_credentials() (and so connect()) and `runai-token get` without credential options both
walk this chain; the first step that finds something wins:
1. RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET: a service account (CI, a pipeline);
2. RUNAI_EXTERNAL_TOKEN: a federated token;
3. a `runai-token login` session: the login index's entry for the base URL, else the most
   recent login when there is no base URL;
4. a runai CLI v2 session (`runai login`), in $RUNAI_CLI_CONFIG_PATH or ~/.runai.

A service account's pair is all or nothing: RUNAI_CLIENT_ID without RUNAI_CLIENT_SECRET (or the
reverse) is a MissingCredentialsError naming both, never a reason to go on to a person's session,
which would then act as someone other than the pipeline that set the variable.

It says where credentials are, not what they are: a Found names the step and what building them
needs. That keeps it standard library only, so a warm
`runai-token get` can key its cache on it without importing attrs, httpx or a keyring. A session
counts as found when its index entry or file is there; whether it still works is said when it is
used. Each step that finds nothing adds a line to `tried`, in words a person can act on.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .._base_errors import MissingCredentialsError
from .._private_files import default_cache_dir

if TYPE_CHECKING:
    from collections.abc import Mapping

SERVICE_ACCOUNT = "client_credentials"
FEDERATED = "external"
LOGIN = "login"
RUNAI_CLI = "runai-cli"


class Found:
    """A step of the chain that found credentials. For LOGIN: the login's control plane, client
    id and subject, and the cache directory its index is in; for RUNAI_CLI: the session's
    directory. The environment's credentials are read from it again by whoever builds them.
    (A plain class: attrs or NamedTuple would cost the warm `get` their imports.)"""

    __slots__ = ("base_url", "client_id", "directory", "step", "subject")

    def __init__(
        self,
        step: str,
        *,
        base_url: str | None = None,
        client_id: str = "",
        subject: str | None = None,
        directory: str | None = None,
    ) -> None:
        self.step = step
        self.base_url = base_url
        self.client_id = client_id
        self.subject = subject
        self.directory = directory


def search(
    environ: Mapping[str, str],
    base_url: str | None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[Found | None, list[str]]:
    """The first step that finds credentials (None when none does), and what was tried before.

    base_url: the control plane asked for (a login for it is preferred), None for any.
    cache_dir: where the login index is; the default cache directory when None.
    Raises MissingCredentialsError when only one of RUNAI_CLIENT_ID and RUNAI_CLIENT_SECRET is
    set (an empty or blank value counts as not set).
    """
    tried: list[str] = []
    client_id = environ.get("RUNAI_CLIENT_ID", "").strip()
    client_secret = environ.get("RUNAI_CLIENT_SECRET", "").strip()
    if client_id and client_secret:
        return Found(SERVICE_ACCOUNT, client_id=client_id), tried
    if client_id:
        raise MissingCredentialsError("RUNAI_CLIENT_SECRET", alongside="RUNAI_CLIENT_ID")
    if client_secret:
        raise MissingCredentialsError("RUNAI_CLIENT_ID", alongside="RUNAI_CLIENT_SECRET")
    tried.append("RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET (not set)")
    if environ.get("RUNAI_EXTERNAL_TOKEN", "").strip():
        return Found(FEDERATED), tried
    tried.append("RUNAI_EXTERNAL_TOKEN (not set)")
    found = _login(environ, base_url, cache_dir, tried) or _runai_cli(environ, tried)
    return found, tried


def _login(
    environ: Mapping[str, str],
    base_url: str | None,
    cache_dir: str | os.PathLike[str] | None,
    tried: list[str],
) -> Found | None:
    # Reached only without credentials in the environment: their warm `get` and their connect()
    # never read the index. A person's warm `get` does, on every kubectl call.
    from ..login import _index

    what = "a `runai-token login` session"
    url = base_url if base_url is not None else environ.get("RUNAI_BASE_URL", "").strip() or None
    try:
        url = None if url is None else _index.normalize_base_url(url)
    except (TypeError, ValueError):
        url = None  # the caller refuses the URL itself, in its own words
    else:
        what += "" if url is None else f" for {url}"
    try:
        directory = default_cache_dir(environ) if cache_dir is None else os.fspath(cache_dir)
        entry = _index.lookup(directory, url)
    except OSError as exc:
        tried.append(f"{what} ({exc.strerror or type(exc).__name__}; run `runai-token login`)")
        return None
    if entry is None:
        tried.append(f"{what} in {directory} (none; run `runai-token login`)")
        return None
    return Found(
        LOGIN,
        base_url=entry.base_url,
        client_id=entry.client_id,
        subject=entry.subject,
        directory=str(directory),
    )


def _runai_cli(environ: Mapping[str, str], tried: list[str]) -> Found | None:
    # Reached only when nothing else was found: importing _runai_cli (and _token, _value) is
    # then no cost worth a copy of the runai CLI's directory rule.
    from ._runai_cli import AUTH_FILE, default_config_dir

    try:
        config_dir = default_config_dir(environ)
    except RuntimeError:  # no home directory at all
        tried.append("a runai CLI session (no home directory; run `runai login`)")
        return None
    if (config_dir / AUTH_FILE).is_file():
        return Found(RUNAI_CLI, directory=str(config_dir))
    tried.append(f"a runai CLI session in {config_dir} (none; run `runai login`)")
    return None
