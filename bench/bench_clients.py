"""Each library, set up as its documentation shows, behind one small interface.

A client here is "call the protected endpoint once and say how it went": "ok", the status code
that reached the caller, or "error:<ExceptionType>". Each factory takes the Target (a
FakeRunaiServer's URL and the benchmarks' client) that server_process() yields. Competitors are
imported with importlib so that the benchmarks (and mypy) work whether or not they are
installed: a missing one becomes an Unavailable with the reason, which the tables print instead
of a number.

`expiry_margin_zero=True` sets each library's refresh margin as small as it allows, so that with
the 2-second tokens of the expiry benchmark nobody refreshes early: TokenAuth refresh_margin=0
(it still keeps its floor of a tenth of the lifetime), httpx-auth early_expiry=0.001 (it reads 0
as "use 30"), Authlib leeway=0, runapy token_refresh_margin=0. google-auth has no such setting.
"""

from __future__ import annotations

import datetime
import importlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import httpx
from runai_tokens import ClientCredentials, RetryTransport, TokenAuth
from runai_tokens.testing import PROTECTED_PATH
from server_process import Target

# httpx-auth and Authlib speak standard OAuth2 (a form, the client as HTTP Basic): Run:ai's
# /api/v2/token. runapy and the google-auth integration use v1.
TOKEN_PATH, OAUTH2_TOKEN_PATH = "/api/v1/token", "/api/v2/token"


class Unavailable(Exception):
    """A library that cannot take part; the message says why."""


@attrs.frozen
class SyncClient:
    call: Callable[[], str]
    warm: Callable[[], None]
    close: Callable[[], None]


@attrs.frozen
class AsyncClient:
    call: Callable[[], Awaitable[str]]
    warm: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]


def outcome_of(status: int) -> str:
    return "ok" if status == 200 else str(status)


def error_name(exc: BaseException) -> str:
    return f"error:{type(exc).__name__}"


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Unavailable(f"not installed ({exc.name}); pip install -e '.[bench]'") from None


# --- runai-tokens ----------------------------------------------------------------------------


def runai_tokens_sync(target: Target, *, expiry_margin_zero: bool = False) -> SyncClient:
    auth = TokenAuth(
        target.url,
        ClientCredentials(target.client_id, target.client_secret),
        refresh_margin=0.0 if expiry_margin_zero else None,
    )
    client = httpx.Client(auth=auth, transport=RetryTransport())
    url = target.url + PROTECTED_PATH

    def call() -> str:
        return outcome_of(client.get(url).status_code)

    def close() -> None:
        client.close()
        auth.close()

    return SyncClient(call, lambda: None, close)


def runai_tokens_async(target: Target, *, expiry_margin_zero: bool = False) -> AsyncClient:
    auth = TokenAuth(
        target.url,
        ClientCredentials(target.client_id, target.client_secret),
        refresh_margin=0.0 if expiry_margin_zero else None,
    )
    client = httpx.AsyncClient(auth=auth, transport=RetryTransport())
    url = target.url + PROTECTED_PATH

    async def call() -> str:
        return outcome_of((await client.get(url)).status_code)

    async def warm() -> None:
        pass

    async def close() -> None:
        await client.aclose()
        await auth.aclose()

    return AsyncClient(call, warm, close)


# --- httpx-auth --------------------------------------------------------------------------------


def _httpx_auth(target: Target, expiry_margin_zero: bool) -> Any:
    httpx_auth = _module("httpx_auth")
    httpx_auth.OAuth2.token_cache.clear()  # a process-wide cache: start every run cold
    return httpx_auth.OAuth2ClientCredentials(
        target.url + OAUTH2_TOKEN_PATH,
        client_id=target.client_id,
        client_secret=target.client_secret,
        early_expiry=0.001 if expiry_margin_zero else None,
    )


def httpx_auth_sync(target: Target, *, expiry_margin_zero: bool = False) -> SyncClient:
    client = httpx.Client(auth=_httpx_auth(target, expiry_margin_zero))
    url = target.url + PROTECTED_PATH
    return SyncClient(lambda: outcome_of(client.get(url).status_code), lambda: None, client.close)


def httpx_auth_async(target: Target, *, expiry_margin_zero: bool = False) -> AsyncClient:
    client = httpx.AsyncClient(auth=_httpx_auth(target, expiry_margin_zero))
    url = target.url + PROTECTED_PATH

    async def call() -> str:
        return outcome_of((await client.get(url)).status_code)

    async def warm() -> None:
        pass

    return AsyncClient(call, warm, client.aclose)


# --- Authlib -----------------------------------------------------------------------------------


def _authlib_kwargs(target: Target, expiry_margin_zero: bool) -> dict[str, Any]:
    return {
        "client_id": target.client_id,
        "client_secret": target.client_secret,
        "token_endpoint": target.url + OAUTH2_TOKEN_PATH,
        "grant_type": "client_credentials",
        "leeway": 0 if expiry_margin_zero else 60,
    }


def authlib_sync(target: Target, *, expiry_margin_zero: bool = False) -> SyncClient:
    module = _module("authlib.integrations.httpx_client")
    client = module.OAuth2Client(**_authlib_kwargs(target, expiry_margin_zero))
    url = target.url + PROTECTED_PATH

    def call() -> str:
        return outcome_of(client.get(url).status_code)

    def warm() -> None:
        client.fetch_token()  # Authlib needs one explicit fetch before the first request

    return SyncClient(call, warm, client.close)


def authlib_async(target: Target, *, expiry_margin_zero: bool = False) -> AsyncClient:
    module = _module("authlib.integrations.httpx_client")
    client = module.AsyncOAuth2Client(**_authlib_kwargs(target, expiry_margin_zero))
    url = target.url + PROTECTED_PATH

    async def call() -> str:
        return outcome_of((await client.get(url)).status_code)

    async def warm() -> None:
        await client.fetch_token()

    return AsyncClient(call, warm, client.aclose)


# --- runapy (Run:ai's own SDK) -----------------------------------------------------------------


def _runapy_configuration(
    target: Target, expiry_margin_zero: bool, *, debug: bool = False, backoff: float = 0.5
) -> Any:
    configuration = _module("runai.configuration")
    return configuration.Configuration(
        client_id=target.client_id,
        client_secret=target.client_secret,
        runai_base_url=target.url,
        token_refresh_margin=0 if expiry_margin_zero else 60,
        pool_maxsize=64,  # as many connections as threads: no pool-full warnings
        retry_backoff_factor=backoff,
        debug=debug,
    )


def _runapy_status(response: Any) -> str:
    return outcome_of(int(response.status_code))


def runapy_sync(
    target: Target, *, expiry_margin_zero: bool = False, debug: bool = False
) -> SyncClient:
    api_client = _module("runai.api_client")
    client = api_client.ApiClient(
        _runapy_configuration(target, expiry_margin_zero, debug=debug)
    )  # fetches its token here, in the constructor

    def call() -> str:
        try:
            return _runapy_status(client.call_api("GET", PROTECTED_PATH))
        except Exception as exc:
            status = getattr(exc, "status", None)
            return str(status) if isinstance(status, int) and status else error_name(exc)

    return SyncClient(call, lambda: None, client.close)


def runapy_async(target: Target, *, expiry_margin_zero: bool = False) -> AsyncClient:
    api_client = _module("runai.api_client")
    client = api_client.AsyncApiClient(_runapy_configuration(target, expiry_margin_zero))

    async def call() -> str:
        try:
            return _runapy_status(await client.call_api("GET", PROTECTED_PATH))
        except Exception as exc:
            status = getattr(exc, "status", None)
            return str(status) if isinstance(status, int) and status else error_name(exc)

    async def warm() -> None:
        pass

    return AsyncClient(call, warm, client.close)


# --- google-auth -------------------------------------------------------------------------------


def google_auth_sync(target: Target, *, expiry_margin_zero: bool = False) -> SyncClient:
    """google-auth has no Run:ai or generic client-credentials class: the usual integration is a
    Credentials subclass whose refresh() makes the grant, used through AuthorizedSession."""
    credentials_module = _module("google.auth.credentials")
    transport = _module("google.auth.transport.requests")
    helpers = _module("google.auth._helpers")
    body = json.dumps(
        {
            "grantType": "client_credentials",
            "clientID": target.client_id,
            "clientSecret": target.client_secret,
        }
    ).encode()

    def refresh(self: Any, request: Any) -> None:
        response = request(
            url=target.url + TOKEN_PATH,
            method="POST",
            body=body,
            headers={"Content-Type": "application/json"},
        )
        data = json.loads(response.data)
        self.token = data["accessToken"]
        self.expiry = helpers.utcnow() + datetime.timedelta(seconds=data["expiresIn"])

    cls = type("RunaiCredentials", (credentials_module.Credentials,), {"refresh": refresh})
    session = transport.AuthorizedSession(cls())
    adapter = _module("requests.adapters").HTTPAdapter(pool_maxsize=64)
    session.mount("http://", adapter)
    url = target.url + PROTECTED_PATH

    def call() -> str:
        return outcome_of(session.get(url).status_code)

    return SyncClient(call, lambda: None, session.close)


SyncFactory = Callable[..., SyncClient]
AsyncFactory = Callable[..., AsyncClient]

SYNC: dict[str, SyncFactory] = {
    "runai-tokens TokenAuth": runai_tokens_sync,
    "httpx-auth OAuth2ClientCredentials": httpx_auth_sync,
    "Authlib OAuth2Client (httpx)": authlib_sync,
    "runapy ApiClient": runapy_sync,
    "google-auth AuthorizedSession": google_auth_sync,
}

ASYNC: dict[str, AsyncFactory] = {
    "runai-tokens TokenAuth": runai_tokens_async,
    "httpx-auth OAuth2ClientCredentials": httpx_auth_async,
    "Authlib AsyncOAuth2Client (httpx)": authlib_async,
    "runapy AsyncApiClient": runapy_async,
}
