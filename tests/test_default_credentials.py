"""default_credentials() and connect() without a credentials argument, over real loopback HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from runai_tokens import (
    ClientCredentials,
    ExternalTokenCredentials,
    MissingCredentialsError,
    RunaiCliSession,
    connect,
    default_credentials,
)
from runai_tokens.testing import FakeRunaiServer
from runai_tokens_client.api.tokens import grant_token
from runai_tokens_client.models import GrantType, TokenRequest

from tests.helpers.runai_cli import jwt, write_session

CHAIN = ("RUNAI_CLIENT_ID", "RUNAI_CLIENT_SECRET", "RUNAI_EXTERNAL_TOKEN", "RUNAI_BASE_URL")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A person's machine with nothing on it yet: a temporary HOME, no RUNAI_* variables."""
    for name in (*CHAIN, "RUNAI_CLI_CONFIG_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_a_service_account_comes_first(home: Path) -> None:
    write_session(home / ".runai", jwt(3600))
    env = {"HOME": str(home), "RUNAI_CLIENT_ID": "ci", "RUNAI_CLIENT_SECRET": "fake-secret"}
    assert default_credentials(env) == ClientCredentials("ci", "fake-secret")


def test_then_an_external_token(home: Path) -> None:
    write_session(home / ".runai", jwt(3600))
    env = {"HOME": str(home), "RUNAI_EXTERNAL_TOKEN": "fake-ext"}
    assert default_credentials(env) == ExternalTokenCredentials("fake-ext")


def test_then_the_runai_cli_session(home: Path) -> None:
    write_session(home / ".runai", jwt(3600))
    assert default_credentials() == RunaiCliSession(home / ".runai")
    elsewhere = home / "elsewhere"
    write_session(elsewhere, jwt(3600))
    env = {"HOME": str(home / "nobody"), "RUNAI_CLI_CONFIG_PATH": str(elsewhere)}
    assert default_credentials(env) == RunaiCliSession(elsewhere)


def test_nothing_found_lists_what_was_tried(home: Path) -> None:
    env = {"HOME": str(home), "RUNAI_CLIENT_ID": " ", "RUNAI_CLIENT_SECRET": ""}  # blank: unset
    with pytest.raises(MissingCredentialsError) as caught:
        default_credentials(env)
    message = str(caught.value)
    assert "RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET (not set)" in message
    assert "RUNAI_EXTERNAL_TOKEN (not set)" in message
    cache = home / ".cache" / "runai-tokens"
    assert f"a `runai-token login` session in {cache} (none; run `runai-token login`)" in message
    assert f"a runai CLI session in {home / '.runai'} (none; run `runai login`)" in message
    assert len(caught.value.tried) == 4


HALF_A_SERVICE_ACCOUNT = [
    ({"RUNAI_CLIENT_ID": "ci"}, "RUNAI_CLIENT_SECRET", "RUNAI_CLIENT_ID"),
    ({"RUNAI_CLIENT_ID": "ci", "RUNAI_CLIENT_SECRET": " "}, "RUNAI_CLIENT_SECRET",
     "RUNAI_CLIENT_ID"),
    ({"RUNAI_CLIENT_SECRET": "fake-secret-value"}, "RUNAI_CLIENT_ID", "RUNAI_CLIENT_SECRET"),
    # Even with another credential after it: the pair was meant, and half of it is missing.
    ({"RUNAI_CLIENT_ID": "ci", "RUNAI_EXTERNAL_TOKEN": "fake-ext"}, "RUNAI_CLIENT_SECRET",
     "RUNAI_CLIENT_ID"),
]  # fmt: skip


@pytest.mark.parametrize(("env", "missing", "given"), HALF_A_SERVICE_ACCOUNT)
def test_half_a_service_account_is_an_error_not_a_fall_through(
    home: Path,
    runai_server: FakeRunaiServer,
    env: dict[str, str],
    missing: str,
    given: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A runai CLI session that would work is right there: neither call goes on to it."""
    write_session(home / ".runai", runai_server.issue_access_token("alice"), url=runai_server.url)
    with pytest.raises(MissingCredentialsError) as caught:
        default_credentials({"HOME": str(home), **env})
    assert str(caught.value) == (
        f"environment variable {missing} is not set (or is empty), but {given} is: set both for "
        "a service account, or neither to look for other credentials"
    )
    assert (caught.value.variable, caught.value.alongside) == (missing, given)
    assert "fake-secret-value" not in str(caught.value)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(MissingCredentialsError):
        connect()
    assert runai_server.count() == 0
    # The control: with neither variable, the session is found.
    monkeypatch.delenv("RUNAI_CLIENT_ID", raising=False)
    monkeypatch.delenv("RUNAI_CLIENT_SECRET", raising=False)
    assert isinstance(default_credentials(), RunaiCliSession | ExternalTokenCredentials)


def test_connect_with_only_a_runai_cli_session(home: Path, runai_server: FakeRunaiServer) -> None:
    write_session(home / ".runai", runai_server.issue_access_token("alice"), url=runai_server.url)
    with connect() as client:  # no base URL, no credentials: both from ~/.runai
        response = client.get_httpx_client().get(runai_server.PROTECTED_PATH)
    assert response.status_code == 200
    assert response.json()["sub"] == "alice"
    assert runai_server.token_requests == 0


def test_runai_base_url_beats_the_session_url(
    home: Path, runai_server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_session(home / ".runai", runai_server.issue_access_token("a"), url="http://127.0.0.1:9")
    monkeypatch.setenv("RUNAI_BASE_URL", runai_server.url)
    with connect() as client:
        assert client.get_httpx_client().get(runai_server.PROTECTED_PATH).status_code == 200


def test_connect_finds_a_service_account(
    home: Path, runai_server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    runai_server.add_client("ci", "fake-secret-ci")
    monkeypatch.setenv("RUNAI_CLIENT_ID", "ci")
    monkeypatch.setenv("RUNAI_CLIENT_SECRET", "fake-secret-ci")
    with connect(runai_server.url) as client:
        assert client.get_httpx_client().get(runai_server.PROTECTED_PATH).status_code == 200
    assert runai_server.token_requests == 1


def test_nothing_found_connects_without_auth_and_a_401_says_what_was_tried(
    home: Path, runai_server: FakeRunaiServer
) -> None:
    runai_server.add_client("ci", "fake-secret-ci")
    with connect(runai_server.url) as client:
        body = TokenRequest(
            grant_type=GrantType.CLIENT_CREDENTIALS, client_id="ci", client_secret="fake-secret-ci"
        )
        assert grant_token.sync(client=client, body=body) is not None  # token operations work
        with pytest.raises(MissingCredentialsError, match="401 from /api/v1/whoami") as caught:
            client.get_httpx_client().get(runai_server.PROTECTED_PATH)
    assert "run `runai login`" in str(caught.value)


@pytest.mark.anyio
async def test_nothing_found_says_so_on_the_async_client_too(
    home: Path, runai_server: FakeRunaiServer
) -> None:
    client = connect(runai_server.url)
    async with client.get_async_httpx_client() as http:
        with pytest.raises(MissingCredentialsError, match="RUNAI_EXTERNAL_TOKEN"):
            await http.get(runai_server.PROTECTED_PATH)


def test_credentials_none_still_means_no_auth(home: Path, runai_server: FakeRunaiServer) -> None:
    write_session(home / ".runai", runai_server.issue_access_token("a"), url=runai_server.url)
    with connect(runai_server.url, None) as client:
        assert client.get_httpx_client().get(runai_server.PROTECTED_PATH).status_code == 401


def test_an_explicit_session_gives_its_base_url(home: Path, runai_server: FakeRunaiServer) -> None:
    write_session(home / "cli", runai_server.issue_access_token("a"), url=runai_server.url)
    with connect(credentials=RunaiCliSession(home / "cli")) as client:
        assert client.get_httpx_client().get(runai_server.PROTECTED_PATH).status_code == 200
