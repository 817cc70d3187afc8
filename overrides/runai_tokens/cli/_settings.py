"""What `runai-token get` was asked for: flags and environment resolved into one value.

Standard library only, like everything on the warm path. Secrets come from the
environment, a file or stdin, never from argv: argv is world-readable in `ps` and lands in shell
history.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .. import _validate
from ._exit import CliError, ExitCode
from ._proxy import proxy_for

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping
    from typing import TextIO

    from ..people._chain import Found


GRANTS = ("client_credentials", "app", "password", "external")
# Found by themselves (cli/_found), never chosen with --grant: a `runai-token login` session and
# a runai CLI v2 session. Neither has a secret of its own in the cache key.
SESSION_GRANTS = ("login", "runai-cli")
# Any of these given means "these credentials", not "find some" (cli/_found).
CREDENTIAL_OPTIONS = (
    "client_id",
    "client_secret_file",
    "username",
    "password_file",
    "external_token_file",
)
TOKEN_ENDPOINTS = ("auto", "v1", "v2")


class GetSettings:
    """One `runai-token get`: where, who, and how hard to try.

    A plain class, not attrs or a NamedTuple, for the warm path's start-up time (see _cache).
    """

    __slots__ = (
        "allow_insecure_http",
        "base_url",
        "grant",
        "identity",
        "max_attempts",
        "proxy",
        "secret",
        "session_dir",
        "timeout",
        "token_endpoint",
    )

    def __init__(
        self,
        *,
        base_url: str,
        grant: str,
        # client id, app id or username ("" for an external token); for a login, its client id
        # and subject (_found.login_identity)
        identity: str,
        secret: str,  # client secret, app secret, password or external token ("" for a session)
        timeout: float,
        max_attempts: int | None,
        proxy: str | None = None,
        token_endpoint: str = "auto",  # noqa: S107 - an endpoint's name, no secret
        allow_insecure_http: bool = False,
        # A session's directory: the login store's (the cache directory), or the runai CLI's.
        session_dir: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.grant = grant
        self.identity = identity
        self.secret = secret
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.proxy = proxy
        self.token_endpoint = token_endpoint
        self.allow_insecure_http = allow_insecure_http
        self.session_dir = session_dir

    def __repr__(self) -> str:
        return f"GetSettings({self.base_url!r}, {self.grant!r}, {self.identity!r}, secret=...)"


def resolve_get(
    args: argparse.Namespace, environ: Mapping[str, str], stdin: TextIO | None = None
) -> GetSettings:
    """Flags win over the environment; every gap is a usage error naming what is missing.

    Without --grant and credential options, the credentials (and, failing --base-url and
    RUNAI_BASE_URL, the base URL) are found by themselves (cli/_found).

    The base URL, the timeout and the attempts are checked by _validate, as TokenAuth and
    connect() check them: the same words, naming the flag or variable the value came from.
    """
    stdin = sys.stdin if stdin is None else stdin
    name, url, timeout = _checked_flags(args, environ)
    found = None
    if args.grant is None and not any(getattr(args, option) for option in CREDENTIAL_OPTIONS):
        from ._found import search

        found = search(environ, url, args.cache_dir)
        if url is None and found.step in SESSION_GRANTS:
            name, url = "the session's control plane", found.base_url or _session_url(found)
    if url is None:
        raise CliError(ExitCode.USAGE, "no base URL: set RUNAI_BASE_URL or pass --base-url")
    try:
        # Refused before the cache is looked at: the rule does not depend on a cache miss.
        _validate.insecure_http(url, allow=args.allow_insecure_http, name=name, warn=False)
    except (TypeError, ValueError) as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None
    grant = found.step if found is not None else args.grant or "client_credentials"
    if found is not None and grant in SESSION_GRANTS:
        identity, secret = _session_identity(found), ""  # a session's cache key: never its token
    else:
        identity, secret = _credentials(args, grant, environ, stdin)
    return GetSettings(
        base_url=url,
        grant=grant,
        identity=identity,
        secret=secret,
        timeout=timeout,
        max_attempts=args.max_attempts,
        proxy=proxy_for(url, environ),
        token_endpoint=args.token_endpoint,
        allow_insecure_http=args.allow_insecure_http,
        session_dir=found.directory if found is not None else None,
    )


def _checked_flags(
    args: argparse.Namespace, environ: Mapping[str, str]
) -> tuple[str, str | None, float]:
    """The base URL (None when neither flag nor environment gives one), the flag or variable it
    came from, and the timeout, checked; --max-attempts checked too."""
    name, base_url = "--base-url", args.base_url
    if not base_url:
        name, base_url = "RUNAI_BASE_URL", environ.get("RUNAI_BASE_URL", "")
    try:
        url = _validate.base_url(base_url, name=name).trimmed() if base_url.strip() else None
        timeout = _validate.timeout(args.timeout, "--timeout")
        if args.max_attempts is not None:
            _validate.count(args.max_attempts, "--max-attempts", minimum=1)
    except (TypeError, ValueError) as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None
    return name, url, timeout


def _session_identity(found: Found) -> str:
    """A found session's identity for the cache key: a login's client id and subject, else ""."""
    if found.step != "login":
        return ""
    from ._found import login_identity

    return login_identity(found.client_id, found.subject)


def _credentials(
    args: argparse.Namespace, grant: str, environ: Mapping[str, str], stdin: TextIO
) -> tuple[str, str]:
    """The identity and secret of a grant, from the flags, else the environment."""
    files = [args.client_secret_file, args.password_file, args.external_token_file]
    if files.count("-") > 1:
        raise CliError(ExitCode.USAGE, "only one of the secret files can be '-' (stdin)")
    if grant == "external":
        identity = ""
        secret = _secret(
            args.external_token_file,
            "--external-token-file",
            _env(environ, "RUNAI_EXTERNAL_TOKEN"),
            "no external token: pass --external-token-file or set RUNAI_EXTERNAL_TOKEN",
            stdin,
        )
    elif grant == "password":
        identity = _required(
            _utf8(args.username, "--username") or _env(environ, "RUNAI_USERNAME"),
            "no username: pass --username or set RUNAI_USERNAME",
        )
        secret = _secret(
            args.password_file,
            "--password-file",
            _env(environ, "RUNAI_PASSWORD"),
            "no password: pass --password-file or set RUNAI_PASSWORD",
            stdin,
        )
    else:
        # For --grant app the client id and secret are the application's id and secret.
        identity = _required(
            _utf8(args.client_id, "--client-id") or _env(environ, "RUNAI_CLIENT_ID"),
            "no client id: set RUNAI_CLIENT_ID or pass --client-id",
        )
        secret = _secret(
            args.client_secret_file,
            "--client-secret-file",
            _env(environ, "RUNAI_CLIENT_SECRET"),
            "no client secret: set RUNAI_CLIENT_SECRET or pass --client-secret-file",
            stdin,
        )
    return identity, secret


def _env(environ: Mapping[str, str], name: str) -> str:
    """A credential's environment variable, "" when unset; checked by _utf8."""
    return _utf8(environ.get(name, ""), name) or ""


def _utf8(value: str | None, name: str) -> str | None:
    """value as given, once it is UTF-8 text. os.environ and sys.argv keep bytes that are not
    UTF-8 as lone surrogates, which no grant can send: a usage error, as for a secret file."""
    if value is not None and not _validate.utf8(value):
        raise CliError(ExitCode.USAGE, f"{name} is not UTF-8 text")
    return value


def _session_url(found: Found) -> str | None:
    """A runai CLI session's control plane (config.json), checked like any base URL."""
    from pathlib import Path  # a runai CLI session is read: not the warm path

    from .._base_errors import LoginRequiredError
    from ..people._runai_cli import RunaiCliSession

    assert found.directory is not None
    try:
        url = RunaiCliSession(Path(found.directory)).base_url()
    except LoginRequiredError as exc:  # config.json unreadable or untrusted: say what to do
        raise CliError(ExitCode.REJECTED, str(exc)) from None
    try:
        return (
            None
            if url is None
            else _validate.base_url(url, name="the runai CLI's control_plane.url").trimmed()
        )
    except ValueError as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None


def _required(value: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise CliError(ExitCode.USAGE, message)
    return value


def _secret(path: str | None, flag: str, env_value: str, missing: str, stdin: TextIO) -> str:
    if path is None:
        return _required(env_value, missing)
    try:
        if path == "-":
            text = stdin.read()
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        # The path is not echoed: the likeliest wrong "path" is the secret itself.
        raise CliError(ExitCode.USAGE, f"cannot read the file given to {flag}: {reason}") from None
    # Files written by `echo` or an editor end in a newline that is not part of the secret.
    return _required(text.strip(), f"the file given to {flag} is empty")
