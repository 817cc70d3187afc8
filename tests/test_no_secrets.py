"""No secret and no token value in any log record, repr, str or exception message, in any flow.

Every logger (root, httpx, httpcore, runai_tokens.*) is at DEBUG and captured. Each flow runs
against a real loopback FakeRunaiServer (or a closed port), and afterwards every log record
(formatted, with its traceback, and its raw args), the repr() and str() of every object involved,
and every exception in every raised chain is searched for:
- "LEAK", which every secret this test makes up contains (client and app secrets, passwords,
  authorization codes, a static token, a wrong secret);
- what the server makes: access and id tokens are JWTs ("eyJ..."), refresh tokens are
  "fake-refresh-...";
- every token value the flows got back, verbatim.
"""

from __future__ import annotations

import logging
import re
import socket
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from runai_tokens import (
    ApiException,
    AppCredentials,
    AsyncTokensApi,
    ClientCredentials,
    LoginRequiredError,
    LoginSession,
    PasswordCredentials,
    RefreshTokenCredentials,
    RetryPolicy,
    RetryTransport,
    StaticToken,
    TokenAuth,
    TokensApi,
    connect,
)
from runai_tokens.credentials import Credentials
from runai_tokens.login import StoredLogin, open_store
from runai_tokens.testing import FakeRunaiServer

CLIENT_SECRET = "fake-secret-LEAK-client-Qm4"
APP_SECRET = "fake-secret-LEAK-app-Zr8"
PASSWORD = "fake-secret-LEAK-password-Kd2"
CODE = "fake-code-LEAK-Wx5"
CODE_2 = "fake-code-LEAK-Tb9"
STATIC = "fake-access-token-LEAK-static-Hn3"
WRONG_SECRET = "fake-secret-LEAK-wrong-Jc7"
REDIRECT = "https://cb.example/done"
GRANT = "/api/v2/token"  # where TokenAuth sends grants to a 2.24 control plane
GRANT_V1 = "/api/v1/token"  # TokensApi.grant_token's
PROTECTED = FakeRunaiServer.PROTECTED_PATH
NO_WAIT = RetryPolicy(backoff_base=0.0, backoff_max=0.0)
LOGGERS = (
    "",
    "httpx",
    "httpcore",
    "runai_tokens",
    "runai_tokens.auth",
    "runai_tokens.retry",
)
SECRET_SHAPES = re.compile(r"LEAK|eyJ[A-Za-z0-9_-]{4,}|fake-refresh-[A-Za-z0-9_-]{4,}")


class LeakCheck:
    """Collects what a flow touched, then looks for secrets in all of it."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.objects: list[object] = []
        self.errors: list[BaseException] = []
        self.values: set[str] = set()
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def watch(self, *objects: object) -> None:
        self.objects.extend(objects)

    def got(self, *models: Any) -> None:
        """Remember the token values a flow got back, to look for them verbatim."""
        for model in models:
            for name in ("access_token", "id_token", "refresh_token"):
                value = getattr(model, name, None)
                if isinstance(value, str) and value:
                    self.values.add(value)

    @contextmanager
    def raises(self, kind: type[BaseException] = ApiException) -> Iterator[None]:
        with pytest.raises(kind) as caught:
            yield
        self.errors.append(caught.value)

    def texts(self) -> Iterator[tuple[str, str]]:
        for record in self.caplog.records:
            where = f"log record {record.name}:{record.lineno}"
            yield where, self.formatter.format(record)  # message and traceback
            yield where, f"{record.msg!s} {record.args!r}"
        for obj in self.objects:
            yield f"repr/str of {type(obj).__name__}", f"{obj!r} {obj!s}"
        for error in self.errors:
            chained: BaseException | None = error
            while chained is not None:
                name = type(chained).__name__
                yield f"{name} message", f"{chained!s} {chained!r} {chained.args!r}"
                yield f"{name} formatted", "".join(traceback.format_exception_only(chained))
                chained = chained.__cause__ or chained.__context__

    def leaks(self) -> list[tuple[str, str]]:
        found = []
        for where, text in self.texts():
            match = SECRET_SHAPES.search(text)
            if match:
                found.append((where, match.group()))
            found.extend((where, value[:12]) for value in self.values if value in text)
        return found

    def assert_clean(self) -> None:
        # The capture really ran at DEBUG: httpcore's per-request debug lines are there.
        assert any(r.name.startswith("httpcore") for r in self.caplog.records)
        assert any(r.name == "httpx" for r in self.caplog.records)
        assert self.leaks() == []


@pytest.fixture
def check(caplog: pytest.LogCaptureFixture) -> LeakCheck:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return LeakCheck(caplog)


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer(version="2.24") as fake:
        fake.add_client("ci", CLIENT_SECRET)
        fake.add_app("app-1", APP_SECRET, name="nightly")
        fake.add_user("ada", PASSWORD)
        fake.add_code(CODE, REDIRECT, client_id="ci")
        fake.add_code(CODE_2, REDIRECT, client_id="ci")
        yield fake


def every_credential(server: FakeRunaiServer) -> list[Credentials]:
    return [
        ClientCredentials("ci", CLIENT_SECRET),
        AppCredentials("app-1", APP_SECRET),
        PasswordCredentials("ada", PASSWORD),
        RefreshTokenCredentials(server.issue_refresh_token("ada", client_id="ci"), "ci"),
        StaticToken(server.issue_access_token("ada")),
    ]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- the detector itself -----------------------------------------------------------------------


def test_the_check_finds_a_leak(check: LeakCheck, server: FakeRunaiServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        client.get(PROTECTED)
    logging.getLogger("runai_tokens.auth").debug("token %s", "fake-refresh-abcdef")
    check.watch(CLIENT_SECRET)
    check.errors.append(ValueError("eyJhbGciOi.eyJzdWIi.sig"))
    wheres = [where for where, _ in check.leaks()]
    assert any(w.startswith("log record runai_tokens.auth") for w in wheres)
    assert "repr/str of str" in wheres
    assert "ValueError message" in wheres


# --- flows -------------------------------------------------------------------------------------


def test_every_grant_through_token_auth_and_connect(
    check: LeakCheck, server: FakeRunaiServer
) -> None:
    for credentials in every_credential(server):
        auth = TokenAuth(server.url, credentials, retry=NO_WAIT)
        check.watch(credentials, auth)
        token = auth.get_token()
        check.values.add(token)
        with httpx.Client(base_url=server.url, auth=auth) as client:
            assert client.get(PROTECTED).status_code == 200
            check.watch(client)
        auth.close()
        # connect() with the same kind of credentials (a fresh refresh token for that grant).
        again = credentials
        if isinstance(credentials, RefreshTokenCredentials):
            again = RefreshTokenCredentials(server.issue_refresh_token("ada", client_id="ci"))
        with connect(server.url, again, retry=NO_WAIT) as client:
            assert client.get_httpx_client().get(PROTECTED).status_code == 200
            check.watch(again, client, client.get_httpx_client())
    check.assert_clean()


@pytest.mark.anyio
async def test_every_grant_through_token_auth_and_connect_async(
    check: LeakCheck, server: FakeRunaiServer
) -> None:
    for credentials in every_credential(server):
        auth = TokenAuth(server.url, credentials, retry=NO_WAIT)
        check.watch(auth)
        check.values.add(await auth.aget_token())
        async with connect(server.url, auth, retry=NO_WAIT) as client:
            response = await client.get_async_httpx_client().get(PROTECTED)
            assert response.status_code == 200
            check.watch(client)
        await auth.aclose()
    check.assert_clean()


def test_a_login_session_rotated_refused_and_forgotten(
    check: LeakCheck, server: FakeRunaiServer, tmp_path: Path
) -> None:
    store = open_store("file", cache_dir=tmp_path / "cache")
    login = StoredLogin(server.url, "runai", server.issue_refresh_token("ada", client_id="runai"))
    store.save(login)
    session = LoginSession(store=store)
    auth = TokenAuth(server.url, session, retry=NO_WAIT)
    check.values.update({login.refresh_token, auth.get_token()})
    with connect(server.url, LoginSession(store=store), retry=NO_WAIT) as client:
        assert client.get_httpx_client().get(PROTECTED).status_code == 200
        check.watch(client)
    rotated = store.load()
    assert rotated is not None and rotated.refresh_token != login.refresh_token
    check.values.add(rotated.refresh_token)
    server.revoke_all()
    revoked = TokenAuth(server.url, LoginSession(store=store), retry=NO_WAIT)
    with check.raises(LoginRequiredError), httpx.Client(auth=revoked) as http:
        # The stored access token is refused (401), so a refresh, which is refused too.
        http.get(server.url + PROTECTED)
    store.delete()
    with check.raises(LoginRequiredError):
        TokenAuth(server.url, LoginSession(store=store), retry=NO_WAIT).get_token()
    check.watch(session, store, login, rotated, auth)
    check.assert_clean()


def test_the_four_operations_through_tokens_api(check: LeakCheck, server: FakeRunaiServer) -> None:
    with connect(server.url, retry=NO_WAIT) as client, warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        api = TokensApi(client)
        granted = api.grant_token(
            {"grantType": "password", "username": "ada", "password": PASSWORD}
        )
        app = api.app_token({"id": "app-1", "name": "nightly", "secret": APP_SECRET})
        exchanged = api.exchange_code_for_token(REDIRECT, CODE)
        assert isinstance(granted.refresh_token, str)
        refreshed = api.refresh_token(granted.refresh_token)
        check.got(granted, app, exchanged, refreshed)
        # The same single-use values again: rejected, with the values in the query string.
        with check.raises():
            api.exchange_code_for_token(REDIRECT, CODE)
        with check.raises():
            api.refresh_token(granted.refresh_token)
        check.watch(api, client, *[w.message for w in ws])
    check.assert_clean()


@pytest.mark.anyio
async def test_the_four_operations_through_async_tokens_api(
    check: LeakCheck, server: FakeRunaiServer
) -> None:
    async with connect(server.url, retry=NO_WAIT) as client:
        api = AsyncTokensApi(client)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            granted = await api.grant_token(
                {"grantType": "client_credentials", "clientID": "ci", "clientSecret": CLIENT_SECRET}
            )
            app = await api.app_token({"id": "app-1", "name": "nightly", "secret": APP_SECRET})
            exchanged = await api.exchange_code_for_token(REDIRECT, CODE_2)
            assert isinstance(exchanged.refresh_token, str)
            refreshed = await api.refresh_token(exchanged.refresh_token)
            with check.raises():
                await api.refresh_token(exchanged.refresh_token)
        check.got(granted, app, exchanged, refreshed)
        check.watch(api, client)
    check.assert_clean()


def test_a_revoked_token_is_refreshed_and_replayed(
    check: LeakCheck, server: FakeRunaiServer
) -> None:
    credentials = PasswordCredentials("ada", PASSWORD)
    with connect(server.url, credentials, retry=NO_WAIT) as client:
        http = client.get_httpx_client()
        assert http.get(PROTECTED).status_code == 200
        # Revoking every token also kills the refresh token: the refresh falls back to the
        # password grant, and the request is replayed once with the new token.
        server.revoke_all()
        assert http.get(PROTECTED).status_code == 200
        check.watch(credentials, client, http)
    assert server.count(GRANT) == 3  # password, refresh (rejected), password
    check.assert_clean()


def test_a_retried_503_and_a_rejected_grant(check: LeakCheck, server: FakeRunaiServer) -> None:
    server.fail_next(2, 503, path=GRANT)
    auth = TokenAuth(server.url, ClientCredentials("ci", CLIENT_SECRET), retry=NO_WAIT)
    check.values.add(auth.get_token())
    assert server.count(GRANT) == 3
    wrong = TokenAuth(server.url, ClientCredentials("ci", WRONG_SECRET), retry=NO_WAIT)
    with check.raises():
        wrong.get_token()
    with connect(server.url, ClientCredentials("ci", WRONG_SECRET)) as client, check.raises():
        client.get_httpx_client().get(PROTECTED)
    check.watch(auth, wrong, client)
    auth.close()
    wrong.close()
    check.assert_clean()


def test_malformed_answers(check: LeakCheck, server: FakeRunaiServer) -> None:
    body = {"grantType": "client_credentials", "clientID": "ci", "clientSecret": CLIENT_SECRET}
    with connect(server.url, retry=RetryPolicy(max_attempts=1)) as client:
        api = TokensApi(client)
        server.truncated_next(1, path=GRANT_V1)  # a 200 whose JSON, a token in it, is cut off
        with check.raises():
            api.grant_token(body)
        server.html_next(1, path=GRANT_V1)
        with check.raises():
            api.grant_token(body)
        check.watch(api, client)
    auth = TokenAuth(server.url, ClientCredentials("ci", CLIENT_SECRET), retry=NO_WAIT)
    server.truncated_next(3, path=GRANT)
    with check.raises():
        auth.get_token()
    check.watch(auth)
    auth.close()
    check.assert_clean()


def test_connection_refused(check: LeakCheck, server: FakeRunaiServer) -> None:
    url = closed_port_url()
    with connect(url, retry=NO_WAIT) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        api = TokensApi(client)
        with check.raises():
            api.refresh_token(server.issue_refresh_token("ada"))
        with check.raises():
            api.exchange_code_for_token(REDIRECT, CODE)
        with check.raises():
            api.grant_token({"grantType": "password", "username": "ada", "password": PASSWORD})
    with connect(url, PasswordCredentials("ada", PASSWORD), retry=NO_WAIT) as client:
        with check.raises():
            client.get_httpx_client().get(PROTECTED)
        check.watch(client)
    transport = RetryTransport(NO_WAIT)
    with httpx.Client(base_url=server.url, transport=transport) as plain:
        plain.get(PROTECTED)  # a request that does reach a server, so httpx logs a line
    check.watch(transport)
    check.assert_clean()


def test_a_failed_early_refresh_keeps_the_token_and_warns(
    check: LeakCheck, server: FakeRunaiServer
) -> None:
    now = [0.0]
    auth = TokenAuth(
        server.url,
        PasswordCredentials("ada", PASSWORD),
        retry=RetryPolicy(max_attempts=1),
        clock=lambda: now[0],
    )
    first = auth.get_token()
    check.values.add(first)
    now[0] = server.lifetime * 0.97  # due for an early refresh, still well before expiry
    server.fail_next(5, 500, path=GRANT)
    assert auth.get_token() == first
    assert any(r.levelno == logging.WARNING for r in check.caplog.records)
    check.watch(auth)
    auth.close()
    with httpx.Client(base_url=server.url, auth=auth) as client:
        client.get(PROTECTED)
    check.assert_clean()
