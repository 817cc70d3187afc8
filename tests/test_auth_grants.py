"""Token grants that go wrong: rejections, malformed answers, refresh tokens, early refresh."""

from __future__ import annotations

import functools
import logging
import socket

import httpx
import pytest
from runai_tokens._generated import Error
from runai_tokens.auth import TokenAuth
from runai_tokens.credentials import (
    AppCredentials,
    ClientCredentials,
    PasswordCredentials,
    RefreshTokenCredentials,
)
from runai_tokens.errors import ApiException, RetryAfterExceedsDeadline, UnexpectedStatus
from runai_tokens.retry import RetryPolicy
from runai_tokens.testing import PROTECTED_PATH, Reply

from tests.helpers.clock import FakeClock
from tests.helpers.fake import (
    APP_ID,
    APP_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    grant_types,
    grants,
    token_server,
)

CREDENTIALS = ClientCredentials(CLIENT_ID, CLIENT_SECRET)
# The scripted failures below are v1's (the Error envelope), and so is every grant asserted on.
v1_auth = functools.partial(TokenAuth, token_endpoint="v1")
envelope = Reply.envelope
NO_WAIT = RetryPolicy(backoff_base=0, backoff_max=0)
ONE_TRY = RetryPolicy(max_attempts=1)


@pytest.mark.parametrize("status", [400, 401, 403])
def test_a_rejected_grant_raises_at_once_with_the_envelope(status: int) -> None:
    with token_server() as server:
        server.script_grants(envelope(status, "invalid client"))
        auth = v1_auth(server.url, CREDENTIALS, retry=NO_WAIT)
        with pytest.raises(ApiException) as caught:
            auth.get_token()
    assert caught.value.status == status
    assert isinstance(caught.value.error, Error)
    assert caught.value.error.code == status
    assert caught.value.error.message == "invalid client"
    assert "invalid client" in str(caught.value)
    assert server.token_requests == 1


def test_wrong_credentials_are_rejected_without_echoing_the_secret() -> None:
    secret = "fake-secret-wrong-one"
    with token_server() as server:
        auth = v1_auth(server.url, ClientCredentials(CLIENT_ID, secret))
        with pytest.raises(ApiException) as caught:
            auth.get_token()
    assert caught.value.status == 401
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    assert secret not in repr(auth)


HTML = {"Content-Type": "text/html"}


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (Reply(502, b"<html>bad gateway</html>", HTML), 502),
        (Reply(400, b"<html>bad request</html>", HTML), 400),
        (Reply.json(400, {"unexpected": "shape"}), 400),
        (Reply(200, b'{"accessToken": "eyJ-truncated', {}), 200),
        (Reply(200, b"<html>login page</html>", HTML), 200),
        (Reply.json(200, {"idToken": "fake-id-token"}), 200),
        (Reply.json(200, {"accessToken": 12345}), 200),
        (Reply.json(200, {"accessToken": ""}), 200),
        (Reply.json(200, ["fake-token"]), 200),
        (Reply.json(201, {"accessToken": "fake-token"}), 201),
        (Reply(599, b"?", {}), 599),
    ],
)
def test_a_malformed_answer_is_an_api_exception(reply: Reply, status: int) -> None:
    with token_server() as server:
        server.script_grants(reply)
        auth = v1_auth(server.url, CREDENTIALS, retry=ONE_TRY)
        with pytest.raises(ApiException) as caught:
            auth.get_token()
    # A status the contract does not list is its UnexpectedStatus; never a grant-specific kind.
    assert type(caught.value) in (ApiException, UnexpectedStatus)
    assert caught.value.status == status
    assert "eyJ" not in str(caught.value)
    assert caught.value.body == reply.body.decode()


@pytest.mark.anyio
async def test_a_malformed_answer_is_an_api_exception_async() -> None:
    with token_server() as server:
        server.script_grants(Reply(200, b'{"accessToken": "eyJ-truncated', {}))
        auth = v1_auth(server.url, CREDENTIALS, retry=ONE_TRY)
        with pytest.raises(ApiException) as caught:
            await auth.aget_token()
        await auth.aclose()
    assert caught.value.status == 200


def test_5xx_after_retries_is_an_api_exception() -> None:
    with token_server() as server:
        server.script_grants(*[envelope(503, "unavailable")] * 3)
        auth = v1_auth(server.url, CREDENTIALS, retry=NO_WAIT)
        with pytest.raises(ApiException) as caught:
            auth.get_token()
        assert caught.value.status == 503
        assert server.token_requests == 3
        assert auth.get_token()  # the service is back


def test_503_then_success_is_retried_under_the_hood() -> None:
    with token_server() as server:
        server.script_grants(envelope(503, "unavailable"))
        assert v1_auth(server.url, CREDENTIALS, retry=NO_WAIT).get_token()
    assert server.token_requests == 2


def test_connection_refused_is_an_api_exception_without_status() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    auth = v1_auth(f"http://127.0.0.1:{port}", CREDENTIALS, retry=ONE_TRY)
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_an_explicit_transport_is_used_for_grants() -> None:
    with token_server() as server:
        auth = v1_auth(server.url, CREDENTIALS, transport=httpx.HTTPTransport())
        server.script_grants(envelope(503, "unavailable"))
        with pytest.raises(ApiException):  # no RetryTransport, so no retry
            auth.get_token()
        auth.close()
    assert server.token_requests == 1


@pytest.mark.parametrize(
    ("credentials", "grant"),
    [
        (PasswordCredentials(USERNAME, PASSWORD), "password"),
        (AppCredentials(APP_ID, APP_SECRET), "app_token"),
    ],
)
def test_other_grants(credentials: PasswordCredentials | AppCredentials, grant: str) -> None:
    with token_server() as server:
        assert v1_auth(server.url, credentials).get_token()
    assert grant_types(server) == [grant]


def test_the_newest_refresh_token_is_preferred() -> None:
    clock = FakeClock()
    with token_server() as server:  # refresh tokens rotate: each is good for one grant
        auth = v1_auth(server.url, PasswordCredentials(USERNAME, PASSWORD), clock=clock)
        for _ in range(3):
            auth.get_token()
            clock.advance(3600)
    assert grant_types(server) == ["password", "refresh_token", "refresh_token"]
    # An older (spent) refresh token would have been refused, and the password sent again.
    assert [r.status for r in server.requests] == [200, 200, 200]
    assert "clientID" not in grants(server)[1]


def test_a_rejected_refresh_token_falls_back_to_the_primary_credentials() -> None:
    clock = FakeClock()
    with token_server() as server:  # client_credentials gets no refresh token: a password does
        credentials = PasswordCredentials(USERNAME, PASSWORD, client_id=CLIENT_ID)
        auth = v1_auth(server.url, credentials, clock=clock)
        first = auth.get_token()
        clock.advance(3600)
        server.revoke_all()
        assert auth.get_token() != first
        clock.advance(3600)
        auth.get_token()
    assert grant_types(server) == [
        "password",
        "refresh_token",
        "password",
        "refresh_token",  # with the refresh token the fallback grant issued
    ]
    assert [r.status for r in server.requests] == [200, 401, 200, 200]


@pytest.mark.parametrize(
    "failure",
    [
        envelope(500, "internal error"),
        Reply(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}),
        Reply(drop=True),
    ],
    ids=["500", "html-502", "dropped"],
)
def test_a_failed_refresh_falls_back_to_the_primary_credentials(failure: Reply) -> None:
    """A refresh grant is never retried after a 5xx or a drop (the token may be spent), so the
    primary credentials, which are safe to repeat, get the token instead."""
    clock = FakeClock()
    with token_server() as server:
        auth = v1_auth(server.url, PasswordCredentials(USERNAME, PASSWORD), clock=clock)
        first = auth.get_token()
        clock.advance(3600)
        server.script_grants(failure)
        assert auth.get_token() != first
    assert grant_types(server) == ["password", "refresh_token", "password"]


def test_a_refresh_asked_to_wait_past_the_deadline_does_not_fall_back() -> None:
    clock = FakeClock()
    with token_server() as server:
        auth = v1_auth(server.url, PasswordCredentials(USERNAME, PASSWORD), clock=clock)
        auth.get_token()
        clock.advance(3600)
        server.script_grants(
            Reply.json(503, {"code": 503, "message": "maintenance"}, {"Retry-After": "3600"})
        )
        with pytest.raises(RetryAfterExceedsDeadline):
            auth.get_token()
    assert grant_types(server) == ["password", "refresh_token"]


def test_refresh_token_credentials_have_nothing_to_fall_back_on() -> None:
    with token_server() as server:
        issued = server.issue_refresh_token(USERNAME, client_id=CLIENT_ID)
        good = v1_auth(server.url, RefreshTokenCredentials(issued, CLIENT_ID))
        assert good.get_token()
        bad = v1_auth(server.url, RefreshTokenCredentials("fake-refresh-token-bad"))
        with pytest.raises(ApiException) as caught:
            bad.get_token()
    assert caught.value.status == 401
    assert grant_types(server) == ["refresh_token", "refresh_token"]
    assert grants(server)[0]["clientID"] == CLIENT_ID


def test_a_failed_early_refresh_keeps_the_token_warns_and_cools_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    with token_server() as server:
        auth = v1_auth(server.url, CREDENTIALS, retry=ONE_TRY, clock=clock, random=lambda: 0)
        token = auth.get_token()
        clock.advance(3600 - 360 + 1)  # due for an early refresh, far from expiry
        server.script_grants(envelope(500, "down"))
        with caplog.at_level(logging.WARNING, logger="runai_tokens.auth"):
            assert auth.get_token() == token
        assert server.token_requests == 2
        [record] = [r for r in caplog.records if r.name == "runai_tokens.auth"]
        assert record.levelno == logging.WARNING
        assert "500" in record.getMessage()
        clock.advance(29)  # within the 30 s cooldown: no new attempt
        assert auth.get_token() == token
        assert server.token_requests == 2
        clock.advance(2)
        assert auth.get_token() != token
        assert server.token_requests == 3


@pytest.mark.anyio
async def test_a_failed_early_refresh_keeps_the_token_async() -> None:
    clock = FakeClock()
    with token_server() as server:
        auth = v1_auth(server.url, CREDENTIALS, retry=ONE_TRY, clock=clock, random=lambda: 0)
        token = await auth.aget_token()
        clock.advance(3600 - 60)
        server.script_grants(envelope(401, "revoked"))
        assert await auth.aget_token() == token
        await auth.aclose()
    assert server.token_requests == 2


def test_a_failed_refresh_of_a_stale_token_raises() -> None:
    clock = FakeClock()
    with token_server() as server:
        auth = v1_auth(server.url, CREDENTIALS, retry=ONE_TRY, clock=clock)
        auth.get_token()
        clock.advance(3600 - 30)  # the token has 30 s left: too little to send
        server.script_grants(envelope(500, "down"))
        with pytest.raises(ApiException):
            auth.get_token()


def test_no_secret_in_any_log_record_repr_or_exception(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []
    errors: list[ApiException] = []
    with token_server() as server:
        auth = v1_auth(
            server.url, PasswordCredentials(USERNAME, PASSWORD), retry=NO_WAIT, clock=clock
        )
        with httpx.Client(base_url=server.url, auth=auth) as client:
            client.get(PROTECTED_PATH)
            server.revoke_all()
            client.get(PROTECTED_PATH)  # 401, refresh rejected, fallback, replay
            tokens.append(auth.get_token())
            clock.advance(3600 - 300)
            # The refresh grant (not retried), then the fallback grant's three attempts.
            server.script_grants(*[envelope(500, "down")] * 4)
            tokens.append(auth.get_token())  # early refresh fails: warning
            server.script_grants(Reply(200, b'{"accessToken": "' + tokens[0].encode(), {}))
            clock.advance(3600)
            with pytest.raises(ApiException) as caught:
                auth.get_token()
            errors.append(caught.value)
        # FakeRunaiServer's refresh tokens all start so; no part of any may show.
        secrets = [PASSWORD, *tokens, "fake-refresh-"]
        shown = [repr(auth), str(auth), *map(str, errors), *map(repr, errors)]
        shown += [r.getMessage() for r in caplog.records]
    assert any(r.name == "runai_tokens.auth" for r in caplog.records)
    for secret in secrets:
        for text in shown:
            assert secret not in text
