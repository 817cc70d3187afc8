"""TokenAuth picks the grant endpoint the control plane has, across control-plane versions.

Against FakeRunaiServer at each version over loopback: /api/v2/token from 2.24, /api/v1/token
before, one fallback per TokenAuth, pinned endpoints, the grants a version lacks, and RFC 6749
errors that say what happened.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from runai_tokens import (
    AppCredentials,
    ClientCredentials,
    ExternalTokenCredentials,
    PasswordCredentials,
    RefreshTokenCredentials,
    StaticToken,
)
from runai_tokens._generated import GRANT_PATH, GRANT_V2_PATH
from runai_tokens.auth import TokenAuth
from runai_tokens.errors import ApiException, GrantNotSupported
from runai_tokens.retry import RetryPolicy
from runai_tokens.testing import PROTECTED_PATH, FakeRunaiServer

CLIENT, SECRET = "fake-ci", "fake-secret-endpoints"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.001)


def server_at(version: str) -> FakeRunaiServer:
    server = FakeRunaiServer(version=version)
    server.start()
    return server


@pytest.fixture
def v2_server(request: pytest.FixtureRequest) -> FakeRunaiServer:
    server = server_at("2.24")
    server.add_client(CLIENT, SECRET)
    request.addfinalizer(server.stop)
    return server


@pytest.fixture
def v1_server(request: pytest.FixtureRequest) -> FakeRunaiServer:
    server = server_at("2.23")
    server.add_client(CLIENT, SECRET)
    request.addfinalizer(server.stop)
    return server


def grants(server: FakeRunaiServer) -> tuple[int, int]:
    """(v2 requests, v1 requests)."""
    return server.count(GRANT_V2_PATH), server.count(GRANT_PATH)


def test_a_224_control_plane_gets_the_oauth2_grant(v2_server: FakeRunaiServer) -> None:
    auth = TokenAuth(v2_server.url, ClientCredentials(CLIENT, SECRET))
    with httpx.Client(base_url=v2_server.url, auth=auth) as client:
        assert client.get(PROTECTED_PATH).status_code == 200
    auth.close()
    assert grants(v2_server) == (1, 0)
    [grant] = [r for r in v2_server.requests if r.path == GRANT_V2_PATH]
    assert grant.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    assert SECRET not in repr(grant)


def test_an_older_control_plane_costs_one_extra_request_per_tokenauth(
    v1_server: FakeRunaiServer,
) -> None:
    auth = TokenAuth(v1_server.url, ClientCredentials(CLIENT, SECRET))
    auth.get_token()
    assert grants(v1_server) == (1, 1)  # one 404 on v2, then v1
    v1_server.revoke_all()
    with httpx.Client(base_url=v1_server.url, auth=auth) as client:
        assert client.get(PROTECTED_PATH).status_code == 200  # a 401, a new token, a replay
    auth.close()
    assert grants(v1_server) == (1, 2)  # the answer was remembered: v2 is not asked again


@pytest.mark.anyio
async def test_the_fallback_is_the_same_for_async_callers(v1_server: FakeRunaiServer) -> None:
    auth = TokenAuth(v1_server.url, ClientCredentials(CLIENT, SECRET))
    assert await auth.aget_token()
    await auth.aclose()
    assert grants(v1_server) == (1, 1)


def test_token_endpoint_v1_never_asks_v2(v2_server: FakeRunaiServer) -> None:
    auth = TokenAuth(v2_server.url, ClientCredentials(CLIENT, SECRET), token_endpoint="v1")
    auth.get_token()
    auth.close()
    assert grants(v2_server) == (0, 1)


def test_token_endpoint_v2_does_not_fall_back(v1_server: FakeRunaiServer) -> None:
    auth = TokenAuth(v1_server.url, ClientCredentials(CLIENT, SECRET), token_endpoint="v2")
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    auth.close()
    assert caught.value.status == 404
    assert grants(v1_server) == (1, 0)


@pytest.mark.parametrize("endpoint", ["v3", "", None, 2])
def test_an_unknown_token_endpoint_is_refused(endpoint: object) -> None:
    with pytest.raises(ValueError, match="token_endpoint must be one of auto, v1, v2"):
        TokenAuth("https://tenant.example", StaticToken("fake-t"), token_endpoint=endpoint)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "credentials",
    [AppCredentials("fake-app", "fake-app-secret"), ExternalTokenCredentials("fake-ext-token")],
)
def test_grants_v2_lacks_go_to_v1_and_cannot_be_pinned_to_v2(
    v2_server: FakeRunaiServer, credentials: AppCredentials | ExternalTokenCredentials
) -> None:
    with pytest.raises(ValueError, match="has no grant on /api/v2/token"):
        TokenAuth(v2_server.url, credentials, token_endpoint="v2")
    v2_server.add_app("fake-app", "fake-app-secret")
    v2_server.add_external_token("fake-ext-token")
    auth = TokenAuth(v2_server.url, credentials)
    assert auth.get_token()
    auth.close()
    assert grants(v2_server) == (0, 1)


def test_password_grant_on_v2_sends_the_client_id_when_given(v2_server: FakeRunaiServer) -> None:
    v2_server.add_user("fake-user", "fake-secret-pw")
    auth = TokenAuth(
        v2_server.url, PasswordCredentials("fake-user", "fake-secret-pw", client_id="runai")
    )
    auth.get_token()
    auth.close()
    [grant] = [r for r in v2_server.requests if r.path == GRANT_V2_PATH]
    assert grant.body["grant_type"] == "password"
    assert grant.body["client_id"] == "runai"
    assert "fake-secret-pw" not in repr(grant)


def test_the_refresh_token_from_a_v2_grant_refreshes_through_v2(
    v2_server: FakeRunaiServer,
) -> None:
    v2_server.add_user("fake-user", "fake-secret-pw")
    refresh = v2_server.issue_refresh_token("fake-user")
    now = [0.0]
    auth = TokenAuth(v2_server.url, RefreshTokenCredentials(refresh), clock=lambda: now[0])
    first = auth.get_token()
    now[0] += v2_server.lifetime  # expired on TokenAuth's clock: the next call refreshes
    assert auth.get_token() != first
    auth.close()
    bodies = [r.body for r in v2_server.requests if r.path == GRANT_V2_PATH]
    assert [b["grant_type"] for b in bodies] == ["refresh_token", "refresh_token"]
    assert grants(v2_server) == (2, 0)


@pytest.mark.parametrize(
    ("version", "credentials", "since"),
    [
        ("2.18", ClientCredentials(CLIENT, SECRET), "2.20"),
        ("2.21", ExternalTokenCredentials("fake-ext-token"), "2.22"),
    ],
)
def test_a_grant_the_version_lacks_says_so(
    version: str,
    credentials: ClientCredentials | ExternalTokenCredentials,
    since: str,
    request: pytest.FixtureRequest,
) -> None:
    server = server_at(version)
    request.addfinalizer(server.stop)
    server.add_client(CLIENT, SECRET)
    server.add_external_token("fake-ext-token")
    auth = TokenAuth(server.url, credentials, retry=FAST)
    with pytest.raises(GrantNotSupported) as caught:
        auth.get_token()
    auth.close()
    message = str(caught.value)
    assert "not supported by this control plane" in message
    assert f"added it in {since}" in message
    assert "rejected" not in message
    assert caught.value.status == 400
    assert SECRET not in message and "fake-ext-token" not in message


def test_a_wrong_secret_on_v2_is_a_typed_oauth2_error(
    v2_server: FakeRunaiServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "fake-secret-WRONG-v2"
    auth = TokenAuth(v2_server.url, ClientCredentials(CLIENT, wrong), retry=FAST)
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    auth.close()
    exc = caught.value
    assert exc.status == 401
    assert exc.oauth2_error == "invalid_client"
    assert "invalid_client" in str(exc)
    assert exc.message
    assert grants(v2_server) == (1, 0)  # a rejection is not retried
    for text in (str(exc), repr(exc), caplog.text):
        assert wrong not in text


def test_a_503_on_v2_is_retried_like_a_grant(v2_server: FakeRunaiServer) -> None:
    v2_server.fail_next(2, 503, path=GRANT_V2_PATH, retry_after=0)
    auth = TokenAuth(v2_server.url, ClientCredentials(CLIENT, SECRET), retry=FAST)
    assert auth.get_token()
    auth.close()
    assert grants(v2_server) == (3, 0)


def test_a_500_on_a_v2_refresh_is_not_retried(v2_server: FakeRunaiServer) -> None:
    # The refresh token may have been spent: like v1's, a v2 refresh is single-use.
    v2_server.add_user("fake-user", "fake-secret-pw")
    refresh = v2_server.issue_refresh_token("fake-user")
    v2_server.fail_next(1, 500, path=GRANT_V2_PATH)
    auth = TokenAuth(v2_server.url, RefreshTokenCredentials(refresh), retry=FAST)
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    auth.close()
    assert caught.value.status == 500
    assert grants(v2_server) == (1, 0)


def test_get_access_token_tells_the_expiry_from_the_servers_lifetime(
    v2_server: FakeRunaiServer,
) -> None:
    import datetime

    from runai_tokens import AccessToken

    v2_server.set_lifetime(600)
    now = [1000.0]
    auth = TokenAuth(v2_server.url, ClientCredentials(CLIENT, SECRET), clock=lambda: now[0])
    before = datetime.datetime.now(datetime.UTC)
    access = auth.get_access_token()
    after = datetime.datetime.now(datetime.UTC)
    assert isinstance(access, AccessToken)
    assert access.token == auth.get_token()
    assert access.expires_at is not None and access.expires_at.tzinfo is not None
    assert before + datetime.timedelta(seconds=600) <= access.expires_at
    assert access.expires_at <= after + datetime.timedelta(seconds=600)
    assert v2_server.token_requests == 1  # the token it returned, not another one
    assert access.token not in repr(access) and access.token not in str(access)
    auth.close()


def test_a_static_token_has_no_known_expiry() -> None:
    auth = TokenAuth("https://tenant.example", StaticToken("fake-static-token"))
    access = auth.get_access_token()
    assert (access.token, access.expires_at) == ("fake-static-token", None)
