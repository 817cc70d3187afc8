"""connect(): the generated Client with RetryTransport and TokenAuth, over real loopback servers."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from runai_tokens import (
    ClientCredentials,
    RetryPolicy,
    RetryTransport,
    StaticToken,
    TokenAuth,
    connect,
)
from runai_tokens._generated import (
    AppTokenRequest,
    AppTokenResponse,
    Client,
    GrantType,
    TokenRequest,
    TokenResponse,
    app_token,
    exchange_code_for_token,
    grant_token,
    refresh_token,
)
from runai_tokens.testing import Recorded, Reply, scripted
from runai_tokens_client.types import Response

from tests.helpers.parked import HANG_GUARD

ACCESS = "fake-access-token-connect-4Tz"
SECRET = "fake-secret-client-connect-9Pq"
PROTECTED = "/api/v1/whoami"
NO_WAIT = RetryPolicy(backoff_base=0.0, backoff_max=0.0)


def control_plane(request: Recorded) -> Reply:
    """Token operations as the contract says; PROTECTED wants `Bearer ACCESS`."""
    if request.path.endswith("/v1/k8s/auth/oauth/apptoken"):
        return Reply.json(200, {"access_token": ACCESS, "id_token": "fake-id"})
    if request.path.endswith(PROTECTED):
        if request.headers.get("authorization") == f"Bearer {ACCESS}":
            return Reply.json(200, {"sub": "ci"})
        return Reply.json(401, {"code": 401, "message": "unauthorized"})
    return Reply.token(request, ACCESS, expires_in=3600)


# --- every generated function takes the client unchanged ---------------------------------------

SyncCall = Callable[[Client], Any]
SYNC_CALLS: dict[str, SyncCall] = {
    "app_token": lambda c: app_token.sync(
        client=c, body=AppTokenRequest(id="a", name="n", secret=SECRET)
    ),
    "exchange_code_for_token": lambda c: exchange_code_for_token.sync(
        client=c, redirect_uri="https://cb.example", code="fake-code"
    ),
    "grant_token": lambda c: grant_token.sync(
        client=c, body=TokenRequest(grant_type=GrantType.CLIENT_CREDENTIALS)
    ),
    "refresh_token": lambda c: refresh_token.sync(client=c, refresh_token="fake-refresh"),
}
SYNC_DETAILED: dict[str, SyncCall] = {
    "app_token": lambda c: app_token.sync_detailed(
        client=c, body=AppTokenRequest(id="a", name="n", secret=SECRET)
    ),
    "exchange_code_for_token": lambda c: exchange_code_for_token.sync_detailed(
        client=c, redirect_uri="https://cb.example", code="fake-code"
    ),
    "grant_token": lambda c: grant_token.sync_detailed(client=c, body=TokenRequest()),
    "refresh_token": lambda c: refresh_token.sync_detailed(client=c, refresh_token="fake-r"),
}
ASYNC_CALLS: dict[str, SyncCall] = {
    "app_token": lambda c: app_token.asyncio(
        client=c, body=AppTokenRequest(id="a", name="n", secret=SECRET)
    ),
    "exchange_code_for_token": lambda c: exchange_code_for_token.asyncio(
        client=c, redirect_uri="https://cb.example", code="fake-code"
    ),
    "grant_token": lambda c: grant_token.asyncio(client=c, body=TokenRequest()),
    "refresh_token": lambda c: refresh_token.asyncio(client=c, refresh_token="fake-refresh"),
}
ASYNC_DETAILED: dict[str, SyncCall] = {
    "app_token": lambda c: app_token.asyncio_detailed(
        client=c, body=AppTokenRequest(id="a", name="n", secret=SECRET)
    ),
    "exchange_code_for_token": lambda c: exchange_code_for_token.asyncio_detailed(
        client=c, redirect_uri="https://cb.example", code="fake-code"
    ),
    "grant_token": lambda c: grant_token.asyncio_detailed(client=c, body=TokenRequest()),
    "refresh_token": lambda c: refresh_token.asyncio_detailed(client=c, refresh_token="fake-r"),
}
MODELS = {
    "app_token": AppTokenResponse,
    "exchange_code_for_token": TokenResponse,
    "grant_token": TokenResponse,
    "refresh_token": TokenResponse,
}


@pytest.mark.parametrize("credentials", [None, ClientCredentials("ci", SECRET)])
def test_every_sync_generated_function_takes_the_client(credentials: Any) -> None:
    with scripted(control_plane) as server, connect(server.url, credentials) as client:
        for name in SYNC_CALLS:
            parsed = SYNC_CALLS[name](client)
            detailed = SYNC_DETAILED[name](client)
            assert isinstance(parsed, MODELS[name])
            assert isinstance(detailed, Response)
            assert detailed.status_code == 200
            assert isinstance(detailed.parsed, MODELS[name])
    # Auth never touches the token operations: no grant of its own, no bearer on them.
    assert server.count() == 8
    assert all("authorization" not in r.headers for r in server.requests)


@pytest.mark.anyio
@pytest.mark.parametrize("credentials", [None, ClientCredentials("ci", SECRET)])
async def test_every_async_generated_function_takes_the_client(credentials: Any) -> None:
    with scripted(control_plane) as server:
        async with connect(server.url, credentials) as client:
            for name in ASYNC_CALLS:
                parsed = await ASYNC_CALLS[name](client)
                detailed = await ASYNC_DETAILED[name](client)
                assert isinstance(parsed, MODELS[name])
                assert isinstance(detailed.parsed, MODELS[name])
    assert server.count() == 8


# --- auth and retries are wired ----------------------------------------------------------------


def test_credentials_put_a_token_on_other_requests_sync_and_async() -> None:
    async def async_get(client: Client) -> httpx.Response:
        async with client:
            return await client.get_async_httpx_client().get(PROTECTED)

    with scripted(control_plane) as server:
        client = connect(server.url, ClientCredentials("ci", SECRET), retry=NO_WAIT)
        with client:
            sync_response = client.get_httpx_client().get(PROTECTED)
        async_response = asyncio.run(async_get(client))
    assert (sync_response.status_code, async_response.status_code) == (200, 200)
    grants = [r for r in server.requests if r.path == "/api/v2/token"]
    # One TokenAuth serves both the sync and the async httpx client: one grant for both.
    assert len(grants) == 1
    assert parse_qs(grants[0].body.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["ci"],
        "client_secret": [SECRET],
    }


def test_static_token_and_a_shared_auth_are_used_as_given() -> None:
    with scripted(control_plane) as server:
        with connect(server.url, StaticToken(ACCESS)) as client:
            assert client.get_httpx_client().get(PROTECTED).status_code == 200
        shared = TokenAuth(server.url, ClientCredentials("ci", SECRET))
        with connect(server.url, shared) as one, connect(server.url, shared) as two:
            assert one.get_httpx_client().get(PROTECTED).status_code == 200
            assert two.get_httpx_client().get(PROTECTED).status_code == 200
        shared.close()
    assert server.count("/api/v2/token") == 1  # StaticToken made none; the shared auth one


def test_the_client_retries_through_retry_transport() -> None:
    replies = iter([Reply.json(503, {"code": 503, "message": "busy"})] * 2)
    with (
        scripted(lambda r: next(replies, None) or control_plane(r)) as server,
        connect(server.url, StaticToken(ACCESS), retry=NO_WAIT) as client,
    ):
        response = client.get_httpx_client().get(PROTECTED)
    assert response.status_code == 200
    assert response.extensions["attempts"] == 3
    assert server.count(PROTECTED) == 3
    transport = client.get_httpx_client()._transport
    assert isinstance(transport, RetryTransport) and transport.policy is NO_WAIT


def test_timeout_is_applied() -> None:
    release = threading.Event()

    def held(request: Recorded) -> Reply:
        release.wait(HANG_GUARD)  # answers only once the client has given up
        return control_plane(request)

    with scripted(held) as server:
        client = connect(server.url, timeout=0.2, retry=RetryPolicy(max_attempts=1))
        with client, pytest.raises(httpx.ReadTimeout) as caught:
            client.get_httpx_client().get(PROTECTED)
        release.set()
    # The timeout that ran out is the one given to connect(), for every phase of the request.
    assert caught.value.request.extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 0.2
    )


def test_a_base_url_with_a_path_prefix_is_kept() -> None:
    with (
        scripted(control_plane) as server,
        connect(f"{server.url}/runai/", ClientCredentials("ci", SECRET)) as client,
    ):
        assert client.get_httpx_client().get(PROTECTED.lstrip("/")).status_code == 200
        assert isinstance(grant_token.sync(client=client, body=TokenRequest()), TokenResponse)
    assert [r.path for r in server.requests] == [
        "/runai/api/v2/token",  # TokenAuth's grant
        "/runai/api/v1/whoami",
        "/runai/api/v1/token",  # the generated grant_token, called by hand
    ]


# --- base URL and credentials checks -----------------------------------------------------------


def test_base_url_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, server_url: str
) -> None:
    monkeypatch.setenv("RUNAI_BASE_URL", server_url)
    with connect() as client:
        assert grant_token.sync(client=client, body=TokenRequest()) is not None
    assert str(client.get_httpx_client().base_url).rstrip("/") == server_url


def test_no_base_url_and_no_environment_raises_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match=r"no base URL: pass connect\(base_url=...\) or set RUNAI"):
        connect()
    monkeypatch.setenv("RUNAI_BASE_URL", "  ")
    with pytest.raises(ValueError, match="RUNAI_BASE_URL"):
        connect()


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("fake-secret-tenant.run.ai", "must be an http:// or https:// URL with a host"),
        ("ftp://fake-secret-host", "must be an http:// or https:// URL with a host"),
        ("https://", "must be an http:// or https:// URL with a host"),
        ("https://user:fake-secret-pw@tenant.run.ai", "must not carry a user or password"),
        ("https://tenant.run.ai/?token=fake-secret-q", "must not have a query or fragment"),
        ("", "must be an http:// or https:// URL with a host"),
    ],
)
def test_unusable_base_urls_are_refused_without_echoing_them(base_url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        connect(base_url)
    assert "fake-secret" not in str(caught.value)


def test_environment_base_url_errors_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNAI_BASE_URL", "tenant.run.ai")
    with pytest.raises(ValueError, match=r"^RUNAI_BASE_URL must be an http"):
        connect()


@pytest.mark.parametrize(
    ("timeout", "error", "message"),
    [
        (0, ValueError, "timeout must be more than zero"),
        (-1.0, ValueError, "timeout must be more than zero"),
        (float("inf"), ValueError, "timeout must be a finite number of seconds"),
        (float("nan"), ValueError, "timeout must be a finite number of seconds"),
        (True, TypeError, "timeout must be a number of seconds, not bool"),
    ],
)
def test_unusable_timeouts_are_refused(
    timeout: float, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{message}$"):
        connect("https://tenant.run.ai", timeout=timeout)


def test_other_credentials_are_refused() -> None:
    # httpx would take a tuple as basic auth and send the secret in a header.
    with pytest.raises(TypeError, match="credentials must be one of ClientCredentials"):
        connect("https://tenant.run.ai", ("ci", SECRET))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="base_url must be a str"):
        connect(b"https://tenant.run.ai")  # type: ignore[arg-type]


@pytest.fixture
def server_url() -> Iterator[str]:
    with scripted(control_plane) as server:
        yield server.url


def test_connect_returns_the_generated_client_type() -> None:
    client = connect("https://tenant.run.ai")
    assert type(client) is Client
    assert not hasattr(client, "token")  # not an AuthenticatedClient with a token in its repr


def test_closing_the_client_leaves_no_socket_open() -> None:
    with scripted(control_plane) as server, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with connect(server.url, ClientCredentials("ci", SECRET)) as client:
            assert client.get_httpx_client().get(PROTECTED).status_code == 200
        del client
        gc.collect()
    assert leaked_to(server.url, caught) == []
    assert server.count("/api/v2/token") == 1


@pytest.mark.anyio
async def test_closing_the_async_client_leaves_no_socket_open() -> None:
    with scripted(control_plane) as server, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        async with connect(server.url, ClientCredentials("ci", SECRET)) as client:
            response = await client.get_async_httpx_client().get(PROTECTED)
            assert response.status_code == 200
        del client
        gc.collect()
    assert leaked_to(server.url, caught) == []


def leaked_to(url: str, caught: list[warnings.WarningMessage]) -> list[str]:
    """Unclosed sockets to the server at url (the collection may find other tests' garbage)."""
    port = f", {httpx.URL(url).port})"
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, ResourceWarning) and port in str(w.message)
    ]
