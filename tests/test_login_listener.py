"""The loopback redirect listener on its own: what it ignores, what ends it, what it says."""

from __future__ import annotations

import threading

import pytest
from runai_tokens.login._callback import Expected, Redirect, read_query
from runai_tokens.login._errors import CallbackError, LoginError, LoginTimeout
from runai_tokens.login._listener import CallbackListener

from tests.helpers.browsers import get

STATE = "fake-state-of-this-login"
ISSUER = "http://127.0.0.1:9/auth/realms/runai"


def listener(issuer: str | None = None, require_iss: bool = False) -> CallbackListener[Redirect]:
    expected = Expected(STATE, issuer, require_iss)
    return CallbackListener(lambda query: read_query(query, expected))


def code_of(server: CallbackListener[Redirect], timeout: float = 5) -> str:
    return server.wait(timeout).code


def get_later(url: str) -> tuple[threading.Thread, list[tuple[int, str]]]:
    """A browser's GET on a thread of its own: its page waits for the login's outcome."""
    pages: list[tuple[int, str]] = []
    thread = threading.Thread(target=lambda: pages.append(get(url)), daemon=True)
    thread.start()
    return thread, pages


def test_it_ignores_everything_but_a_get_of_the_callback() -> None:
    with listener() as server:
        base = f"http://127.0.0.1:{server.port}"
        assert get(f"{base}/favicon.ico")[0] == 404
        assert get(f"{base}/")[0] == 404
        assert get(f"{base}/callback")[0] == 404  # no code, state or error: no callback
        assert get(f"{base}/callback?code=x&state={STATE}", method="POST")[0] == 405
        # What a DNS-rebinding page would send: another Host.
        assert get(f"{base}/callback?code=x&state={STATE}", host="evil.example.com")[0] == 404
        with pytest.raises(LoginTimeout):
            server.wait(0.05)  # none of that ended it
        browser, pages = get_later(f"{server.redirect_uri}?code=fake-code-LEAK-1&state={STATE}")
        assert code_of(server) == "fake-code-LEAK-1"
        # Only the first callback counts.
        status, page = get(f"{server.redirect_uri}?code=fake-code-LEAK-2&state={STATE}")
        assert status == 409 and "already finished" in page
        assert code_of(server) == "fake-code-LEAK-1"
        assert pages == []  # the page waits for the exchange's outcome
        server.report(True, "You are logged in as <b>alice</b>.")
        browser.join(30)
    [(status, page)] = pages
    assert status == 200 and "You are logged in as &lt;b&gt;alice&lt;/b&gt;." in page
    assert "fake-code-LEAK-1" not in page and STATE not in page


def test_the_page_says_failed_when_the_exchange_fails() -> None:
    with listener() as server:
        browser, pages = get_later(f"{server.redirect_uri}?code=fake-code-LEAK&state={STATE}")
        code_of(server)
        server.report(False, "The login failed: the identity provider did not accept it.")
        browser.join(30)
    [(status, page)] = pages
    assert status == 400 and "The login failed" in page and "You are logged in" not in page


def test_a_listener_closed_without_an_outcome_says_the_login_did_not_complete() -> None:
    with listener() as server:
        browser, pages = get_later(f"{server.redirect_uri}?code=fake-code-LEAK&state={STATE}")
        code_of(server)
    browser.join(30)
    [(status, page)] = pages
    assert status == 400 and "did not complete" in page


@pytest.mark.parametrize(
    "query",
    [
        "code=fake-code-LEAK&state=another",
        "code=fake-code-LEAK",
        "error=access_denied&error_description=fake-text-LEAK",
        "error=access_denied&state=another",
        f"code=fake-code-LEAK&state={STATE}&state={STATE}",
    ],
)
def test_a_callback_without_this_logins_state_is_ignored(query: str) -> None:
    with listener() as server:
        status, page = get(f"{server.redirect_uri}?{query}")
        assert status == 400 and "does not belong to the login in progress" in page
        assert "LEAK" not in page
        with pytest.raises(LoginTimeout):
            server.wait(0.05)  # the login goes on waiting
        # ... and the real redirect still ends it.
        browser, _ = get_later(f"{server.redirect_uri}?code=fake-code-real&state={STATE}")
        assert code_of(server) == "fake-code-real"
        server.report(True, "You are logged in.")
        browser.join(30)


def test_only_an_error_with_this_logins_state_ends_it_shown_escaped() -> None:
    with listener() as server:
        query = f"error=access_denied&error_description=%3Cscript%3Eno%3C/script%3E&state={STATE}"
        status, page = get(f"{server.redirect_uri}?{query}")
        assert status == 400 and "The login failed" in page
        assert "<script>" not in page and "&lt;script&gt;" in page
        with pytest.raises(CallbackError, match=r"refused the login \(access_denied: <script>"):
            server.wait(5)


@pytest.mark.parametrize(
    ("iss", "require", "message"),
    [
        ("http://127.0.0.1:9/auth/realms/other", False, "is not the issuer"),
        ("http://127.0.0.1:9/auth/realms/other", True, "is not the issuer"),
        (None, True, "carries no iss"),
    ],
)
def test_rfc_9207_iss_must_be_the_issuer(iss: str | None, require: bool, message: str) -> None:
    from urllib.parse import urlencode

    params = {"code": "fake-code-LEAK", "state": STATE, **({"iss": iss} if iss else {})}
    with listener(ISSUER, require) as server:
        status, page = get(f"{server.redirect_uri}?{urlencode(params)}")
        assert status == 400 and "The login failed" in page
        with pytest.raises(CallbackError, match=message):
            server.wait(5)


def test_rfc_9207_iss_that_matches_or_is_not_required() -> None:
    from urllib.parse import urlencode

    for iss, require in ((ISSUER, True), (None, False)):
        params = {"code": "fake-code", "state": STATE, **({"iss": iss} if iss else {})}
        with listener(ISSUER, require) as server:
            browser, _ = get_later(f"{server.redirect_uri}?{urlencode(params)}")
            assert code_of(server) == "fake-code"
            server.report(True, "You are logged in.")
            browser.join(30)


def test_it_listens_on_loopback_only_and_says_when_the_port_is_taken() -> None:
    with listener() as first:
        assert first.redirect_uri == f"http://127.0.0.1:{first.port}/callback"
        with pytest.raises(LoginError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            CallbackListener(lambda query: "", port=first.port)


def test_a_localhost_redirect_uri_still_binds_loopback_only() -> None:
    expected = Expected(STATE)
    with CallbackListener(
        lambda query: read_query(query, expected), redirect_host="localhost"
    ) as server:
        assert server.redirect_uri == f"http://localhost:{server.port}/callback"
        # Bound to 127.0.0.1, not to every interface (0.0.0.0) nor to ::1.
        assert server._server.server_address == ("127.0.0.1", server.port)
        bare = f"http://127.0.0.1:{server.port}/callback?code=x&state={STATE}"
        assert get(bare, host="evil.example.com")[0] == 404
        # A browser sends Host: localhost:<port> to the redirect URI it was given.
        pages: list[tuple[int, str]] = []
        url = f"{server.redirect_uri}?code=fake-code-LEAK&state={STATE}"
        browser = threading.Thread(
            target=lambda: pages.append(get(url, host=f"localhost:{server.port}")), daemon=True
        )
        browser.start()
        assert code_of(server) == "fake-code-LEAK"
        server.report(True, "You are logged in.")
        browser.join(30)
        assert pages[0][0] == 200 and "You are logged in" in pages[0][1]


def test_a_redirect_host_that_is_not_loopback_is_refused() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1, localhost"):
        CallbackListener(lambda query: "", redirect_host="0.0.0.0")  # noqa: S104 - refused


def test_a_repeated_parameter_is_refused() -> None:
    refused = read_query(f"code=a&code=b&state={STATE}", Expected(STATE))
    assert not isinstance(refused, Redirect)
    assert "repeats code" in refused.message and not refused.stray


def test_closing_it_frees_the_port() -> None:
    server = listener()
    with server:
        port = server.port
    again = CallbackListener(lambda query: "", port=port)
    again.close()
