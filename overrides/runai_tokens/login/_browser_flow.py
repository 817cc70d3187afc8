"""A person's login through the browser: OpenID discovery, authorization code with PKCE, state.

1. Discovery (_discovery) says where the identity provider's authorization endpoint is.
2. A fresh PKCE verifier and state (_pkce) go with the authorization request.
3. The browser is sent there (Python's webbrowser, which honours $BROWSER), and the loopback
   listener (_listener) waits, for a bounded time, for the redirect that brings the code back.
   Without a browser (open_browser=False) the URL is shown and the person pastes the address
   the browser ended on, within the same bounded time.
4. The redirect's state is checked (_callback) before the code is used at all, and the code is
   exchanged through the control plane's token endpoint (_exchange).

Nothing here stores anything or reads the environment: the CLI (cli/_login) does both.
"""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from .._token import jwt_claims
from .._untrusted import escape_controls
from .._value import Value
from ..auth._grant import Granted, Grants, TokenEndpoint
from ..retry import HTTPTransports, RetryPolicy, RetryTransport
from ._callback import code_from_pasted, code_from_query
from ._discovery import Provider, default_issuer, discover
from ._errors import CallbackError, LoginTimeout
from ._exchange import AuthorizationCode, exchange
from ._kinds import REDIRECT_HOSTS
from ._listener import CALLBACK_PATH, HOST, CallbackListener
from ._pkce import METHOD, Pkce, new_state

DEFAULT_CLIENT_ID = "runai"
DEFAULT_WAIT = 300.0
# Where the browser is sent back in paste mode when no --listen-port is given: the port Run:ai's
# own CLI listens on, the likeliest to be among a tenant client's allowed redirect URIs.
PASTE_PORT = 43121
# OpenID Connect; Keycloak issues the refresh token with it.
SCOPE = "openid"


class LoginRequest(Value):
    """One login: where, as which client, and how long to wait for the person.

    redirect_host is the name the redirect URI gives the loopback listener (which binds
    127.0.0.1 either way): one of REDIRECT_HOSTS.
    """

    __slots__ = _fields = (
        "base_url",
        "client_id",
        "issuer",
        "listen_port",
        "redirect_host",
        "wait",
        "open_browser",
        "request_timeout",
        "proxy",
        "token_endpoint",
    )
    base_url: str
    client_id: str
    issuer: str | None
    listen_port: int
    redirect_host: str
    wait: float
    open_browser: bool
    request_timeout: float
    proxy: str | None
    token_endpoint: TokenEndpoint

    def __init__(
        self,
        base_url: str,
        client_id: str = DEFAULT_CLIENT_ID,
        issuer: str | None = None,
        listen_port: int = 0,
        redirect_host: str = HOST,
        wait: float = DEFAULT_WAIT,
        open_browser: bool = True,
        request_timeout: float = 30.0,
        proxy: str | None = None,
        token_endpoint: TokenEndpoint = "auto",  # noqa: S107 - an endpoint's name, no secret
    ) -> None:
        if redirect_host not in REDIRECT_HOSTS:
            raise ValueError(
                f"'redirect_host' must be in {REDIRECT_HOSTS!r} (got {redirect_host!r})"
            )
        self._set(
            base_url,
            client_id,
            issuer,
            listen_port,
            redirect_host,
            wait,
            open_browser,
            request_timeout,
            proxy,
            token_endpoint,
        )


class LoggedIn(Value):
    """What a login brought: tokens (kept out of repr) and who the access token names."""

    __slots__ = _fields = ("access_token", "refresh_token", "expires_in", "subject")
    _hidden = frozenset({"access_token", "refresh_token"})
    access_token: str
    refresh_token: str | None
    expires_in: int | None
    subject: str | None

    def __init__(
        self,
        access_token: str,
        refresh_token: str | None,
        expires_in: int | None,
        subject: str | None,
    ) -> None:
        self._set(access_token, refresh_token, expires_in, subject)


class Person(Value):
    """How the flow talks to the person: say() a line, read_line(timeout) a pasted address, and
    open_url() a browser (returns whether one was opened).

    read_line returns the line with its newline, or "" when the input ended; it raises
    TimeoutError when no line came within timeout seconds (login._paste.read_line does all this
    for a stream)."""

    __slots__ = _fields = ("say", "read_line", "open_url")
    say: Callable[[str], object]
    read_line: Callable[[float], str]
    open_url: Callable[[str], bool]

    def __init__(
        self,
        say: Callable[[str], object],
        read_line: Callable[[float], str],
        open_url: Callable[[str], bool] = webbrowser.open,
    ) -> None:
        self._set(say, read_line, open_url)


def log_in(request: LoginRequest, person: Person) -> LoggedIn:
    """Log a person in. Raises LoginError (discovery, callback, timeout) or ApiException (the
    code exchange)."""
    policy = RetryPolicy()

    def transport() -> RetryTransport:
        return RetryTransport(policy, HTTPTransports(proxy=request.proxy))

    with httpx.Client(transport=transport(), timeout=request.request_timeout) as http:
        provider = discover(request.issuer or default_issuer(request.base_url), http)
    pkce, state = Pkce.new(), new_state()
    if request.open_browser:
        code, redirect_uri = _through_browser(request, provider, pkce, state, person)
    else:
        code, redirect_uri = _through_paste(request, provider, pkce, state, person)
    grants = Grants(
        request.base_url,
        transport=transport,
        timeout=request.request_timeout,
        endpoint=request.token_endpoint,
    )
    try:
        granted = exchange(
            grants, AuthorizationCode(code, redirect_uri, request.client_id, pkce.verifier)
        )
    finally:
        grants.close()
    return _logged_in(granted)


def authorize_url(
    provider: Provider, client_id: str, redirect_uri: str, pkce: Pkce, state: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": METHOD,
    }
    endpoint = provider.authorization_endpoint
    # RFC 6749 section 3.1: a query the endpoint already has is kept.
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def _through_browser(
    request: LoginRequest, provider: Provider, pkce: Pkce, state: str, person: Person
) -> tuple[str, str]:
    with CallbackListener(
        lambda query: code_from_query(query, state),
        port=request.listen_port,
        redirect_host=request.redirect_host,
    ) as listener:
        url = authorize_url(provider, request.client_id, listener.redirect_uri, pkce, state)
        person.say(f"Opening a browser to log in. If none opens, visit this URL:\n\n    {url}\n")
        # On a thread: a $BROWSER command may not return until it is done, and the wait below
        # must stay bounded whatever it does.
        threading.Thread(
            target=_open, args=(person, url), name="runai-token-browser", daemon=True
        ).start()
        return listener.wait(request.wait), listener.redirect_uri


def _open(person: Person, url: str) -> None:
    try:
        opened = person.open_url(url)
    except Exception:  # webbrowser.Error, or a $BROWSER that cannot be run
        opened = False
    if not opened:
        person.say("No browser could be opened: visit the URL above yourself.")


def _through_paste(
    request: LoginRequest, provider: Provider, pkce: Pkce, state: str, person: Person
) -> tuple[str, str]:
    port = request.listen_port or PASTE_PORT
    redirect_uri = f"http://{request.redirect_host}:{port}{CALLBACK_PATH}"
    url = authorize_url(provider, request.client_id, redirect_uri, pkce, state)
    person.say(
        f"Visit this URL in a browser and log in:\n\n    {url}\n\n"
        f"The browser then ends on an address starting with {redirect_uri} (the page itself "
        "will not load). Paste that whole address here and press Enter:"
    )
    try:
        pasted = person.read_line(request.wait)
    except TimeoutError:
        raise LoginTimeout(
            f"no address was pasted within {request.wait:g} s (--timeout to wait longer)"
        ) from None
    if not pasted:
        raise CallbackError("the input ended before the address the browser ended on was pasted")
    if not pasted.strip():
        raise CallbackError("no address was pasted")
    return code_from_pasted(pasted, redirect_uri, state), redirect_uri


def _logged_in(granted: Granted) -> LoggedIn:
    claims = jwt_claims(granted.access_token) or {}
    subject = claims.get("sub")
    return LoggedIn(
        access_token=granted.access_token,
        refresh_token=granted.refresh_token,
        expires_in=granted.expires_in,
        subject=escape_controls(subject) if isinstance(subject, str) and subject else None,
    )
