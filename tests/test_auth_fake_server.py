"""TokenAuth against FakeRunaiServer, which holds requests to the contract and rotates tokens."""

from __future__ import annotations

import httpx
import pytest
from runai_tokens._generated import GRANT_PATH, GRANT_V2_PATH
from runai_tokens.auth import TokenAuth
from runai_tokens.credentials import ClientCredentials, PasswordCredentials
from runai_tokens.errors import ApiException
from runai_tokens.retry import RetryPolicy
from runai_tokens.testing import PROTECTED_PATH, FakeRunaiServer

from tests.helpers.clock import FakeClock

ONE_TRY = RetryPolicy(max_attempts=1)
USER, PASSWORD = "fake-user", "fake-secret-password-fake-server"


def test_client_credentials_revoked_then_replayed(
    runai_server: FakeRunaiServer, runai_credentials: ClientCredentials
) -> None:
    auth = TokenAuth(runai_server.url, runai_credentials)
    with httpx.Client(base_url=runai_server.url, auth=auth) as client:
        assert client.get(PROTECTED_PATH).status_code == 200
        assert client.get(PROTECTED_PATH).status_code == 200
        assert runai_server.count(GRANT_V2_PATH) == 1
        runai_server.revoke_all()
        assert client.get(PROTECTED_PATH).status_code == 200
    auth.close()
    assert runai_server.count(GRANT_V2_PATH) == 2
    assert runai_server.count(PROTECTED_PATH) == 4


@pytest.mark.anyio
async def test_async_client_against_the_fake_server(
    runai_server: FakeRunaiServer, runai_credentials: ClientCredentials
) -> None:
    auth = TokenAuth(runai_server.url, runai_credentials)
    async with httpx.AsyncClient(base_url=runai_server.url, auth=auth) as client:
        responses = [await client.get(PROTECTED_PATH) for _ in range(3)]
    await auth.aclose()
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert runai_server.count(GRANT_V2_PATH) == 1


def test_on_2_18_expiry_comes_from_the_jwt_and_rotated_refresh_tokens_are_followed() -> None:
    clock = FakeClock()
    with FakeRunaiServer(version="2.18") as server:
        server.add_user(USER, PASSWORD)
        credentials = PasswordCredentials(USER, PASSWORD)
        auth = TokenAuth(server.url, credentials, clock=clock, random=lambda: 0.0)
        with httpx.Client(base_url=server.url, auth=auth) as client:
            assert client.get(PROTECTED_PATH).status_code == 200
            clock.advance(3200)  # before the margin (360 s): the JWT's exp - iat is 3600
            assert client.get(PROTECTED_PATH).status_code == 200
            assert server.count(GRANT_PATH) == 1
            for _ in range(2):  # single-use refresh tokens: each refresh must use the newest
                clock.advance(3600)
                assert client.get(PROTECTED_PATH).status_code == 200
            grants = [r.body for r in server.requests if r.path == GRANT_PATH]
            assert [g["grantType"] for g in grants] == [
                "password",
                "refresh_token",
                "refresh_token",
            ]
            server.revoke_all()  # refresh token rejected too: back to the password
            assert client.get(PROTECTED_PATH).status_code == 200
            grants = [r.body for r in server.requests if r.path == GRANT_PATH]
        auth.close()
    assert [g["grantType"] for g in grants][3:] == ["refresh_token", "password"]


@pytest.mark.parametrize("fault", ["html_next", "truncated_next"])
def test_malformed_grant_answers_raise_api_exception(
    runai_server: FakeRunaiServer, runai_credentials: ClientCredentials, fault: str
) -> None:
    getattr(runai_server, fault)(1, path=GRANT_V2_PATH)
    auth = TokenAuth(runai_server.url, runai_credentials, retry=ONE_TRY)
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    assert caught.value.status == (502 if fault == "html_next" else 200)
    assert auth.get_token()  # the next one works
    auth.close()
