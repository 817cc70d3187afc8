"""LoginSession over real loopback HTTP: the stored refresh token traded through v2 and v1, every
rotated token stored at once, a refused or missing login saying "run `runai-token login`", and
no token in a log record, a repr, a message or a file others can read."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runai_tokens import (
    ApiException,
    ClientCredentials,
    ExternalTokenCredentials,
    LoginRequiredError,
    LoginSession,
    RefreshTokenCredentials,
    RunaiCliSession,
    TokenAuth,
    connect,
    default_credentials,
)
from runai_tokens.login import LoginStore, LoginStoreError, StoredLogin, open_store
from runai_tokens.testing import FakeRunaiServer

from .helpers.clock import FakeClock
from .helpers.login_kit import (
    CLIENT_ID,
    SUBJECT,
    MemoryKeyring,
    files_holding,
    home,
    log_in,
    memory_keyring,
    readable_by_others,
)
from .helpers.runai_cli import jwt, write_session

__all__ = ["home", "memory_keyring"]  # fixtures, imported for pytest

LOGIN_COMMAND = "run `runai-token login`"


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as fake:
        yield fake


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def stored(store: LoginStore, url: str) -> str:
    login = store.load(url)
    assert login is not None
    return login.refresh_token


def refused(server: FakeRunaiServer, refresh_token: str) -> bool:
    """Whether the server refuses refresh_token now (asking spends it if not)."""
    try:
        TokenAuth(server.url, RefreshTokenCredentials(refresh_token)).get_token()
    except ApiException as exc:
        return exc.oauth2_error == "invalid_grant"
    return False


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


# --- the way a notebook uses it ---------------------------------------------------------------


def test_connect_with_only_a_login_reaches_a_protected_endpoint(
    home: Path, server: FakeRunaiServer, logs: pytest.LogCaptureFixture
) -> None:
    store = open_store()
    first = log_in(server, store)
    with connect() as client:  # no base URL, no credentials: both from the login
        response = client.get_httpx_client().get(server.PROTECTED_PATH)
    assert response.status_code == 200
    assert response.json()["sub"] == SUBJECT
    rotated = stored(store, server.url)
    assert rotated != first.refresh_token
    assert refused(server, first.refresh_token)  # the fake rotates: the old one is spent
    # Nothing others can read holds either refresh token, and no log record does.
    assert readable_by_others(home) == []
    assert files_holding(home, first.refresh_token) == []
    assert len(files_holding(home, rotated)) == 1
    assert_no_secret(logs.text, first.refresh_token, rotated)


def test_every_rotation_replaces_the_stored_token(
    home: Path, server: FakeRunaiServer, logs: pytest.LogCaptureFixture
) -> None:
    store = open_store("file")
    seen = [log_in(server, store).refresh_token]
    clock = FakeClock()
    auth = TokenAuth(server.url, LoginSession(store=store), clock=clock)
    tokens = set()
    for _ in range(3):
        tokens.add(auth.get_token())
        seen.append(stored(store, server.url))
        clock.advance(server.lifetime)  # the token has expired: the next call refreshes
    assert len(tokens) == 3
    assert len(set(seen)) == 4
    assert all(refused(server, token) for token in seen[:-1])
    assert_no_secret(logs.text, *seen, *tokens)


def test_a_v1_control_plane_rotates_through_api_v1_token(home: Path) -> None:
    with FakeRunaiServer(version="2.18") as old:
        store = open_store("file")
        first = log_in(old, store)
        with connect(old.url, LoginSession(old.url)) as client:
            assert client.get_httpx_client().get(old.PROTECTED_PATH).status_code == 200
        assert [r.path for r in old.requests if r.method == "POST"] == [
            "/api/v2/token",
            "/api/v1/token",
        ]
        assert stored(store, old.url) != first.refresh_token


def test_the_keyring_holds_the_rotated_token(
    home: Path, server: FakeRunaiServer, memory_keyring: MemoryKeyring
) -> None:
    store = open_store("keyring")
    first = log_in(server, store)
    assert TokenAuth(server.url, LoginSession()).get_token()  # "auto" finds it in the keyring
    rotated = stored(store, server.url)
    assert rotated != first.refresh_token
    assert files_holding(home, rotated) == []
    assert files_holding(home, first.refresh_token) == []


def test_a_login_is_only_used_for_its_own_control_plane(home: Path) -> None:
    with FakeRunaiServer() as a, FakeRunaiServer() as b:
        store = open_store("file")
        log_in(a, store, subject="alice")
        log_in(b, store, subject="bob")  # the most recent
        token = TokenAuth(a.url, LoginSession()).get_token()
        assert a.decode_token(token)["sub"] == "alice"
        assert b.token_requests == 0
        with pytest.raises(ValueError, match="another control plane"):
            TokenAuth(a.url, LoginSession(b.url))
        assert LoginSession().base_url() == b.url
        assert LoginSession(a.url + "/").base_url() == a.url


# --- when it does not work --------------------------------------------------------------------


def test_no_stored_login_says_run_runai_token_login(home: Path, server: FakeRunaiServer) -> None:
    auth = TokenAuth(server.url, LoginSession())
    with pytest.raises(LoginRequiredError) as caught:
        auth.get_token()
    assert str(caught.value) == (
        f"runai-token login for {server.url}: there is no stored login; {LOGIN_COMMAND}"
    )
    assert server.token_requests == 0


def test_a_refused_refresh_token_says_run_runai_token_login_once(
    home: Path, server: FakeRunaiServer, logs: pytest.LogCaptureFixture
) -> None:
    store = open_store("file")
    first = log_in(server, store)
    server.revoke_all()
    auth = TokenAuth(server.url, LoginSession(server.url))
    with pytest.raises(LoginRequiredError) as caught:
        auth.get_token()
    message = str(caught.value)
    assert message.startswith(f"runai-token login for {server.url}: the control plane refused")
    assert "invalid_grant" in message and message.endswith(LOGIN_COMMAND)
    assert isinstance(caught.value.__cause__, ApiException)
    asked = server.token_requests
    with pytest.raises(LoginRequiredError, match="refused the stored refresh token"):
        auth.get_token()
    assert server.token_requests == asked  # a token known to be refused is not sent again
    # A new login is picked up by the same TokenAuth, without a restart.
    log_in(server, store)
    assert server.decode_token(auth.get_token())["sub"] == SUBJECT
    assert_no_secret(logs.text + message + repr(caught.value), first.refresh_token)


class StaleOnce:
    """A store whose first load returns what it held before another process rotated it."""

    def __init__(self, store: Any, stale: StoredLogin) -> None:
        self._store = store  # open_store()'s, with replace_refresh_token
        self._stale: StoredLogin | None = stale
        self.kind = store.kind

    def load(self, base_url: str | None = None) -> StoredLogin | None:
        stale, self._stale = self._stale, None
        found: StoredLogin | None = self._store.load(base_url)
        return stale if stale is not None else found

    def save(self, login: StoredLogin) -> None:
        self._store.save(login)

    def delete(self, base_url: str | None = None) -> bool:
        result: bool = self._store.delete(base_url)
        return result

    def replace_refresh_token(self, login: StoredLogin) -> None:
        self._store.replace_refresh_token(login)


def test_a_token_another_process_rotated_first_is_replaced_by_theirs(home: Path) -> None:
    # A writer that bypasses the refresh lock (a store of the caller's own, say) can still hand
    # us a spent token; a provider without reuse detection then lets us retry with theirs.
    with FakeRunaiServer(detect_refresh_token_reuse=False) as server:
        store = open_store("file")
        first = log_in(server, store)
        TokenAuth(server.url, LoginSession(store=store)).get_token()
        theirs = stored(store, server.url)
        auth = TokenAuth(server.url, LoginSession(store=StaleOnce(store, first)))
        assert server.decode_token(auth.get_token())["sub"] == SUBJECT
        assert stored(store, server.url) not in (first.refresh_token, theirs)


class ReadOnly(StaleOnce):
    def save(self, login: StoredLogin) -> None:
        raise LoginStoreError("read-only for this test")

    def replace_refresh_token(self, login: StoredLogin) -> None:
        self.save(login)


def test_a_store_that_cannot_be_written_is_logged_and_the_new_token_kept_in_memory(
    home: Path, server: FakeRunaiServer, logs: pytest.LogCaptureFixture
) -> None:
    store = open_store("file")
    first = log_in(server, store)
    clock = FakeClock()
    auth = TokenAuth(server.url, LoginSession(store=ReadOnly(store, first)), clock=clock)
    auth.get_token()
    clock.advance(server.lifetime)
    auth.get_token()  # with the rotated token it kept: the stored one is spent
    assert stored(store, server.url) == first.refresh_token
    warnings = [r for r in logs.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "could not store the new refresh token" in warnings[0].getMessage()
    assert "read-only for this test" in warnings[0].getMessage()
    assert_no_secret(logs.text, first.refresh_token)


def test_bad_arguments_fail_at_construction(home: Path) -> None:
    with pytest.raises(TypeError, match="store must be a LoginStore"):
        LoginSession(store="file")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base_url must be an http:// or https://"):
        LoginSession("tenant.example")
    session = LoginSession("https://tenant.example/")
    assert repr(session) == "LoginSession(base_url='https://tenant.example')"
    assert session == LoginSession("https://tenant.example")
    assert repr(TokenAuth("https://tenant.example", session)) == (
        "TokenAuth('https://tenant.example', LoginSession(base_url='https://tenant.example'))"
    )
    assert TokenAuth("https://tenant.example", session, token_endpoint="v2")


# --- found by itself ----------------------------------------------------------------------------


def test_default_credentials_order_with_a_login_present(
    home: Path, server: FakeRunaiServer
) -> None:
    log_in(server, open_store("file"))
    write_session(home / ".runai", jwt(3600), url="https://cli.example")
    env = {"HOME": str(home), "RUNAI_CLI_CONFIG_PATH": str(home / ".runai")}
    both = {**env, "RUNAI_CLIENT_ID": "ci", "RUNAI_CLIENT_SECRET": "fake-secret"}
    assert default_credentials(both) == ClientCredentials("ci", "fake-secret")
    external = {**env, "RUNAI_EXTERNAL_TOKEN": "fake-ext"}
    assert default_credentials(external) == ExternalTokenCredentials("fake-ext")
    assert default_credentials(env) == LoginSession(server.url)
    assert default_credentials({**env, "RUNAI_BASE_URL": server.url + "/"}) == LoginSession(
        server.url
    )
    # No login for that control plane: on to the runai CLI session.
    elsewhere = {**env, "RUNAI_BASE_URL": "https://cli.example"}
    assert default_credentials(elsewhere) == RunaiCliSession(home / ".runai")


def test_connect_looks_for_the_login_of_its_base_url(home: Path, server: FakeRunaiServer) -> None:
    with FakeRunaiServer() as other:
        log_in(server, open_store("file"))
        log_in(other, open_store("file"), subject="bob")
        with connect(server.url) as client:
            response = client.get_httpx_client().get(server.PROTECTED_PATH)
        assert response.json()["sub"] == SUBJECT
        with connect() as client:  # the most recent login, and its control plane
            assert client.get_httpx_client().get(other.PROTECTED_PATH).json()["sub"] == "bob"


def test_a_file_login_is_used_without_importing_keyring(
    home: Path, server: FakeRunaiServer
) -> None:
    log_in(server, open_store("file"))
    program = f"""
import sys
from runai_tokens import connect
client = connect()
status = client.get_httpx_client().get({server.PROTECTED_PATH!r}).status_code
print(status, "keyring" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.split() == ["200", "False"]
    assert CLIENT_ID  # the login was made for the fake's public client


@pytest.mark.anyio
async def test_the_async_side_rotates_the_same_way(home: Path, server: FakeRunaiServer) -> None:
    store = open_store("file")
    first = log_in(server, store)
    auth = TokenAuth(server.url, LoginSession())
    token = await auth.aget_token()
    assert server.decode_token(token)["sub"] == SUBJECT
    assert stored(store, server.url) != first.refresh_token
    await auth.aclose()


def test_a_rotation_racing_a_logout_does_not_bring_the_login_back(
    home: Path, server: FakeRunaiServer, logs: pytest.LogCaptureFixture
) -> None:
    store = open_store("file")
    first = log_in(server, store)

    class LoggedOutMeanwhile(StaleOnce):
        """Hands out the login, then `runai-token logout` runs before the grant is answered."""

        def load(self, base_url: str | None = None) -> StoredLogin | None:
            found = super().load(base_url)
            store.delete(base_url)
            return found

    session = LoginSession(store=LoggedOutMeanwhile(store, first))
    assert TokenAuth(server.url, session).get_token()  # the grant was already under way
    assert store.load() is None
    assert files_holding(home, first.refresh_token) == []
    assert list((home / ".cache" / "runai-tokens").glob("login-*.secret")) == []
    assert "logged out meanwhile" in logs.text
