"""`runai-token login`: log a person in through the browser and keep the session.

The flow itself is runai_tokens.login._browser_flow; this module reads the flags and the
environment, talks to the terminal, stores the refresh token (runai_tokens.login.open_store) and
maps every failure to a one-line message and an exit code. It is imported to build the parser
on every run, so only the standard library is imported at the top; the flow (httpx, the
generated client) is imported when a login actually starts.

The client id is read from RUNAI_LOGIN_CLIENT_ID, not RUNAI_CLIENT_ID: that one names a service
account for `runai-token get` and default_credentials(), and a person's login must not pick it up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .. import _validate
from .._untrusted import escape_controls
from ..login._kinds import REDIRECT_HOSTS, STORE_CHOICES
from ._exit import CliError, ExitCode
from ._proxy import proxy_for
from ._settings import TOKEN_ENDPOINTS

if TYPE_CHECKING:
    from typing import Any, TextIO

    from ..login._browser_flow import LoggedIn, LoginRequest
    from ..login._store import StoreKind

CLIENT_ID_VARIABLE = "RUNAI_LOGIN_CLIENT_ID"
DEFAULT_CLIENT_ID = "runai"  # the client the cluster's API server trusts (see the README)

_EPILOG = """\
The browser is sent to the control plane's identity provider (found by OpenID discovery at
<base URL>/auth/realms/runai, or at --issuer), and comes back to a listener on 127.0.0.1 (named
127.0.0.1 or, with --redirect-host localhost, localhost in the redirect URI) with an
authorization code, which is exchanged (with its PKCE verifier) at /api/v2/token, or at
/api/v1/token on a control plane older than 2.24. The refresh token is kept in the OS keyring
when the keyring package has a usable backend, else in a 0600 file in the cache directory.
$BROWSER chooses the browser. Nothing but the subject is printed: never a token.

environment:
  RUNAI_BASE_URL         the control plane's URL (or --base-url)
  RUNAI_LOGIN_CLIENT_ID  the OAuth2 client id of the login (or --client-id; default runai)
  BROWSER                the browser to open (Python's webbrowser reads it)
  XDG_CACHE_HOME         the file store is in $XDG_CACHE_HOME/runai-tokens

exit codes: 0 logged in; 2 usage; 3 the login was refused or not finished in time (the
identity provider's error, a state that did not match, no code, a rejected code); 4 the control
plane or identity provider was unreachable; 1 an unexpected answer; 130 interrupted.
"""


def add_parser(commands: Any) -> None:
    """The login subcommand, on argparse's subparsers object."""
    login = commands.add_parser(
        "login",
        help="log in as a person through the browser (OIDC, PKCE) and keep the session",
        description="Log in to Run:ai through the browser and keep the session for "
        "`runai-token get` and default_credentials().",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    login.add_argument("--base-url", metavar="URL", help="default: $RUNAI_BASE_URL")
    login.add_argument(
        "--issuer",
        metavar="URL",
        help="the identity provider's issuer (default: <base URL>/auth/realms/runai)",
    )
    login.add_argument(
        "--client-id",
        metavar="ID",
        help=f"default: ${CLIENT_ID_VARIABLE}, else {DEFAULT_CLIENT_ID}",
    )
    login.add_argument(
        "--listen-port",
        type=int,
        default=0,
        metavar="N",
        help="the loopback port the browser is sent back to (default 0: any free port; "
        "Run:ai's own CLI uses 43121)",
    )
    login.add_argument(
        "--redirect-host",
        choices=REDIRECT_HOSTS,
        default=REDIRECT_HOSTS[0],
        help="the host the redirect URI names (default 127.0.0.1, as RFC 8252 recommends; "
        "Run:ai's own CLI uses localhost). The listener binds 127.0.0.1 either way",
    )
    login.add_argument(
        "--no-browser",
        action="store_true",
        help="print the URL instead of opening a browser, and read the address the browser "
        "ended on from stdin",
    )
    login.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="how long to wait for the browser, or for the pasted address (300)",
    )
    _add_session_options(login)


def _add_session_options(login: argparse.ArgumentParser) -> None:
    """Where the session goes, and how the control plane is talked to."""
    login.add_argument(
        "--store",
        choices=STORE_CHOICES,
        default="auto",
        help="where to keep the session: auto (default: the keyring if usable, else a file), "
        "keyring, file, or none",
    )
    login.add_argument("--cache-dir", metavar="DIR", help="default: $XDG_CACHE_HOME/runai-tokens")
    login.add_argument("--token-endpoint", choices=TOKEN_ENDPOINTS, default="auto")
    login.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="log in over plain http to a host that is not loopback (refused otherwise)",
    )


def run_login(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    *,
    stdin: TextIO | None = None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """`runai-token login`: the person logs in; the session is stored; who it is is printed."""
    request = request_from(args, environ)
    store = _open_store(args, environ)  # before the browser: a store that cannot work fails now
    logged_in = interactive_login(request, stdin=stdin, stderr=stderr)
    where = save_login(store, request, logged_in)
    who = logged_in.subject or "an unnamed subject"
    print(f"Logged in to {request.base_url} as {who} ({where}).", file=stdout)
    return ExitCode.OK


def login_for_get(args: argparse.Namespace, environ: Mapping[str, str], *, stderr: TextIO) -> None:
    """`runai-token get --output exec-credential` found no credentials and a person is at the
    terminal: log them in with the defaults (and get's own --base-url, --cache-dir,
    --token-endpoint, --allow-insecure-http), and keep the session for the get that follows."""
    login_args = argparse.Namespace(
        base_url=args.base_url,
        allow_insecure_http=args.allow_insecure_http,
        token_endpoint=args.token_endpoint,
        cache_dir=args.cache_dir,
        store="auto",
    )
    request = request_from(login_args, environ)
    store = _open_store(login_args, environ)
    print(
        f"runai-token: no Run:ai credentials found; logging in to {request.base_url} "
        "through the browser (or run `runai-token login` yourself)",
        file=stderr,
    )
    logged_in = interactive_login(request, stdin=None, stderr=stderr)
    where = save_login(store, request, logged_in)
    who = logged_in.subject or "an unnamed subject"
    print(f"runai-token: logged in as {who} ({where}).", file=stderr)


def request_from(args: argparse.Namespace, environ: Mapping[str, str]) -> LoginRequest:
    from ..login._browser_flow import LoginRequest

    name, base_url = "--base-url", getattr(args, "base_url", None)
    if not base_url:
        name, base_url = "RUNAI_BASE_URL", environ.get("RUNAI_BASE_URL", "")
    if not base_url.strip():
        raise CliError(ExitCode.USAGE, "no base URL: set RUNAI_BASE_URL or pass --base-url")
    allow = bool(getattr(args, "allow_insecure_http", False))
    issuer = getattr(args, "issuer", None)
    try:
        base_url = _validate.base_url(base_url, name=name).rstrip("/")
        _validate.insecure_http(base_url, allow=allow, name=name, warn=False)
        if issuer is not None:
            issuer = _validate.base_url(issuer, name="--issuer").rstrip("/")
            _validate.insecure_http(issuer, allow=allow, name="--issuer", warn=False)
        wait = _validate.timeout(getattr(args, "timeout", 300.0), "--timeout")
        port = getattr(args, "listen_port", 0)
        if not 0 <= port <= 65535:
            raise ValueError("--listen-port must be a port from 0 to 65535")
    except (TypeError, ValueError) as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None
    client_id = (
        getattr(args, "client_id", None) or environ.get(CLIENT_ID_VARIABLE, "") or DEFAULT_CLIENT_ID
    ).strip()
    return LoginRequest(
        base_url=base_url,
        client_id=client_id or DEFAULT_CLIENT_ID,
        issuer=issuer,
        listen_port=port,
        redirect_host=getattr(args, "redirect_host", REDIRECT_HOSTS[0]),
        wait=wait,
        open_browser=not getattr(args, "no_browser", False),
        proxy=proxy_for(base_url, environ),
        token_endpoint=getattr(args, "token_endpoint", "auto"),
    )


def interactive_login(request: LoginRequest, *, stdin: TextIO | None, stderr: TextIO) -> LoggedIn:
    """Run the browser flow, talking to the person on stderr. Raises CliError."""
    from ..errors import ApiException
    from ..login._browser_flow import Person, log_in
    from ..login._errors import CallbackError, DiscoveryError, LoginError, LoginTimeout
    from ..login._paste import read_line
    from ._mint import _cli_error

    source = sys.stdin if stdin is None else stdin

    def say(text: str) -> None:
        print(text, file=stderr, flush=True)

    try:
        return log_in(request, Person(say=say, read_line=lambda wait: read_line(source, wait)))
    except DiscoveryError as exc:
        code = ExitCode.UNAVAILABLE if exc.unreachable else ExitCode.ERROR
        raise CliError(code, f"login: {exc}") from None
    except (CallbackError, LoginTimeout) as exc:
        raise CliError(ExitCode.REJECTED, f"login failed: {exc}") from None
    except LoginError as exc:
        raise CliError(ExitCode.USAGE, f"login: {exc}") from None
    except ApiException as exc:
        raise CliError(_cli_error(exc, 1).code, f"login: the code exchange failed: {exc}") from None


def save_login(store: Any, request: LoginRequest, logged_in: LoggedIn) -> str:
    """Keep the session in store; returns where it went, in words."""
    from ..login import StoredLogin

    if store.kind == "none":
        return "not stored: --store none"
    if logged_in.refresh_token is None:
        raise CliError(
            ExitCode.ERROR,
            "logged in, but the control plane sent no refresh token: there is nothing to keep "
            "(use --store none to log in without keeping a session)",
        )
    login = StoredLogin(
        base_url=request.base_url,
        client_id=request.client_id,
        refresh_token=logged_in.refresh_token,
        subject=logged_in.subject,
    )
    try:
        store.save(login)
    except OSError as exc:
        why = escape_controls(exc.strerror or type(exc).__name__)
        message = f"logged in, but the session could not be stored: {why}"
        raise CliError(ExitCode.ERROR, message) from None
    return f"session kept in the {store.kind} store"


def _open_store(args: argparse.Namespace, environ: Mapping[str, str]) -> Any:
    from pathlib import Path

    from ..login import open_store
    from ._cache import default_cache_dir

    kind: StoreKind = getattr(args, "store", "auto")  # argparse checked it is one
    try:
        cache_dir = None
        if kind != "none":
            cache_dir = Path(args.cache_dir or default_cache_dir(environ))
        return open_store(kind, cache_dir=cache_dir)
    except OSError as exc:
        why = escape_controls(exc.strerror or type(exc).__name__)
        raise CliError(ExitCode.USAGE, f"the login store cannot be used: {why}") from None
