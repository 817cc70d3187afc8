"""A person's login through the browser: OpenID discovery, authorization code with PKCE, state.

1. Discovery (_discovery) says where the identity provider's authorization endpoint is, and
   the control plane is asked where the code will be exchanged (_exchange.exchange_endpoint):
   on /api/v2/token, which carries the PKCE verifier, or on v1's exchange_token, which cannot.
2. A fresh state, and a PKCE challenge only when the exchange will carry its verifier (RFC 7636
   section 4.6: a provider that saw a challenge demands the verifier), go with the
   authorization request, with the scope asked for (and prompt=consent with offline_access,
   as OpenID Connect Core section 11 asks).
3. The browser is sent there (Python's webbrowser, which honours $BROWSER), and the loopback
   listener (_listener) waits, for a bounded time, for the redirect that brings the code back.
   Without a browser (open_browser=False) the URL is shown and the person pastes the address
   the browser ended on, within the same bounded time.
4. The redirect's state is checked (_callback) before anything else in it, and the code is
   exchanged through the control plane's token endpoint (_exchange). The browser's page is sent
   only then, saying whether the login worked.

No frame of this flow holds the code, the verifier or a token as a bare string: each travels in
a value whose repr leaves it out (Redirect, Pkce, AuthorizationCode, Granted, LoggedIn), so a
locals-capturing traceback of a failed login shows none of them.

Nothing here stores anything or reads the environment: the CLI (cli/_login) does both.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from .._base_errors import InvalidArgument
from .._token import jwt_claims
from .._untrusted import escape_controls
from .._value import Value
from ..auth._grant import Granted, Grants, TokenEndpoint
from ..errors import ApiException
from ..retry import HTTPTransports, RetryPolicy, RetryTransport
from ._callback import Expected, Redirect, Refused, read_pasted, read_query
from ._discovery import Provider, default_issuer, discover
from ._errors import CallbackError, LoginTimeout
from ._exchange import AuthorizationCode, exchange, exchange_endpoint
from ._kinds import REDIRECT_HOSTS
from ._listener import CALLBACK_PATH, HOST, CallbackListener
from ._pkce import METHOD, Pkce, new_state

DEFAULT_CLIENT_ID = "runai"
DEFAULT_WAIT = 300.0
# Where the browser is sent back in paste mode when no --listen-port is given: the port Run:ai's
# own CLI listens on, the likeliest to be among a tenant client's allowed redirect URIs.
PASTE_PORT = 43121
# OpenID Connect; Keycloak issues the refresh token with it. Providers that issue one only for
# offline_access (oidc-provider, Okta, Entra ID, Auth0) need "openid offline_access".
SCOPE = "openid"
OFFLINE_ACCESS = "offline_access"
# Said when no challenge was sent and the provider or the exchange refused the login.
NO_PKCE = (
    "no PKCE challenge was sent, because this control plane exchanges codes at /api/v1/token "
    "(older than 2.24, or --token-endpoint v1), which cannot carry the verifier; an identity "
    "provider that requires PKCE for this client refuses such a login (it needs a control "
    "plane with /api/v2/token)"
)


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
        "scope",
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
    scope: str

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
        scope: str = SCOPE,
    ) -> None:
        if redirect_host not in REDIRECT_HOSTS:
            raise InvalidArgument(
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
            scope,
        )


class LoggedIn(Value):
    """What a login brought: tokens (kept out of repr), who they name (the id_token's `sub`,
    else the access token's) and when they were asked for (issued_at, the wall clock: an
    expiry counted from then errs on the safe side)."""

    __slots__ = _fields = ("access_token", "refresh_token", "expires_in", "subject", "issued_at")
    _hidden = frozenset({"access_token", "refresh_token"})
    access_token: str
    refresh_token: str | None
    expires_in: int | None
    subject: str | None
    issued_at: float

    def __init__(
        self,
        access_token: str,
        refresh_token: str | None,
        expires_in: int | None,
        subject: str | None,
        issued_at: float = 0.0,
    ) -> None:
        self._set(access_token, refresh_token, expires_in, subject, issued_at)


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
    """Log a person in. Raises LoginError (discovery, the token endpoint, callback, timeout) or
    ApiException (the code exchange; with a note saying why when no PKCE could be sent)."""
    policy = RetryPolicy()

    def transport() -> RetryTransport:
        return RetryTransport(policy, HTTPTransports(proxy=request.proxy))

    with httpx.Client(transport=transport(), timeout=request.request_timeout) as http:
        provider = discover(request.issuer or default_issuer(request.base_url), http)
        endpoint = exchange_endpoint(http, request.base_url, request.token_endpoint)
    login = _Login(
        request,
        provider,
        Pkce.new() if endpoint == "v2" else None,
        Expected(new_state(), provider.named_issuer, provider.iss_parameter),
    )
    grants = Grants(
        request.base_url,
        transport=transport,
        timeout=request.request_timeout,
        endpoint=endpoint,
    )
    try:
        if request.open_browser:
            return _through_browser(login, grants, person)
        redirect_uri, read = _through_paste(login, person)
        if isinstance(read, Refused):
            raise CallbackError(login.refusal(read))
        return _exchanged(login, grants, read, redirect_uri, lambda ok, message: None)
    finally:
        grants.close()


class _Login(Value):
    """One login's choices: what was asked, of whom, and what a redirect must carry."""

    __slots__ = _fields = ("request", "provider", "pkce", "expected")
    request: LoginRequest
    provider: Provider
    pkce: Pkce | None
    expected: Expected

    def __init__(
        self, request: LoginRequest, provider: Provider, pkce: Pkce | None, expected: Expected
    ) -> None:
        self._set(request, provider, pkce, expected)

    def authorize_url(self, redirect_uri: str) -> str:
        return authorize_url(
            self.provider,
            self.request.client_id,
            redirect_uri,
            self.pkce,
            self.expected.state,
            self.request.scope,
        )

    def explained(self, read: Redirect | Refused) -> Redirect | Refused:
        """A refused redirect says why no PKCE was sent, when that may be why."""
        if isinstance(read, Refused):
            return Refused(self.refusal(read), stray=read.stray)
        return read

    def refusal(self, refused: Refused) -> str:
        if self.pkce is None and refused.pkce:
            return f"{refused.message}; {NO_PKCE}"
        return refused.message


def authorize_url(
    provider: Provider,
    client_id: str,
    redirect_uri: str,
    pkce: Pkce | None,
    state: str,
    scope: str = SCOPE,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
    }
    if pkce is not None:
        params.update(code_challenge=pkce.challenge, code_challenge_method=METHOD)
    if OFFLINE_ACCESS in scope.split():
        params["prompt"] = "consent"  # OpenID Connect Core 1.0, section 11
    endpoint = provider.authorization_endpoint
    # RFC 6749 section 3.1: a query the endpoint already has is kept.
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def _through_browser(login: _Login, grants: Grants, person: Person) -> LoggedIn:
    request = login.request
    expected = login.expected
    listener: CallbackListener[Redirect]
    with CallbackListener(
        lambda query: login.explained(read_query(query, expected)),
        port=request.listen_port,
        redirect_host=request.redirect_host,
    ) as listener:
        url = login.authorize_url(listener.redirect_uri)
        person.say(f"Opening a browser to log in. If none opens, visit this URL:\n\n    {url}\n")
        # On a thread: a $BROWSER command may not return until it is done, and the wait below
        # must stay bounded whatever it does.
        threading.Thread(
            target=_open, args=(person, url), name="runai-token-browser", daemon=True
        ).start()
        redirect = listener.wait(request.wait)
        return _exchanged(login, grants, redirect, listener.redirect_uri, listener.report)


def _exchanged(
    login: _Login,
    grants: Grants,
    redirect: Redirect,
    redirect_uri: str,
    report: Callable[[bool, str], None],
) -> LoggedIn:
    """The code exchanged for tokens; report() tells the browser's page how that went."""
    request = login.request
    # Made in one expression: no local of this frame holds the code or the verifier bare.
    code = AuthorizationCode(
        redirect.code,
        redirect_uri,
        request.client_id,
        None if login.pkce is None else login.pkce.verifier,
    )
    started = time.time()
    try:
        granted = exchange(grants, code)
    except ApiException as exc:
        report(False, f"The login failed: {_failure_words(exc, login.pkce is None)}.")
        if login.pkce is None and exc.status in (400, 401, 403):
            exc.add_note(NO_PKCE)
        raise
    logged_in = _logged_in(granted, started)
    who = f" as {logged_in.subject}" if logged_in.subject else ""
    report(True, f"You are logged in{who}.")
    return logged_in


def _failure_words(exc: ApiException, no_pkce: bool) -> str:
    """Why the exchange failed, for a person reading the browser's page: our words only."""
    if exc.status in (400, 401, 403):
        why = "the identity provider did not accept the login's authorization code"
        if exc.oauth2_error in ("invalid_client", "unauthorized_client"):
            why = "the identity provider did not accept this client"
        if no_pkce:
            why += " (it may require PKCE, which this control plane cannot pass on)"
        return why
    if exc.status is None:
        return "the control plane could not be reached to complete the login"
    if exc.status == 429 or exc.status >= 500:
        return f"the control plane is unavailable (HTTP {exc.status})"
    return f"the control plane gave an unexpected answer (HTTP {exc.status})"


def _open(person: Person, url: str) -> None:
    try:
        opened = person.open_url(url)
    except Exception:  # webbrowser.Error, or a $BROWSER that cannot be run
        opened = False
    if not opened:
        person.say("No browser could be opened: visit the URL above yourself.")


def _through_paste(login: _Login, person: Person) -> tuple[str, Redirect | Refused]:
    """The redirect URI, and what the pasted address brought. It raises nothing once a line
    is read: the pasted address (and its code) stays in this frame, which a failed exchange's
    traceback then does not hold."""
    request = login.request
    port = request.listen_port or PASTE_PORT
    redirect_uri = f"http://{request.redirect_host}:{port}{CALLBACK_PATH}"
    url = login.authorize_url(redirect_uri)
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
        return redirect_uri, Refused(
            "the input ended before the address the browser ended on was pasted"
        )
    if not pasted.strip():
        return redirect_uri, Refused("no address was pasted")
    return redirect_uri, read_pasted(pasted, redirect_uri, login.expected)


def _logged_in(granted: Granted, issued_at: float) -> LoggedIn:
    return LoggedIn(
        access_token=granted.access_token,
        refresh_token=granted.refresh_token,
        expires_in=granted.expires_in,
        subject=_subject(granted),
        issued_at=issued_at,
    )


def _subject(granted: Granted) -> str | None:
    """The id_token's `sub`, else the access token's. The id_token is read, not verified: it
    came from the token endpoint, over the connection the code went on (OpenID Connect Core
    section 3.1.3.7 allows TLS server validation in place of its signature there), and it
    only names who logged in, for the person to read."""
    for token in (granted.id_token, granted.access_token):
        claims = jwt_claims(token) if token else None
        subject = (claims or {}).get("sub")
        if isinstance(subject, str) and subject:
            return escape_controls(subject)
    return None
