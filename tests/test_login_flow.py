"""The browser login against a real loopback FakeRunaiServer and the real loopback listener."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from runai_tokens import ApiException
from runai_tokens.login import _pkce
from runai_tokens.login._browser_flow import LoggedIn, LoginRequest, Person, log_in
from runai_tokens.login._errors import CallbackError, DiscoveryError, LoginTimeout
from runai_tokens.testing import REDACTED, FakeRunaiServer

from tests.helpers.browsers import follow, get, location, serving

TOKEN_PATHS = ("/api/v1/token", "/api/v2/token")


def person(browser: object, lines: list[str] | None = None, pasted: str = "") -> Person:
    said = [] if lines is None else lines
    return Person(say=said.append, read_line=lambda wait: pasted, open_url=browser)  # type: ignore[arg-type]


def login(server: FakeRunaiServer, browser: object, **options: object) -> LoggedIn:
    request = LoginRequest(server.url, **{"wait": 60.0, **options})  # type: ignore[arg-type]
    return log_in(request, person(browser))


def exchanges(server: FakeRunaiServer) -> list[tuple[str, int | None]]:
    """The token requests that carried a code (the probe of /api/v2/token carries none)."""
    return [
        (r.path, r.status)
        for r in server.requests
        if r.path in TOKEN_PATHS and "code" in (r.body or {})
    ]


def probes(server: FakeRunaiServer) -> list[tuple[str, int | None]]:
    return [
        (r.path, r.status)
        for r in server.requests
        if r.path in TOKEN_PATHS and "code" not in (r.body or {})
    ]


def test_login_on_v2_sends_the_verifier_and_names_the_subject(
    runai_server: FakeRunaiServer,
) -> None:
    runai_server.login_as("alice@example.com")
    result = login(runai_server, follow)
    assert result.subject == "alice@example.com"
    assert result.refresh_token is not None
    assert runai_server.decode_token(result.access_token)["sub"] == "alice@example.com"
    assert probes(runai_server) == [("/api/v2/token", 400)]
    assert exchanges(runai_server) == [("/api/v2/token", 200)]
    assert result.access_token not in repr(result) and result.refresh_token not in repr(result)
    [form] = [
        r.body for r in runai_server.requests if r.path == "/api/v2/token" and r.status == 200
    ]
    assert form["grant_type"] == "authorization_code"
    assert form["client_id"] == "runai" and form["code_verifier"] == REDACTED


@pytest.mark.runai_server(version="2.18")
def test_a_control_plane_without_v2_gets_exchange_token_on_v1(
    runai_server: FakeRunaiServer,
) -> None:
    runai_server.login_as("bob@example.com")
    result = login(runai_server, follow)
    assert result.subject == "bob@example.com"
    assert probes(runai_server) == [("/api/v2/token", 404)]
    assert exchanges(runai_server) == [("/api/v1/token", 200)]
    body = next(r.body for r in runai_server.requests if r.path == "/api/v1/token")
    assert body["grantType"] == "exchange_token"
    assert body["redirectUri"].startswith("http://127.0.0.1:")
    assert body["clientID"] == "runai"


def test_a_localhost_redirect_uri_is_sent_back_to_and_exchanged(
    runai_server: FakeRunaiServer, unused_port: int
) -> None:
    """Run:ai's own CLI redirects to http://localhost:43121/callback; a client that allows only
    that exact URI needs the same host and port."""
    runai_server.login_as("dave@example.com")
    followed: list[str] = []

    def browser(url: str) -> bool:
        followed.append(location(url))
        return get(followed[-1])[0] == 200

    result = login(runai_server, browser, redirect_host="localhost", listen_port=unused_port)
    assert result.subject == "dave@example.com"
    redirect_uri = f"http://localhost:{unused_port}/callback"
    assert followed[0].startswith(redirect_uri + "?")
    [form] = [
        r.body for r in runai_server.requests if r.path == "/api/v2/token" and r.status == 200
    ]
    assert form["redirect_uri"] == redirect_uri


def test_a_redirect_host_that_is_not_loopback_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="redirect_host"):
        LoginRequest("http://127.0.0.1:9", redirect_host="example.com")


def test_a_wrong_verifier_is_refused_by_the_identity_provider(
    runai_server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The challenge sent with the authorize request is not the one of the verifier exchanged.
    def mismatched() -> _pkce.Pkce:
        return _pkce.Pkce("fake-verifier-0123456789-0123456789-0123456789", "x" * 43)

    monkeypatch.setattr(_pkce.Pkce, "new", staticmethod(mismatched))
    with pytest.raises(ApiException) as caught:
        login(runai_server, follow)
    assert caught.value.status == 400  # RFC 6749 section 5.2
    assert caught.value.oauth2_error == "invalid_grant"


def test_the_verifier_is_what_makes_the_code_work(runai_server: FakeRunaiServer) -> None:
    """The same flow with a matching pair succeeds: the refusal above is the verifier's doing."""
    pair = _pkce.Pkce.new()
    assert pair.challenge == _pkce.challenge_of(pair.verifier)
    assert 43 <= len(pair.verifier) <= 128
    assert pair.verifier not in repr(pair)
    assert login(runai_server, follow).subject is not None


def tampered(
    change: dict[str, str | None],
) -> tuple[Callable[[str], bool], list[tuple[int, str]], threading.Event]:
    """A browser that delivers the redirect with some of its parameters changed, and an event set
    once it has the listener's page (the login may end before: the page is sent first)."""
    pages: list[tuple[int, str]] = []
    seen = threading.Event()

    def browser(url: str) -> bool:
        back = urlsplit(location(url))
        query = {k: v[0] for k, v in parse_qs(back.query).items()}
        for key, value in change.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = value
        pages.append(get(f"{back.scheme}://{back.netloc}{back.path}?{urlencode(query)}"))
        seen.set()
        return True

    return browser, pages, seen


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": None}, "no authorization code"),
        ({"code": None, "error": "access_denied"}, r"refused the login \(access_denied\)"),
        ({"iss": "http://127.0.0.1:9/auth/realms/runai"}, "is not the issuer"),
        ({"iss": None}, "carries no iss"),
    ],
)
def test_a_bad_redirect_fails_and_its_code_is_never_exchanged(
    runai_server: FakeRunaiServer, change: dict[str, str | None], message: str
) -> None:
    browser, pages, seen = tampered(change)
    with pytest.raises(CallbackError, match=message):
        login(runai_server, browser)
    assert exchanges(runai_server) == []
    assert seen.wait(30)
    [(status, page)] = pages
    assert status == 400 and "The login failed" in page


@pytest.mark.parametrize(
    "change",
    [
        {"state": "fake-state-of-another-login"},
        {"state": None},
        {"state": None, "code": None, "error": "access_denied", "error_description": "forget"},
    ],
)
def test_a_redirect_without_this_logins_state_is_ignored_and_the_login_goes_on(
    runai_server: FakeRunaiServer, change: dict[str, str | None]
) -> None:
    """What anything that can reach the port may send: it gets a 400 page, and the redirect
    with this login's state, arriving after it, still logs the person in."""
    stray, stray_pages, _ = tampered(change)
    pages: list[tuple[int, str]] = []

    def browser(url: str) -> bool:
        stray(url)
        pages.append(get(location(url)))
        return True

    result = login(runai_server, browser)
    assert result.subject == "fake-person@example.com"
    [(status, page)] = stray_pages
    assert status == 400 and "does not belong to the login in progress" in page
    assert "forget" not in page
    assert pages[0][0] == 200 and "You are logged in as fake-person@example.com" in pages[0][1]
    assert exchanges(runai_server) == [("/api/v2/token", 200)]


def test_the_identity_providers_error_description_is_shown_escaped(
    runai_server: FakeRunaiServer,
) -> None:
    browser, pages, seen = tampered(
        {"code": None, "error": "access_denied", "error_description": "no\x1b]0;pwned\x07 way"}
    )
    with pytest.raises(CallbackError) as caught:
        login(runai_server, browser)
    assert seen.wait(30)
    assert "\x1b" not in str(caught.value) and "\\x1b" in str(caught.value)
    assert "\x1b" not in pages[0][1]


def test_no_browser_visit_is_a_timeout(runai_server: FakeRunaiServer) -> None:
    with pytest.raises(LoginTimeout, match=r"within 0\.2 s"):
        login(runai_server, lambda url: True, wait=0.2)
    assert exchanges(runai_server) == []


def test_a_browser_that_cannot_be_opened_is_said(runai_server: FakeRunaiServer) -> None:
    lines: list[str] = []
    request = LoginRequest(runai_server.url, wait=0.2)
    with pytest.raises(LoginTimeout):
        log_in(request, person(lambda url: False, lines))
    assert any("visit the URL above yourself" in line for line in lines)


def test_paste_mode_reads_the_address_the_browser_ended_on(
    runai_server: FakeRunaiServer,
) -> None:
    lines: list[str] = []
    pasted: list[str] = []

    def read_line(wait: float) -> str:
        url = next(w for line in lines for w in line.split() if w.startswith("http"))
        pasted.append(location(url))
        return pasted[-1] + "\n"

    request = LoginRequest(runai_server.url, open_browser=False)
    result = log_in(request, Person(say=lines.append, read_line=read_line))
    assert result.subject == "fake-person@example.com"
    assert pasted[0].startswith("http://127.0.0.1:43121/callback?")
    assert exchanges(runai_server) == [("/api/v2/token", 200)]


def test_paste_mode_with_localhost_expects_a_localhost_address(
    runai_server: FakeRunaiServer,
) -> None:
    lines: list[str] = []

    def read_line(wait: float) -> str:
        url = next(w for line in lines for w in line.split() if w.startswith("http"))
        return location(url) + "\n"

    request = LoginRequest(runai_server.url, open_browser=False, redirect_host="localhost")
    assert log_in(request, Person(say=lines.append, read_line=read_line)).subject is not None
    [form] = [
        r.body for r in runai_server.requests if r.path == "/api/v2/token" and r.status == 200
    ]
    assert form["redirect_uri"] == "http://localhost:43121/callback"
    # The address shown as the one to paste back names localhost too.
    assert any("starting with http://localhost:43121/callback" in line for line in lines)


def test_paste_mode_waits_as_long_as_the_browser_would(runai_server: FakeRunaiServer) -> None:
    waited: list[float] = []

    def read_line(wait: float) -> str:
        waited.append(wait)
        raise TimeoutError

    request = LoginRequest(runai_server.url, open_browser=False, wait=12.5)
    with pytest.raises(LoginTimeout, match=r"no address was pasted within 12\.5 s"):
        log_in(request, Person(say=print, read_line=read_line))
    assert waited == [12.5]
    assert exchanges(runai_server) == []


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("", "the input ended before the address the browser ended on was pasted"),
        ("  \n", "no address was pasted"),
        ("fake-code-pasted-alone", "not the address the browser ended on"),
        ("http://127.0.0.1:9/elsewhere?code=x&state=y", "not the address the browser ended on"),
        ("http://127.0.0.1:43121/callback?code=fake-code&state=wrong", "state is not this login's"),
    ],
)
def test_paste_mode_refuses_what_is_not_this_logins_redirect(
    runai_server: FakeRunaiServer, pasted: str, message: str
) -> None:
    request = LoginRequest(runai_server.url, open_browser=False)
    with pytest.raises(CallbackError, match=message) as caught:
        log_in(request, person(None, pasted=pasted))
    assert "fake-code" not in str(caught.value)
    assert exchanges(runai_server) == []


def document(url: str, **changes: object) -> bytes:
    issuer = url + "/auth/realms/runai"
    doc: dict[str, object] = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/protocol/openid-connect/auth",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["plain", "S256"],
    }
    doc.update(changes)
    return json.dumps({k: v for k, v in doc.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issuer": "https://elsewhere.example.com/auth/realms/runai"}, "names another issuer"),
        ({"issuer": None}, "names another issuer"),
        ({"authorization_endpoint": None}, "has no authorization_endpoint"),
        ({"authorization_endpoint": 42}, "has no authorization_endpoint"),
        (
            {"authorization_endpoint": "https://phish.example.com/auth"},
            "not on the issuer's origin",
        ),
        ({"authorization_endpoint": "javascript:alert(1)"}, "not an http"),
        ({"authorization_endpoint": "/relative/auth"}, "not an http"),
        ({"authorization_endpoint": "http://u:p@127.0.0.1/auth"}, "no user, password or fragment"),
        ({"authorization_endpoint": "http://127.0.0.1:1/a b"}, "whitespace"),
        ({"code_challenge_methods_supported": ["plain"]}, "'S256'"),
        ({"response_types_supported": "code"}, "'code'"),
    ],
)
def test_a_bad_discovery_document_is_refused(changes: dict[str, object], message: str) -> None:
    with (
        serving(lambda url: document(url, **changes)) as url,
        pytest.raises(DiscoveryError, match=message),
    ):
        log_in(LoginRequest(url, wait=1.0), person(follow))


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"<html>login</html>", 200, "is not JSON"),
        (b"[1, 2]", 200, "is not a JSON object"),
        (b"{}", 404, r"no OpenID discovery document at .* \(HTTP 404\)"),
        (b" " * (300 * 1024), 200, "larger than"),
    ],
)
def test_a_discovery_answer_that_is_no_document_is_refused(
    body: bytes, status: int, message: str
) -> None:
    with serving(lambda url: body, status) as url, pytest.raises(DiscoveryError, match=message):
        log_in(LoginRequest(url, wait=1.0), person(follow))


def test_an_issuer_without_a_document_says_so(runai_server: FakeRunaiServer) -> None:
    request = LoginRequest(runai_server.url, issuer=runai_server.url + "/auth/realms/other")
    with pytest.raises(DiscoveryError, match=r"HTTP 404.*--issuer"):
        log_in(request, person(follow))


def test_an_unreachable_identity_provider_is_said_to_be(unused_port: int) -> None:
    request = LoginRequest(f"http://127.0.0.1:{unused_port}", wait=1.0)
    with pytest.raises(DiscoveryError, match="could not be reached") as caught:
        log_in(request, person(follow))
    assert caught.value.unreachable


def test_no_secret_reaches_a_log_record(
    runai_server: FakeRunaiServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[_pkce.Pkce] = []
    real_new = _pkce.Pkce.new

    def recorded() -> _pkce.Pkce:
        made.append(real_new())
        return made[-1]

    monkeypatch.setattr(_pkce.Pkce, "new", staticmethod(recorded))
    codes: list[str] = []

    def browser(url: str) -> bool:
        back = location(url)
        codes.append(parse_qs(urlsplit(back).query)["code"][0])
        return get(back)[0] == 200

    lines: list[str] = []
    caplog.set_level(logging.DEBUG)
    result = log_in(LoginRequest(runai_server.url, wait=60.0), person(browser, lines))
    assert result.refresh_token is not None and codes and made
    secrets = [codes[0], made[0].verifier, result.access_token, result.refresh_token]
    assert caplog.records  # httpx and the fake server did log at DEBUG
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        for secret in secrets:
            assert secret not in text, record.name
    for secret in secrets:
        assert not any(secret in line for line in lines)
    # The fake server's request log keeps none either: the contract marks them all secret.
    logged = repr(runai_server.requests)
    assert "code_verifier" in logged
    for secret in secrets:
        assert secret not in logged


def authorize_queries(server: FakeRunaiServer) -> list[dict[str, str]]:
    return [
        {name: value[0] if isinstance(value, list) else value for name, value in r.query.items()}
        for r in server.requests
        if r.path.endswith("/protocol/openid-connect/auth")
    ]


@pytest.mark.parametrize("version", ["2.18", "2.19", "2.20", "2.21", "2.22", "2.23", "2.24"])
def test_login_completes_at_every_version_with_the_verifier_enforced(version: str) -> None:
    """The fake refuses a code that had a challenge without its verifier, at v1 too (RFC 7636
    section 4.6): a challenge goes out only where the exchange (v2) carries the verifier."""
    with FakeRunaiServer(version=version) as server:
        server.login_as("erin@example.com")
        result = login(server, follow)
        assert result.subject == "erin@example.com" and result.refresh_token is not None
        [query] = authorize_queries(server)
        v2 = version == "2.24"
        assert ("code_challenge" in query) is v2 and ("code_challenge_method" in query) is v2
        assert probes(server) == [("/api/v2/token", 400 if v2 else 404)]
        assert exchanges(server) == [("/api/v2/token" if v2 else "/api/v1/token", 200)]


@pytest.mark.runai_server(version="2.23", require_pkce=True)
def test_a_provider_requiring_pkce_behind_a_v1_control_plane_says_why(
    runai_server: FakeRunaiServer,
) -> None:
    browser, pages, seen = tampered({})
    with pytest.raises(CallbackError) as caught:
        login(runai_server, browser)
    message = str(caught.value)
    assert "refused the login (invalid_request: PKCE is required" in message
    assert "/api/v1/token" in message and "cannot carry the verifier" in message
    assert exchanges(runai_server) == []
    assert seen.wait(30) and "cannot carry the verifier" in pages[0][1]


@pytest.mark.runai_server(version="2.24")
def test_a_pinned_v1_exchange_that_is_refused_notes_the_missing_pkce(
    runai_server: FakeRunaiServer,
) -> None:
    # A code from another authorize request: the v1 exchange refuses it.
    def browser(url: str) -> bool:
        back = urlsplit(location(url))
        query = {k: v[0] for k, v in parse_qs(back.query).items()}
        query["code"] = "fake-code-of-nothing"
        get(f"{back.scheme}://{back.netloc}{back.path}?{urlencode(query)}")
        return True

    with pytest.raises(ApiException) as caught:
        login(runai_server, browser, token_endpoint="v1")
    assert caught.value.status == 401
    assert any("cannot carry the verifier" in note for note in caught.value.__notes__)
    assert probes(runai_server) == []  # pinned: nothing to ask


def test_the_scope_is_sent_and_offline_access_asks_for_consent(
    runai_server: FakeRunaiServer,
) -> None:
    login(runai_server, follow)
    login(runai_server, follow, scope="openid offline_access")
    plain, offline = authorize_queries(runai_server)
    assert plain["scope"] == "openid" and "prompt" not in plain
    assert offline["scope"] == "openid offline_access" and offline["prompt"] == "consent"


@pytest.mark.runai_server(offline_access_only=True)
def test_a_provider_that_needs_offline_access_gives_a_refresh_token_only_for_it(
    runai_server: FakeRunaiServer,
) -> None:
    assert login(runai_server, follow).refresh_token is None
    assert login(runai_server, follow, scope="openid offline_access").refresh_token is not None


def page_keeping_browser() -> tuple[object, list[tuple[int, str]], threading.Event]:
    """A browser that keeps the page the listener answers the redirect with."""
    pages: list[tuple[int, str]] = []
    seen = threading.Event()

    def browser(url: str) -> bool:
        pages.append(get(location(url)))
        seen.set()
        return True

    return browser, pages, seen


def test_the_page_says_failed_when_the_exchange_fails(
    runai_server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def mismatched() -> _pkce.Pkce:
        return _pkce.Pkce("fake-verifier-0123456789-0123456789-0123456789", "x" * 43)

    monkeypatch.setattr(_pkce.Pkce, "new", staticmethod(mismatched))
    browser, pages, seen = page_keeping_browser()
    with pytest.raises(ApiException):
        login(runai_server, browser)
    assert seen.wait(30)
    [(status, page)] = pages
    assert status == 400 and "The login failed" in page and "logged in" not in page
    assert "did not accept the login&#x27;s authorization code" in page
    assert "PKCE verifier" not in page  # the server's own text stays off the page


def test_the_page_says_logged_in_once_the_exchange_worked(runai_server: FakeRunaiServer) -> None:
    runai_server.login_as("<b>frank</b>")
    browser, pages, seen = page_keeping_browser()
    assert login(runai_server, browser).subject == "<b>frank</b>"
    assert seen.wait(30)
    [(status, page)] = pages
    assert status == 200 and "You are logged in as &lt;b&gt;frank&lt;/b&gt;." in page


@pytest.mark.runai_server(opaque_tokens=True)
def test_the_subject_comes_from_the_id_token(runai_server: FakeRunaiServer) -> None:
    """An opaque access token names nobody; the id_token from the same answer does."""
    runai_server.login_as("grace@example.com")
    result = login(runai_server, follow)
    assert result.access_token.startswith("fake-opaque-token-")
    assert result.subject == "grace@example.com"


def test_an_untrusted_certificate_at_the_issuer_says_tls() -> None:
    """As `get` says it: not "could not be reached"."""
    import ssl

    import trustme
    from runai_tokens.testing import Reply, scripted

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with (
        scripted(lambda request: Reply.json(200, {}), tls=context) as server,
        pytest.raises(DiscoveryError, match="TLS certificate verification failed") as caught,
    ):
        log_in(LoginRequest(server.url, wait=1.0), person(follow))
    assert caught.value.unreachable


def formatted_with_locals(exc: BaseException) -> str:
    """What a locals-capturing traceback of exc shows of the library's frames (the test's own
    frame, which caught it, holds the code it sent), its chain included."""
    stack = traceback.TracebackException(type(exc), exc, exc.__traceback__, capture_locals=True)
    library = [frame for frame in stack.stack if "runai_tokens" in frame.filename]
    stack.stack = traceback.StackSummary.from_list(library)
    return "".join(stack.format(chain=True))


@pytest.mark.parametrize("open_browser", [True, False])
def test_a_failed_exchange_shows_no_code_or_verifier_in_a_locals_traceback(
    runai_server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch, open_browser: bool
) -> None:
    """Issue 22 item 4: the code, the verifier and the state stay out of every frame's locals
    (the challenge sent does not match the verifier, so the exchange is refused)."""
    pair = _pkce.Pkce("fake-verifier-tb-0123456789-0123456789-0123456789", "x" * 43)
    monkeypatch.setattr(_pkce.Pkce, "new", staticmethod(lambda: pair))
    codes: list[str] = []
    lines: list[str] = []

    def redirect_of(url: str) -> str:
        back = location(url)
        codes.append(parse_qs(urlsplit(back).query)["code"][0])
        return back

    def browser(url: str) -> bool:
        get(redirect_of(url))
        return True

    def read_line(wait: float) -> str:
        url = next(w for line in lines for w in line.split() if w.startswith("http"))
        return redirect_of(url) + "\n"

    request = LoginRequest(runai_server.url, wait=60.0, open_browser=open_browser)
    with pytest.raises(ApiException) as caught:
        log_in(request, Person(say=lines.append, read_line=read_line, open_url=browser))
    [code] = codes
    shown = formatted_with_locals(caught.value)
    assert "log_in" in shown and "exchange" in shown  # the frames are there, with locals
    for secret in (code, pair.verifier):
        assert secret not in shown
