"""The loopback redirect listener on its own: what it ignores, what ends it, what it says."""

from __future__ import annotations

import pytest
from runai_tokens.login._callback import code_from_query
from runai_tokens.login._errors import CallbackError, LoginError, LoginTimeout
from runai_tokens.login._listener import CallbackListener

from tests.login_helpers import get

STATE = "fake-state-of-this-login"


def listener() -> CallbackListener:
    return CallbackListener(lambda query: code_from_query(query, STATE))


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
        status, page = get(f"{server.redirect_uri}?code=fake-code-LEAK-1&state={STATE}")
        assert status == 200 and "You are logged in" in page
        assert "fake-code-LEAK-1" not in page and STATE not in page
        assert server.wait(5) == "fake-code-LEAK-1"
        # Only the first callback counts.
        status, page = get(f"{server.redirect_uri}?code=fake-code-LEAK-2&state={STATE}")
        assert status == 409 and "already finished" in page
        assert server.wait(5) == "fake-code-LEAK-1"


def test_a_wrong_state_ends_it_with_an_error_page() -> None:
    with listener() as server:
        status, page = get(f"{server.redirect_uri}?code=fake-code-LEAK&state=another")
        assert status == 400 and "The login failed" in page and "fake-code-LEAK" not in page
        with pytest.raises(CallbackError, match="state is not this login's"):
            server.wait(5)


def test_it_listens_on_loopback_only_and_says_when_the_port_is_taken() -> None:
    with listener() as first:
        assert first.redirect_uri == f"http://127.0.0.1:{first.port}/callback"
        with pytest.raises(LoginError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            CallbackListener(lambda query: "", port=first.port)


def test_a_localhost_redirect_uri_still_binds_loopback_only() -> None:
    with CallbackListener(
        lambda query: code_from_query(query, STATE), redirect_host="localhost"
    ) as server:
        assert server.redirect_uri == f"http://localhost:{server.port}/callback"
        # Bound to 127.0.0.1, not to every interface (0.0.0.0) nor to ::1.
        assert server._server.server_address == ("127.0.0.1", server.port)
        bare = f"http://127.0.0.1:{server.port}/callback?code=x&state={STATE}"
        assert get(bare, host="evil.example.com")[0] == 404
        # A browser sends Host: localhost:<port> to the redirect URI it was given.
        status, page = get(
            f"{server.redirect_uri}?code=fake-code-LEAK&state={STATE}",
            host=f"localhost:{server.port}",
        )
        assert status == 200 and "You are logged in" in page
        assert server.wait(5) == "fake-code-LEAK"


def test_a_redirect_host_that_is_not_loopback_is_refused() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1, localhost"):
        CallbackListener(lambda query: "", redirect_host="0.0.0.0")  # noqa: S104 - refused


def test_a_repeated_parameter_is_refused() -> None:
    with pytest.raises(CallbackError, match="repeats code"):
        code_from_query(f"code=a&code=b&state={STATE}", STATE)


def test_closing_it_frees_the_port() -> None:
    server = listener()
    with server:
        port = server.port
    again = CallbackListener(lambda query: "", port=port)
    again.close()
