"""One error contract: the generated functions themselves raise ApiException, via connect().

Every operation, in all four forms (sync, sync_detailed, asyncio, asyncio_detailed), against the
answers a flaky control plane gives: a load balancer's HTML 502 and a 200 cut off halfway (the
fake server's faults), and, scripted, JSON of the wrong shape, a field of the wrong type, a
missing required key, a status outside HTTPStatus, an undocumented status, a documented error
and no answer at all. `runai_tokens.ApiException` catches each; nothing else gets out.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import runai_tokens
from runai_tokens import RetryPolicy, connect
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
    app_token,
    exchange_code_for_token,
    grant_token,
    grant_token_v2,
    refresh_token,
)
from runai_tokens.testing import FakeRunaiServer
from runai_tokens.testing.scripted import Recorded, Reply, scripted
from runai_tokens_client.errors import UnexpectedStatus

SECRET = "fake-secret-contract-4Rq"
V2 = "/api/v2/token"
APP = "/v1/k8s/auth/oauth/apptoken"
ONE_SHOT = RetryPolicy(max_attempts=1)  # each fault reaches the caller, unretried

# Each operation's arguments, for the functions of its generated module.
ARGUMENTS: dict[str, tuple[Any, dict[str, Any]]] = {
    "app_token": (app_token, {"body": AppTokenRequest(id="a", name="n", secret=SECRET)}),
    "exchange_code_for_token": (
        exchange_code_for_token,
        {"redirect_uri": "https://cb.example", "code": "fake-code-contract"},
    ),
    "grant_token": (
        grant_token,
        {"body": TokenRequest(grant_type=GrantType.CLIENT_CREDENTIALS, client_secret=SECRET)},
    ),
    "grant_token_v2": (
        grant_token_v2,
        {
            "body": OAuth2TokenRequest(
                grant_type=OAuth2GrantType.CLIENT_CREDENTIALS, client_id="ci", client_secret=SECRET
            )
        },
    ),
    "refresh_token": (refresh_token, {"refresh_token": "fake-refresh-contract"}),
}
SyncForm = Callable[[Client], Any]
AsyncForm = Callable[[Client], Awaitable[Any]]


def bound(function: Callable[..., Any], arguments: dict[str, Any]) -> Callable[[Client], Any]:
    return lambda client: function(client=client, **arguments)


def sync_forms() -> Iterator[tuple[str, SyncForm]]:
    for name, (module, arguments) in ARGUMENTS.items():
        for form in ("sync", "sync_detailed"):
            yield f"{name}.{form}", bound(getattr(module, form), arguments)


def async_forms() -> Iterator[tuple[str, AsyncForm]]:
    for name, (module, arguments) in ARGUMENTS.items():
        for form in ("asyncio", "asyncio_detailed"):
            yield f"{name}.{form}", bound(getattr(module, form), arguments)


CALLS = len(ARGUMENTS) * 2


def raised_by_every_sync_form(url: str) -> dict[str, runai_tokens.ApiException]:
    caught = {}
    with connect(url, retry=ONE_SHOT) as client:
        for name, call in sync_forms():
            with pytest.raises(runai_tokens.ApiException) as raised:
                call(client)
            caught[name] = raised.value
    return caught


async def raised_by_every_async_form(url: str) -> dict[str, runai_tokens.ApiException]:
    caught = {}
    async with connect(url, retry=ONE_SHOT) as client:
        for name, call in async_forms():
            with pytest.raises(runai_tokens.ApiException) as raised:
                await call(client)
            caught[name] = raised.value
    return caught


def test_the_generated_exception_is_the_public_one() -> None:
    import runai_tokens_client.errors as generated

    assert runai_tokens.ApiException is generated.ApiException
    assert issubclass(UnexpectedStatus, runai_tokens.ApiException)
    assert issubclass(runai_tokens.RetryAfterExceedsDeadline, generated.ApiException)


def test_the_server_text_is_escaped_by_the_same_rules_as_the_cli() -> None:
    """Two copies, since the CLI's warm path must not import the generated package (httpx)."""
    import runai_tokens_client.errors as generated
    from runai_tokens import _untrusted

    assert generated._CONTROLS == _untrusted._CONTROLS
    sample = "".join(map(chr, range(0x2070))) + "\u202e\u2066\x1b]0;title\x07"
    assert generated.escape_controls(sample) == _untrusted.escape_controls(sample)


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
        for module in (app_token, grant_token_v2):
            arguments = ARGUMENTS[module.__name__.rpartition(".")[2]][1]
            with pytest.raises(runai_tokens.ApiException) as caught:
                module.sync(client=client, **arguments)
            assert "missing required key 'access_token'" in str(caught.value.reason)


def test_a_good_answer_still_parses() -> None:
    answer = {"accessToken": "fake-access-contract", "expiresIn": 60}
    with scripted(lambda _: Reply.json(200, answer)) as server, connect(server.url) as client:
        detailed = grant_token.sync_detailed(client=client, body=TokenRequest())
        parsed = refresh_token.sync(client=client, refresh_token="fake-refresh-contract")
    assert isinstance(detailed.parsed, TokenResponse)
    assert (detailed.status_code, detailed.parsed.expires_in) == (200, 60)
    assert isinstance(parsed, TokenResponse) and parsed.access_token == "fake-access-contract"


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
