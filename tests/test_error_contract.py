"""One error contract: TokensApi and AsyncTokensApi raise ApiException for anything else.

Every operation, in both forms (the method and its *_with_http_info), sync and async, against
the answers a flaky control plane gives: a load balancer's HTML 502 and a 200 cut off halfway
(the fake server's faults), and, scripted, JSON of the wrong shape, a field of the wrong type, a
missing required key, a status outside HTTPStatus, an undocumented status, a documented error
and no answer at all. `runai_tokens.ApiException` catches each; nothing else gets out.

The generated functions keep openapi-python-client's contract, checked at the end.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import runai_tokens
import runai_tokens_client.errors
from runai_tokens import AsyncTokensApi, RetryPolicy, TokensApi, connect
from runai_tokens._generated import (
    AppTokenRequest,
    Client,
    Error,
    GrantType,
    OAuth2Error,
    OAuth2GrantType,
    OAuth2TokenRequest,
    TokenRequest,
    TokenResponse,
    grant_token,
    refresh_token,
)
from runai_tokens.errors import UnexpectedStatus
from runai_tokens.testing import FakeRunaiServer, Recorded, Reply, scripted

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECRET = "fake-secret-contract-4Rq"
V2 = "/api/v2/token"
APP = "/v1/k8s/auth/oauth/apptoken"
ONE_SHOT = RetryPolicy(max_attempts=1)  # each fault reaches the caller, unretried

# Each TokensApi method's arguments.
ARGUMENTS: dict[str, tuple[Any, ...]] = {
    "app_token": (AppTokenRequest(id="a", name="n", secret=SECRET),),
    "exchange_code_for_token": ("https://cb.example", "fake-code-contract"),
    "grant_token": (TokenRequest(grant_type=GrantType.CLIENT_CREDENTIALS, client_secret=SECRET),),
    "grant_token_v2": (
        OAuth2TokenRequest(
            grant_type=OAuth2GrantType.CLIENT_CREDENTIALS, client_id="ci", client_secret=SECRET
        ),
    ),
    "refresh_token": ("fake-refresh-contract",),
}
SyncForm = Callable[[TokensApi], Any]
AsyncForm = Callable[[AsyncTokensApi], Awaitable[Any]]


def bound(name: str, arguments: tuple[Any, ...]) -> Callable[[Any], Any]:
    return lambda api: getattr(api, name)(*arguments)


def sync_forms() -> Iterator[tuple[str, SyncForm]]:
    for name, arguments in ARGUMENTS.items():
        for form in (name, f"{name}_with_http_info"):
            yield form, bound(form, arguments)


def async_forms() -> Iterator[tuple[str, AsyncForm]]:
    for name, arguments in ARGUMENTS.items():
        for form in (name, f"{name}_with_http_info"):
            yield form, bound(form, arguments)


CALLS = len(ARGUMENTS) * 2


def raised_by_every_sync_form(url: str) -> dict[str, runai_tokens.ApiException]:
    caught = {}
    with connect(url, retry=ONE_SHOT) as client:
        api = TokensApi(client)
        for name, call in sync_forms():
            with pytest.raises(runai_tokens.ApiException) as raised:
                call(api)
            caught[name] = raised.value
    return caught


async def raised_by_every_async_form(url: str) -> dict[str, runai_tokens.ApiException]:
    caught = {}
    async with connect(url, retry=ONE_SHOT) as client:
        api = AsyncTokensApi(client)
        for name, call in async_forms():
            with pytest.raises(runai_tokens.ApiException) as raised:
                await call(api)
            caught[name] = raised.value
    return caught


def test_the_exceptions_are_the_hand_written_layers() -> None:
    assert issubclass(UnexpectedStatus, runai_tokens.ApiException)
    assert issubclass(runai_tokens.RetryAfterExceedsDeadline, runai_tokens.ApiException)
    # The generated package keeps the generator's own, which is no ApiException.
    assert not issubclass(runai_tokens_client.errors.UnexpectedStatus, runai_tokens.ApiException)


# --- the fake server's faults ------------------------------------------------------------------


def assert_html_502(caught: dict[str, runai_tokens.ApiException]) -> None:
    assert len(caught) == CALLS
    for name, exc in caught.items():
        # No operation documents a 502: the contract's UnexpectedStatus, an ApiException.
        assert type(exc) is UnexpectedStatus, name
        assert (exc.status, exc.reason, exc.error) == (502, "Bad Gateway", None), name
        assert "<title>502 Bad Gateway</title>" in (exc.body or ""), name
        assert exc.headers["content-type"].startswith("text/html"), name
        assert "<html>" not in str(exc) and "<html>" not in repr(exc), name


def test_an_html_502_sync() -> None:
    with FakeRunaiServer() as server:
        server.html_next(CALLS)
        caught = raised_by_every_sync_form(server.url)
        assert server.pending_faults == 0
    assert_html_502(caught)


@pytest.mark.anyio
async def test_an_html_502_async() -> None:
    with FakeRunaiServer() as server:
        server.html_next(CALLS)
        caught = await raised_by_every_async_form(server.url)
        assert server.pending_faults == 0
    assert_html_502(caught)


def assert_truncated(caught: dict[str, runai_tokens.ApiException]) -> None:
    assert len(caught) == CALLS
    for name, exc in caught.items():
        assert type(exc) is runai_tokens.ApiException, name
        assert exc.status == 200, name
        assert str(exc.reason).startswith("malformed "), name
        assert str(exc.reason).endswith(": the body is not JSON"), name
        assert exc.body and exc.error is None, name


def test_a_truncated_200_sync() -> None:
    with FakeRunaiServer() as server:
        server.truncated_next(CALLS)
        caught = raised_by_every_sync_form(server.url)
    assert_truncated(caught)


@pytest.mark.anyio
async def test_a_truncated_200_async() -> None:
    with FakeRunaiServer() as server:
        server.truncated_next(CALLS)
        caught = await raised_by_every_async_form(server.url)
    assert_truncated(caught)


# --- scripted answers ---------------------------------------------------------------------------


def wrong_type(request: Recorded) -> Reply:
    # access_token a number, in each operation's own key spelling, everything else right.
    if request.path == V2:
        return Reply.json(200, {"access_token": 42, "token_type": "Bearer"})
    if request.path == APP:
        return Reply.json(200, {"access_token": 42, "id_token": "fake-id"})
    return Reply.json(200, {"accessToken": 42})


def documented_error(request: Recorded) -> Reply:
    if request.path == V2:  # RFC 6749's error, as grant_token_v2 documents for a 400
        return Reply.json(400, {"error": "invalid_request", "error_description": "no\x1b[2J"})
    return Reply.json(400, {"code": 400, "message": "no\x1b[2J"})


# A fault, the class and status it raises, and what the reason says.
SCRIPTED: dict[str, tuple[Callable[[Recorded], Reply], type[Exception], int, str]] = {
    "a list": (lambda _: Reply.json(200, [1, 2]), runai_tokens.ApiException, 200, "got list"),
    "a two-key object in a list": (
        # dict() would take it as one (key, value) pair: {"code": "message"}.
        lambda _: Reply.json(200, [{"code": 7, "message": "m"}]),
        runai_tokens.ApiException,
        200,
        "expected a JSON object, got list",
    ),
    "a string": (lambda _: Reply.json(200, "fake"), runai_tokens.ApiException, 200, "got str"),
    "a field of the wrong type": (
        wrong_type,
        runai_tokens.ApiException,
        200,
        "access_token is int, expected str",
    ),
    "a status outside HTTPStatus": (
        lambda _: Reply(520, b"origin error"),
        UnexpectedStatus,
        520,
        "Unknown status",
    ),
    "an undocumented status": (
        lambda _: Reply.json(404, {"code": 404, "message": "no route"}),
        UnexpectedStatus,
        404,
        "Not Found",
    ),
    "a documented error": (documented_error, runai_tokens.ApiException, 400, "Bad Request"),
}


@pytest.mark.parametrize("fault", list(SCRIPTED))
def test_scripted_faults_sync(fault: str) -> None:
    handler, kind, status, reason = SCRIPTED[fault]
    with scripted(handler) as server:
        caught = raised_by_every_sync_form(server.url)
        assert server.count() == CALLS
    for name, exc in caught.items():
        assert (type(exc), exc.status) == (kind, status), name
        assert reason in str(exc.reason), name


@pytest.mark.anyio
@pytest.mark.parametrize("fault", list(SCRIPTED))
async def test_scripted_faults_async(fault: str) -> None:
    handler, kind, status, reason = SCRIPTED[fault]
    with scripted(handler) as server:
        caught = await raised_by_every_async_form(server.url)
        assert server.count() == CALLS
    for name, exc in caught.items():
        assert (type(exc), exc.status) == (kind, status), name
        assert reason in str(exc.reason), name


def test_a_documented_error_is_parsed_as_the_model_documented_for_it() -> None:
    with scripted(documented_error) as server:
        caught = raised_by_every_sync_form(server.url)
    for name, exc in caught.items():
        v2 = name.startswith("grant_token_v2")
        assert isinstance(exc.error, OAuth2Error if v2 else Error), name
        assert exc.message == "no\x1b[2J", name  # as sent
        assert "\x1b" not in str(exc) and "no\\x1b[2J" in str(exc), name  # escaped
        assert exc.oauth2_error == ("invalid_request" if v2 else None), name


def test_an_undocumented_status_tries_the_operations_error_models() -> None:
    with scripted(lambda _: Reply.json(429, {"code": 429, "message": "slow down"})) as server:
        caught = raised_by_every_sync_form(server.url)
    for name, exc in caught.items():
        assert isinstance(exc, UnexpectedStatus), name
        assert (exc.status_code, exc.content) == (429, b'{"code": 429, "message": "slow down"}')
        assert isinstance(exc.error, Error) and exc.message == "slow down", name


def test_a_missing_required_key() -> None:
    # TokenResponse has no required key; AppTokenResponse and OAuth2TokenResponse do.
    with (
        scripted(lambda _: Reply.json(200, {"token_type": "Bearer"})) as server,
        connect(server.url, retry=ONE_SHOT) as client,
    ):
        api = TokensApi(client)
        for name in ("app_token", "grant_token_v2"):
            with pytest.raises(runai_tokens.ApiException) as caught:
                getattr(api, name)(*ARGUMENTS[name])
            assert "missing required key 'access_token'" in str(caught.value.reason)


def test_a_good_answer_still_parses() -> None:
    answer = {"accessToken": "fake-access-contract", "expiresIn": 60}
    with scripted(lambda _: Reply.json(200, answer)) as server, connect(server.url) as client:
        api = TokensApi(client)
        parsed, status, headers = api.grant_token_with_http_info(TokenRequest())
        refreshed = api.refresh_token("fake-refresh-contract")
    assert isinstance(parsed, TokenResponse)
    assert (status, parsed.expires_in) == (200, 60)
    assert headers["content-type"] == "application/json"
    assert isinstance(refreshed, TokenResponse)
    assert refreshed.access_token == "fake-access-contract"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_no_answer_at_all_sync() -> None:
    caught = raised_by_every_sync_form(closed_port_url())
    for name, exc in caught.items():
        assert exc.status is None and exc.reason.startswith("ConnectError on "), name
        assert exc.__cause__ is not None and exc.__context__ is None, name


@pytest.mark.anyio
async def test_no_answer_at_all_async() -> None:
    caught = await raised_by_every_async_form(closed_port_url())
    for name, exc in caught.items():
        assert exc.status is None and exc.reason.startswith("ConnectError on "), name


# --- the generated functions: openapi-python-client's own contract ------------------------------


def test_the_generated_functions_return_the_documented_union() -> None:
    """A documented error status is the model documented for it, returned, not raised."""
    with scripted(documented_error) as server, connect(server.url, retry=ONE_SHOT) as client:
        detailed = grant_token.sync_detailed(client=client, body=TokenRequest())
        parsed = refresh_token.sync(client=client, refresh_token="fake-refresh-contract")
    assert detailed.status_code == 400 and isinstance(detailed.parsed, Error)
    assert isinstance(parsed, Error) and parsed.message == "no\x1b[2J"


def test_connects_client_raises_the_generators_unexpected_status() -> None:
    reply = Reply.json(404, {"code": 404, "message": "no route"})
    with scripted(lambda _: reply) as server, connect(server.url, retry=ONE_SHOT) as client:
        with pytest.raises(runai_tokens_client.errors.UnexpectedStatus) as raised:
            grant_token.sync(client=client, body=TokenRequest())
        # A Client built by hand keeps the generator's default: None.
        bare = Client(base_url=server.url)
        assert grant_token.sync(client=bare, body=TokenRequest()) is None
    assert raised.value.status_code == 404


def test_the_generated_functions_let_httpx_errors_through() -> None:
    with connect(closed_port_url(), retry=ONE_SHOT) as client, pytest.raises(httpx.ConnectError):
        grant_token.sync(client=client, body=TokenRequest())
