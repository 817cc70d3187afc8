"""What `runai-token get` was asked for: flags and environment resolved into one value.

Standard library only, like everything on the warm path. Secrets come from the
environment, a file or stdin, never from argv: argv is world-readable in `ps` and lands in shell
history.
"""

from __future__ import annotations

import argparse
import enum
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

from .. import _validate

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see _cache)
if TYPE_CHECKING:
    from typing import TextIO


class ExitCode(enum.IntEnum):
    """runai-token's exit codes (documented in `runai-token --help`)."""

    OK = 0
    ERROR = 1  # anything not covered below (an unexpected answer, a bug)
    USAGE = 2  # bad flags, missing credentials, unreadable secret file
    REJECTED = 3  # the server refused the credentials (400, 401 or 403)
    UNAVAILABLE = 4  # no usable answer after retries (no response, 429, 5xx)


class CliError(Exception):
    """A one-line failure for stderr and the exit code that goes with it. Never holds a secret."""

    def __init__(self, code: ExitCode, message: str) -> None:
        self.code = code
        super().__init__(message)


GRANTS = ("client_credentials", "app", "password", "external")
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
        "timeout",
        "token_endpoint",
    )

    def __init__(
        self,
        *,
        base_url: str,
        grant: str,
        identity: str,  # client id, app id or username ("" for an external token)
        secret: str,  # client secret, app secret, password or external token
        timeout: float,
        max_attempts: int | None,
        proxy: str | None = None,
        token_endpoint: str = "auto",  # noqa: S107 - an endpoint's name, no secret
        allow_insecure_http: bool = False,
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

    def __repr__(self) -> str:
        return f"GetSettings({self.base_url!r}, {self.grant!r}, {self.identity!r}, secret=...)"


def resolve_get(
    args: argparse.Namespace, environ: Mapping[str, str], stdin: TextIO | None = None
) -> GetSettings:
    """Flags win over the environment; every gap is a usage error naming what is missing.

    The base URL, the timeout and the attempts are checked by _validate, as TokenAuth and
    connect() check them: the same words, naming the flag or variable the value came from.
    """
    stdin = sys.stdin if stdin is None else stdin
    name, base_url = "--base-url", args.base_url
    if not base_url:
        name, base_url = "RUNAI_BASE_URL", environ.get("RUNAI_BASE_URL", "")
    if not base_url.strip():
        raise CliError(ExitCode.USAGE, "no base URL: set RUNAI_BASE_URL or pass --base-url")
    try:
        base_url = _validate.base_url(base_url, name=name)
        # Refused before the cache is looked at: the rule does not depend on a cache miss.
        _validate.insecure_http(base_url, allow=args.allow_insecure_http, name=name, warn=False)
        timeout = _validate.timeout(args.timeout, "--timeout")
        if args.max_attempts is not None:
            _validate.count(args.max_attempts, "--max-attempts", minimum=1)
    except (TypeError, ValueError) as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None
    files = [args.client_secret_file, args.password_file, args.external_token_file]
    if files.count("-") > 1:
        raise CliError(ExitCode.USAGE, "only one of the secret files can be '-' (stdin)")

    if args.grant == "external":
        identity = ""
        secret = _secret(
            args.external_token_file,
            "--external-token-file",
            environ.get("RUNAI_EXTERNAL_TOKEN", ""),
            "no external token: pass --external-token-file or set RUNAI_EXTERNAL_TOKEN",
            stdin,
        )
    elif args.grant == "password":
        identity = _required(
            args.username or environ.get("RUNAI_USERNAME", ""),
            "no username: pass --username or set RUNAI_USERNAME",
        )
        secret = _secret(
            args.password_file,
            "--password-file",
            environ.get("RUNAI_PASSWORD", ""),
            "no password: pass --password-file or set RUNAI_PASSWORD",
            stdin,
        )
    else:
        # For --grant app the client id and secret are the application's id and secret.
        identity = _required(
            args.client_id or environ.get("RUNAI_CLIENT_ID", ""),
            "no client id: set RUNAI_CLIENT_ID or pass --client-id",
        )
        secret = _secret(
            args.client_secret_file,
            "--client-secret-file",
            environ.get("RUNAI_CLIENT_SECRET", ""),
            "no client secret: set RUNAI_CLIENT_SECRET or pass --client-secret-file",
            stdin,
        )
    return GetSettings(
        base_url=base_url.rstrip("/"),
        grant=args.grant,
        identity=identity,
        secret=secret,
        timeout=timeout,
        max_attempts=args.max_attempts,
        proxy=proxy_for(base_url, environ),
        token_endpoint=args.token_endpoint,
        allow_insecure_http=args.allow_insecure_http,
    )


def proxy_for(base_url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy the environment names for base_url, the way curl and pip read it.

    {scheme}_proxy, then all_proxy (lower case first, as curl does), unless no_proxy names the
    host. A proxy without a scheme is http://, as curl takes it. One that cannot be used is a
    usage error naming the variable, not its value, which may hold the proxy's password. The
    library never reads these itself (configuration is passed in); the CLI is an edge.
    """
    parts = urlsplit(base_url)

    def variable(name: str) -> tuple[str, str]:
        for spelling in (name, name.upper()):
            if value := (environ.get(spelling) or "").strip():
                return spelling, value
        return name, ""

    name, proxy = variable(f"{parts.scheme}_proxy")
    if not proxy:
        name, proxy = variable("all_proxy")
    if not proxy or _bypassed(parts.hostname or "", variable("no_proxy")[1]):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    if (problem := _proxy_problem(proxy)) is not None:
        raise CliError(ExitCode.USAGE, f"{name} is not a usable proxy URL: {problem}")
    return proxy


def _proxy_problem(proxy: str) -> str | None:
    """What httpx would refuse in a proxy URL (or fail on later), without quoting any of it."""
    if any(c.isspace() for c in proxy):
        return "it contains whitespace"
    if not proxy.isprintable():
        return "it contains a control character"
    try:
        parts = urlsplit(proxy)
    except ValueError:
        return "it is not a URL"
    if parts.scheme not in ("http", "https", "socks5", "socks5h"):
        return "its scheme must be http, https, socks5 or socks5h"
    if parts.scheme.startswith("socks") and not _have_socksio():
        return "a SOCKS proxy needs the socksio package (pip install 'httpx[socks]')"
    problem = _validate.port_problem(proxy)
    if problem is not None:
        return f"it {problem}"
    if not parts.hostname:
        return "it has no host"
    return None


def _have_socksio() -> bool:
    from importlib.util import find_spec

    return find_spec("socksio") is not None


def _bypassed(host: str, no_proxy: str) -> bool:
    """no_proxy as curl reads it: "*", or names that match the host or a domain it is in."""
    for entry in (e.strip().lower().lstrip(".") for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


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
