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
from .._base_errors import InvalidArgument
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
DEFAULT_CLIENT_ID = "runai"  # the client the cluster's API server trusts (see docs/people.md)
SCOPE_VARIABLE = "RUNAI_LOGIN_SCOPE"
DEFAULT_SCOPE = "openid"
# RFC 6749 section 3.3: a scope token is printable ASCII but space, '"' and '\\'.
_SCOPE_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {'"', "\\"}

_EPILOG = """\
The browser is sent to the control plane's identity provider (found by OpenID discovery at
<base URL>/auth/realms/runai, or at --issuer), and comes back to a listener on 127.0.0.1 (named
127.0.0.1 or, with --redirect-host localhost, localhost in the redirect URI) with an
authorization code, which is exchanged (with its PKCE verifier) at /api/v2/token, or at
/api/v1/token on a control plane older than 2.24 (which cannot carry a verifier: no PKCE
challenge is sent then). With offline_access in the scope, prompt=consent is sent too (OpenID
Connect Core section 11). The store is checked before the browser opens; the browser's page
says whether the login worked once the code is exchanged. The refresh token is kept in the OS
keyring when the keyring package has a usable backend, else in a 0600 file in the cache
directory, and the first access token in the token cache.
$BROWSER chooses the browser. Nothing but the subject is printed: never a token.

environment:
  RUNAI_BASE_URL         the control plane's URL (or --base-url)
  RUNAI_LOGIN_CLIENT_ID  the OAuth2 client id of the login (or --client-id; default runai)
  RUNAI_LOGIN_SCOPE      the scope to ask for (or --scope; default openid)
  BROWSER                the browser to open (Python's webbrowser reads it)
  XDG_CACHE_HOME         the file store is in $XDG_CACHE_HOME/runai-tokens

exit codes: 0 logged in; 2 usage, or a store that cannot be used; 3 the login was refused or not
finished in time (the identity provider's error, a redirect that did not match, no code, a
rejected code); 4 the control plane or identity provider was unreachable; 1 an unexpected
answer; 130 interrupted.
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
        "--scope",
        metavar="SCOPES",
        help=f"space-separated scopes to ask for (default: ${SCOPE_VARIABLE}, else "
        f"{DEFAULT_SCOPE}); providers that issue a refresh token only for it (oidc-provider, "
        "Okta, Entra ID, Auth0) need 'openid offline_access'",
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
    _cache_first_token(args, environ, request, logged_in, stderr)
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
    _cache_first_token(login_args, environ, request, logged_in, stderr)
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
        base_url = _validate.base_url(base_url, name=name).trimmed()
        _validate.insecure_http(base_url, allow=allow, name=name, warn=False)
        if issuer is not None:
            issuer = _validate.base_url(issuer, name="--issuer").trimmed()
            _validate.insecure_http(issuer, allow=allow, name="--issuer", warn=False)
        wait = _validate.timeout(getattr(args, "timeout", 300.0), "--timeout")
        port = getattr(args, "listen_port", 0)
        if not 0 <= port <= 65535:
            raise InvalidArgument("--listen-port must be a port from 0 to 65535")
        scope = _scope(getattr(args, "scope", None), environ)
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
        scope=scope,
    )


def _scope(given: str | None, environ: Mapping[str, str]) -> str:
    """--scope, else RUNAI_LOGIN_SCOPE, else openid: scope tokens (RFC 6749 section 3.3),
    joined by single spaces. Raises ValueError naming where a bad one came from."""
    name, value = "--scope", given
    if value is None:
        name, value = SCOPE_VARIABLE, environ.get(SCOPE_VARIABLE)
    if value is None or not value.strip():
        return DEFAULT_SCOPE
    tokens = value.split()
    if any(not _SCOPE_CHARS.issuperset(token) for token in tokens):
        raise InvalidArgument(
            f"{name} must be scope names separated by spaces (printable ASCII, without quotes "
            "or backslashes)"
        )
    return " ".join(dict.fromkeys(tokens))


def interactive_login(request: LoginRequest, *, stdin: TextIO | None, stderr: TextIO) -> LoggedIn:
    """Run the browser flow, talking to the person on stderr. Raises CliError."""
    from ..errors import ApiException
    from ..login._browser_flow import Person, log_in
    from ..login._errors import (
        CallbackError,
        DiscoveryError,
        LoginError,
        LoginTimeout,
        TokenEndpointError,
    )
    from ..login._paste import read_line
    from ._mint import _cli_error

    source = sys.stdin if stdin is None else stdin

    def say(text: str) -> None:
        print(text, file=stderr, flush=True)

    try:
        return log_in(request, Person(say=say, read_line=lambda wait: read_line(source, wait)))
    except (DiscoveryError, TokenEndpointError) as exc:
        code = ExitCode.UNAVAILABLE if exc.unreachable else ExitCode.ERROR
        raise CliError(code, f"login: {exc}") from None
    except (CallbackError, LoginTimeout) as exc:
        raise CliError(ExitCode.REJECTED, f"login failed: {exc}") from None
    except LoginError as exc:
        raise CliError(ExitCode.USAGE, f"login: {exc}") from None
    except ApiException as exc:
        error = _cli_error(exc, 1)
        # The flow's notes are its own words (why no PKCE could be sent), never the server's.
        why = "; ".join([str(exc), *getattr(exc, "__notes__", ())])
        if error.code == ExitCode.UNAVAILABLE and "TLS certificate" in str(error):
            why = str(error)
        raise CliError(error.code, f"login: the code exchange failed: {why}") from None


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
    """The store, proven usable: its directory ours and writable, and for the keyring its backend
    answering. Before discovery and the browser, so that nobody logs in only to have the result
    thrown away. Raises CliError(USAGE) saying what to do."""
    from pathlib import Path

    from .._private_files import default_cache_dir
    from ..login import open_store

    kind: StoreKind = getattr(args, "store", "auto")  # argparse checked it is one
    try:
        cache_dir = None
        if kind != "none":
            cache_dir = Path(args.cache_dir or default_cache_dir(environ))
        store = open_store(kind, cache_dir=cache_dir)
        if cache_dir is not None:
            _prove_writable(cache_dir)
    except OSError as exc:
        why = escape_controls(exc.strerror or str(exc) or type(exc).__name__)
        raise CliError(
            ExitCode.USAGE,
            f"the login store cannot be used: {why} (choose another --cache-dir, fix its "
            "permissions, or use --store none to log in without keeping the session)",
        ) from None
    if store.kind == "keyring":
        _prove_keyring(store)
    return store


def _prove_writable(directory: Any) -> None:
    """Create (and remove) a file in the store's directory, under the cache's rules (ours, no
    symlink, writable by nobody else). Raises OSError."""
    import os

    from .._private_files import checked_directory

    with checked_directory(directory, create=True) as fd:
        name = f".probe-{os.urandom(6).hex()}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        os.close(os.open(name, flags, 0o600, dir_fd=fd))
        os.unlink(name, dir_fd=fd)


def _prove_keyring(store: Any) -> None:
    """The keyring has a real backend, and it answers a read. Raises CliError(USAGE)."""
    from ..login import _keyring
    from ..login._index import LoginStoreError

    why = _keyring.problem()
    try:
        if why is None:
            _keyring.get(_KEYRING_PROBE)
    except LoginStoreError as exc:
        why = str(exc)
    if why is not None:
        raise CliError(
            ExitCode.USAGE,
            f"the keyring store cannot be used: {escape_controls(why)} (use --store file to "
            "keep the session in a 0600 file instead)",
        )


# A name no login has (no base URL looks like it): reading it proves the backend answers.
_KEYRING_PROBE = "runai-tokens:probe"


def _cache_first_token(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    request: LoginRequest,
    logged_in: LoggedIn,
    stderr: TextIO,
) -> None:
    """Put the login's access token in the token cache, where the first `runai-token get` finds
    it instead of refreshing (which would rotate the refresh token once more). A token whose
    lifetime is not known is not cached, as `get` does; a cache that cannot be used is said."""
    if getattr(args, "store", "auto") == "none" or logged_in.refresh_token is None:
        return
    from .._private_files import default_cache_dir
    from .._token import jwt_claims
    from ._cache import TokenCache
    from ._cache_entry import CachedToken
    from ._found import login_identity

    expires_at: float | None = None
    if logged_in.expires_in is not None:
        expires_at = logged_in.issued_at + logged_in.expires_in
    else:
        exp = (jwt_claims(logged_in.access_token) or {}).get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            expires_at = float(exp)
    if expires_at is None:
        return
    token = CachedToken(logged_in.access_token, expires_at, logged_in.issued_at)
    cache = TokenCache(args.cache_dir or default_cache_dir(environ))
    identity = login_identity(request.client_id, logged_in.subject)
    try:
        cache.store(cache.key(request.base_url, "login", identity, ""), token)
    except OSError as exc:
        why = escape_controls(exc.strerror or type(exc).__name__)
        print(f"runai-token: warning: the first token could not be cached ({why})", file=stderr)
