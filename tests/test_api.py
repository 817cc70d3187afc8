"""TokensApi and AsyncTokensApi over real loopback servers: models back, ApiException otherwise."""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from runai_tokens import (
    ApiException,
    AsyncTokensApi,
    RetryAfterExceedsDeadline,
    RetryPolicy,
    TokensApi,
    connect,
)
from runai_tokens._generated import (
    AppTokenRequest,
    AppTokenResponse,
    Client,
    Error,
    GrantType,
    TokenRequest,
    TokenResponse,
)
from runai_tokens.testing import Recorded, Reply, ScriptedServer, scripted

ACCESS = "fake-access-token-api-5Qx"
REFRESH = "fake-refresh-token-api-8Lw"
CODE = "fake-code-api-3Jk"
APP_SECRET = "fake-secret-app-api-7Hd"
CLIENT_SECRET = "fake-secret-client-api-2Vn"
GRANT = "/api/v1/token"
APPTOKEN = "/v1/k8s/auth/oauth/apptoken"
EXCHANGE = "/v1/k8s/auth/token/exchange"
REFRESH_PATH = "/v1/k8s/auth/oauth/tokens/refresh"
# No waiting between retries, so retried failures stay fast.
NO_WAIT = RetryPolicy(backoff_base=0.0, backoff_max=0.0)
ONE_SHOT = RetryPolicy(max_attempts=1)


def token_server(request: Recorded) -> Reply:
    """The four operations answering as the contract says."""
    if request.path == APPTOKEN:
        return Reply.json(200, {"access_token": ACCESS, "id_token": "fake-id-token"})
    return Reply.json(
        200,
        {
            "accessToken": ACCESS,
            "idToken": "fake-id-token",
            "refreshToken": REFRESH,
            "expiresIn": 60,
        },
    )


def always(reply: Reply) -> Callable[[Recorded], Reply]:
    return lambda _: reply


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted(token_server) as s:
        yield s


@pytest.fixture
def api(server: ScriptedServer) -> Iterator[TokensApi]:
    with tokens_api(server.url) as api:
        yield api


@contextmanager
def tokens_api(url: str, retry: RetryPolicy = NO_WAIT) -> Iterator[TokensApi]:
    with connect(url, retry=retry) as client:
        yield TokensApi(client)


@asynccontextmanager
async def async_tokens_api(url: str, retry: RetryPolicy = NO_WAIT) -> AsyncIterator[AsyncTokensApi]:
    async with connect(url, retry=retry) as client:
        yield AsyncTokensApi(client)


def client_credentials() -> dict[str, str]:
    return {"grantType": "client_credentials", "clientID": "ci", "clientSecret": CLIENT_SECRET}


# --- every operation returns its model ---------------------------------------------------------


def test_every_operation_returns_its_model_and_sends_the_contract_request(
    api: TokensApi, server: ScriptedServer
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = api.app_token({"id": "app-1", "name": "nightly", "secret": APP_SECRET})
        exchanged = api.exchange_code_for_token("https://cb.example/done", CODE)
        refreshed = api.refresh_token(REFRESH)
    granted = api.grant_token(client_credentials(), user_agent="tests/1.0")

    assert isinstance(app, AppTokenResponse)
    assert app.access_token == ACCESS
    for model in (exchanged, refreshed, granted):
        assert isinstance(model, TokenResponse)
        assert (model.access_token, model.refresh_token, model.expires_in) == (ACCESS, REFRESH, 60)

    app_req, exchange_req, refresh_req, grant_req = server.requests
    assert (app_req.method, app_req.path) == ("POST", APPTOKEN)
    assert app_req.json() == {"id": "app-1", "name": "nightly", "secret": APP_SECRET}
    assert (exchange_req.method, exchange_req.path) == ("GET", EXCHANGE)
    assert exchange_req.query == {"redirect_uri": ["https://cb.example/done"], "code": [CODE]}
    assert (refresh_req.method, refresh_req.path, refresh_req.body) == ("POST", REFRESH_PATH, b"")
    assert refresh_req.query == {"refresh_token": [REFRESH]}
    assert (grant_req.method, grant_req.path) == ("POST", GRANT)
    assert grant_req.json() == client_credentials()
    assert grant_req.headers["user-agent"] == "tests/1.0"


def test_a_json_operation_says_application_json_once_with_a_body_or_without(
    server: ScriptedServer,
) -> None:
    """A JSON operation's request says application/json once, with a body or without."""
    from runai_tokens_client.api.tokens import grant_token

    body = TokenRequest(GrantType.CLIENT_CREDENTIALS, client_id="ci", client_secret=CLIENT_SECRET)
    with connect(server.url, None, retry=NO_WAIT) as client:
        grant_token.sync_detailed(client=client, body=body)
        grant_token.sync_detailed(client=client)
    with_body, without = server.requests
    assert with_body.headers["content-type"] == "application/json"
    assert with_body.json() == client_credentials()
    assert (without.headers["content-type"], without.body) == ("application/json", b"")


@pytest.mark.anyio
async def test_every_async_operation_returns_its_model(server: ScriptedServer) -> None:
    async with async_tokens_api(server.url) as api:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            app = await api.app_token(AppTokenRequest(id="app-1", name="n", secret=APP_SECRET))
            exchanged = await api.exchange_code_for_token("https://cb.example/done", CODE)
            refreshed = await api.refresh_token(REFRESH)
        granted = await api.grant_token(TokenRequest(grant_type=GrantType.PASSWORD, username="u"))

    assert isinstance(app, AppTokenResponse)
    assert all(isinstance(m, TokenResponse) for m in (exchanged, refreshed, granted))
    assert [r.path for r in server.requests] == [APPTOKEN, EXCHANGE, REFRESH_PATH, GRANT]
    assert server.requests[3].json() == {"grantType": "password", "username": "u"}
    assert "user-agent" in server.requests[3].headers  # httpx's own, since none was given


def test_with_http_info_returns_data_status_and_headers(api: TokensApi) -> None:
    data, status, headers = api.grant_token_with_http_info(client_credentials())
    assert isinstance(data, TokenResponse)
    assert status == 200
    assert headers["content-type"] == "application/json"
    with pytest.warns(DeprecationWarning):
        data2, status2, _ = api.refresh_token_with_http_info(REFRESH)
    assert (data2.access_token, status2) == (ACCESS, 200)


@pytest.mark.anyio
async def test_async_with_http_info(server: ScriptedServer) -> None:
    async with async_tokens_api(server.url) as api:
        with pytest.warns(DeprecationWarning):
            data, status, headers = await api.app_token_with_http_info(
                {"id": "a", "name": "n", "secret": APP_SECRET}
            )
    assert (type(data), status, headers["content-type"]) == (
        AppTokenResponse,
        200,
        "application/json",
    )


def test_no_body_sends_no_body(api: TokensApi, server: ScriptedServer) -> None:
    api.grant_token()
    assert server.requests[0].body == b""


# --- caller mistakes: TypeError, nothing sent --------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (["grantType", "password"], "must be a TokenRequest or a dict, not list"),
        ({"grantType": "magic"}, "grantType is one of"),
        ({"grant_type": "password"}, "'grant_type' is a Python attribute name"),
        ({"grantType": "password", "password": 1234}, "TokenRequest.password is int"),
        (AppTokenRequest(id="a", name="b", secret="c"), "must be a TokenRequest"),
        (TokenRequest(grant_type="password"), "grant_type is str, expected GrantType"),  # type: ignore[arg-type]
    ],
)
def test_invalid_grant_body_raises_type_error_before_sending(
    api: TokensApi, server: ScriptedServer, body: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        api.grant_token(body)
    assert server.count() == 0


def test_invalid_app_token_body_names_the_missing_key(
    api: TokensApi, server: ScriptedServer
) -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="key 'secret'"):
        api.app_token({"id": "a", "name": "b"})
    assert server.count() == 0


@pytest.mark.parametrize("args", [(None, CODE), ("https://cb.example", None), ("x", 5)])
def test_exchange_requires_string_parameters(
    api: TokensApi, server: ScriptedServer, args: tuple[Any, Any]
) -> None:
    # The generated code drops a None query parameter silently; the swagger client refused.
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="must be a str"):
        api.exchange_code_for_token(*args)
    assert server.count() == 0


# --- malformed answers: ApiException, body kept ------------------------------------------------

HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
MALFORMED: dict[str, tuple[Reply, str]] = {
    "html": (Reply(200, HTML, {"Content-Type": "text/html"}), "not JSON"),
    "broken json": (Reply(200, b'{"accessToken": "fake-acc', {}), "not JSON"),
    "empty": (Reply(200, b""), "not JSON"),
    "not utf-8": (Reply(200, b"\xff\xfe\xfa"), "not JSON"),
    "list": (Reply.json(200, [{"accessToken": ACCESS}]), "expected a JSON object, got list"),
    "string": (Reply.json(200, ACCESS), "expected a JSON object, got str"),
    "int token": (Reply.json(200, {"accessToken": 42}), "access_token is int, expected str"),
    "bool expiry": (Reply.json(200, {"expiresIn": True}), "expires_in is bool, expected int"),
    "float expiry": (Reply.json(200, {"expiresIn": 1.5}), "expires_in is float, expected int"),
    "null token": (Reply.json(200, {"accessToken": None}), "access_token is NoneType"),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_malformed_grant_answer_raises_api_exception(kind: str) -> None:
    reply, reason = MALFORMED[kind]
    with (
        scripted(always(reply)) as server,
        tokens_api(server.url) as api,
        pytest.raises(ApiException) as caught,
    ):
        api.grant_token(client_credentials())
    assert server.count() == 1
    exc = caught.value
    assert type(exc) is ApiException
    assert exc.status == 200
    assert reason in str(exc.reason)
    assert exc.body == reply.body.decode("utf-8", "replace")
    assert exc.error is None
    assert ACCESS not in str(exc) and ACCESS not in repr(exc)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"access_token": ACCESS}, "missing required key 'id_token'"),
        ({"accessToken": ACCESS, "idToken": "x"}, "missing required key 'access_token'"),
        ({"access_token": ACCESS, "id_token": 7}, "id_token is int, expected str"),
    ],
)
def test_app_token_answer_missing_required_fields_raises(data: Any, reason: str) -> None:
    with (
        scripted(always(Reply.json(200, data))) as server,
        tokens_api(server.url) as api,
        pytest.warns(DeprecationWarning),
        pytest.raises(ApiException) as caught,
    ):
        api.app_token({"id": "a", "name": "n", "secret": APP_SECRET})
    assert caught.value.status == 200
    assert str(caught.value.reason).startswith("malformed AppTokenResponse: ")
    assert reason in str(caught.value.reason)
    assert json.loads(caught.value.body or "") == data


def test_malformed_answer_with_an_envelope_keeps_it_parsed() -> None:
    envelope = {"code": 7, "message": "half-migrated backend"}
    with (
        scripted(always(Reply.json(200, [envelope]))) as server,
        tokens_api(server.url) as api,
        pytest.raises(ApiException) as caught,
    ):
        api.grant_token()
    assert caught.value.error is None  # a list is not an envelope
    wrong_token = Reply.json(200, {**envelope, "accessToken": 1})
    with (
        scripted(always(wrong_token)) as server,
        tokens_api(server.url) as api,
        pytest.raises(ApiException) as caught,
    ):
        api.grant_token()
    assert isinstance(caught.value.error, Error)
    assert (caught.value.error.code, caught.value.error.message) == (7, "half-migrated backend")


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["html", "list", "int token"])
async def test_async_malformed_answer_raises_api_exception(kind: str) -> None:
    reply, reason = MALFORMED[kind]
    with scripted(always(reply)) as server:
        async with async_tokens_api(server.url) as api:
            with pytest.raises(ApiException) as caught:
                await api.grant_token(client_credentials())
    assert (type(caught.value), caught.value.status) == (ApiException, 200)
    assert reason in str(caught.value.reason)


def test_tolerates_unknown_keys_and_any_subset() -> None:
    extra = Reply.json(200, {"accessToken": ACCESS, "scope": "all"})
    with scripted(always(extra)) as server, tokens_api(server.url) as api:
        model = api.grant_token()
    assert model.access_token == ACCESS
    assert model.additional_properties == {"scope": "all"}


# --- error statuses ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 500, 503])
def test_error_status_raises_with_envelope_parsed(status: int) -> None:
    envelope = {"code": status, "message": "computer says no", "details": "fake-details"}
    reply = Reply.json(status, envelope, {"X-Request-Id": "r-1"})
    with (
        scripted(always(reply)) as server,
        tokens_api(server.url, ONE_SHOT) as api,
        pytest.raises(ApiException) as caught,
    ):
        api.grant_token(client_credentials())
    exc = caught.value
    assert exc.status == status
    assert exc.headers["x-request-id"] == "r-1"
    assert json.loads(exc.body or "") == envelope
    assert isinstance(exc.error, Error)
    assert (exc.error.code, exc.error.message, exc.error.details) == (
        status,
        "computer says no",
        "fake-details",
    )
    assert "computer says no" in str(exc)


@pytest.mark.parametrize(
    ("reply", "status", "reason"),
    [
        (Reply(502, HTML, {"Content-Type": "text/html"}), 502, "Bad Gateway"),
        (Reply(520, b"origin error"), 520, "Unknown status"),  # outside HTTPStatus
        (Reply(404, b'{"code": "nope"}'), 404, "Not Found"),  # not an envelope
        (Reply(302, b"", {"Location": "/elsewhere"}), 302, "Found"),
    ],
)
def test_non_envelope_error_statuses(reply: Reply, status: int, reason: str) -> None:
    with (
        scripted(always(reply)) as server,
        tokens_api(server.url, ONE_SHOT) as api,
        pytest.warns(DeprecationWarning),
        pytest.raises(ApiException) as caught,
    ):
        api.refresh_token(REFRESH)
    assert (caught.value.status, caught.value.reason, caught.value.error) == (status, reason, None)
    assert caught.value.body == reply.body.decode()


@pytest.mark.anyio
async def test_async_error_status_raises_with_envelope_parsed() -> None:
    with scripted(always(Reply.json(400, {"code": 400, "message": "bad grant"}))) as server:
        async with async_tokens_api(server.url) as api:
            with pytest.raises(ApiException) as caught:
                await api.grant_token({"grantType": "password"})
    assert caught.value.status == 400
    assert isinstance(caught.value.error, Error) and caught.value.error.message == "bad grant"


def test_retried_503_then_200_returns_the_model() -> None:
    replies = iter([Reply.json(503, {"code": 503, "message": "busy"})] * 2)
    with (
        scripted(lambda r: next(replies, None) or token_server(r)) as server,
        tokens_api(server.url) as api,
    ):
        model = api.grant_token(client_credentials())
        assert server.count() == 3
    assert model.access_token == ACCESS


def test_retry_after_past_the_deadline_passes_through_as_is() -> None:
    busy = Reply.json(503, {"code": 503, "message": "busy"}, {"Retry-After": "120"})
    with (
        scripted(always(busy)) as server,
        tokens_api(server.url, RetryPolicy(deadline=5)) as api,
        pytest.raises(RetryAfterExceedsDeadline) as caught,
    ):
        api.grant_token(client_credentials())
    assert server.count() == 1
    assert caught.value.status == 503
    assert caught.value.retry_after == 120


# --- no response at all ------------------------------------------------------------------------


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_connection_refused_raises_api_exception_without_the_query() -> None:
    with (
        tokens_api(closed_port_url()) as api,
        pytest.warns(DeprecationWarning),
        pytest.raises(ApiException) as caught,
    ):
        api.refresh_token(REFRESH)
    exc = caught.value
    assert exc.status is None
    assert isinstance(exc.__cause__, httpx.ConnectError)
    assert f"POST {REFRESH_PATH}" in str(exc)
    assert REFRESH not in str(exc) and REFRESH not in repr(exc)


@pytest.mark.anyio
async def test_async_connection_refused_raises_api_exception() -> None:
    async with async_tokens_api(closed_port_url()) as api:
        with pytest.warns(DeprecationWarning), pytest.raises(ApiException) as caught:
            await api.exchange_code_for_token("https://cb.example", CODE)
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert CODE not in str(caught.value)


def test_dropped_connection_raises_api_exception() -> None:
    with (
        scripted(always(Reply(drop=True))) as server,
        tokens_api(server.url, ONE_SHOT) as api,
        pytest.raises(ApiException) as caught,
    ):
        api.grant_token(client_credentials())
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)


# --- deprecation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "replacement"),
    [
        (lambda api: api.app_token({"id": "a", "name": "n", "secret": APP_SECRET}), "app_token"),
        (lambda api: api.exchange_code_for_token("https://cb", CODE), "exchange_token"),
        (lambda api: api.refresh_token(REFRESH), "refresh_token"),
    ],
)
def test_deprecated_operations_name_the_replacing_grant(
    api: TokensApi, call: Callable[[TokensApi], object], replacement: str
) -> None:
    with pytest.warns(DeprecationWarning) as record:
        call(api)
    assert len(record) == 1
    assert f"grant_token with grantType '{replacement}'" in str(record[0].message)
    assert record[0].filename == __file__  # stacklevel points at the caller


def test_deprecation_points_at_the_caller_for_every_variant(api: TokensApi) -> None:
    with pytest.warns(DeprecationWarning) as record:
        api.refresh_token_with_http_info(REFRESH)
        api.exchange_code_for_token_with_http_info("https://cb", CODE)
        api.app_token_with_http_info({"id": "a", "name": "n", "secret": APP_SECRET})
    assert [w.filename for w in record] == [__file__] * 3


@pytest.mark.anyio
async def test_async_deprecation_points_at_the_awaiting_caller(server: ScriptedServer) -> None:
    async with async_tokens_api(server.url) as api:
        with pytest.warns(DeprecationWarning, match="grantType 'refresh_token'") as record:
            await api.refresh_token(REFRESH)
    assert record[0].filename == __file__


def test_grant_token_is_not_deprecated(api: TokensApi) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api.grant_token(client_credentials())


def test_accepts_any_generated_client(server: ScriptedServer) -> None:
    # A plain generated Client, built by hand rather than by connect(), works too.
    with Client(base_url=server.url) as client:
        assert TokensApi(client).grant_token().access_token == ACCESS
