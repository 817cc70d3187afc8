"""No object a locals-capturing traceback shows holds a secret (issue 9, row 6).

`traceback.TracebackException(..., capture_locals=True)` (and Sentry, and a debugger) shows the
repr of every local of every frame an exception went through, and of the exceptions it chains.
Those frames include httpx's own, whose locals are the request's body (`json=`, `data=`) and the
request itself (its URL carries `?refresh_token=` or `?code=` for the deprecated operations).
So: a failed grant (v1 and v2, rejected or unanswered) and every TokensApi call (each grant
kind as a dict body, refresh, exchange, app token; rejected, unanswered, malformed) must show no
secret, not even the arguments the caller passed TokensApi, and ApiException's chained cause must
carry no URL with one. (The generated functions called directly keep openapi-python-client's
contract: their frames, and httpx's below them, hold what they were given.)
"""

from __future__ import annotations

import socket
import traceback
import warnings
from collections.abc import Callable, Iterator

import httpx
import pytest
from runai_tokens import (
    ApiException,
    ClientCredentials,
    RefreshTokenCredentials,
    RetryPolicy,
    TokenAuth,
    TokensApi,
    connect,
)
from runai_tokens._generated import GrantType, OAuth2GrantType, TokenRequest, TokenResponse
from runai_tokens.api import _calls as calls
from runai_tokens.api._io import send
from runai_tokens.auth._grant import TokenEndpoint
from runai_tokens.testing import FakeRunaiServer, Reply, scripted

CLIENT_SECRET = "fake-secret-tb-client-9Kd"
REFRESH = "fake-secret-tb-refresh-4Wm"
CODE = "fake-secret-tb-code-7Hs"
ACCESS = "fake-secret-tb-access-2Qe"
SECRETS = (CLIENT_SECRET, REFRESH, CODE, ACCESS)
ONE_SHOT = RetryPolicy(max_attempts=1)


def shown(exc: BaseException) -> Iterator[tuple[str, str, str]]:
    """(function, local, repr) for every local a locals-capturing traceback of exc shows, and
    ("", "message", text) for each exception's own lines, along the whole chain."""
    todo: list[traceback.TracebackException | None] = [
        traceback.TracebackException(type(exc), exc, exc.__traceback__, capture_locals=True)
    ]
    seen: set[int] = set()
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        for frame in current.stack:
            for name, value in (frame.locals or {}).items():
                yield frame.name, name, value
        yield "", "message", "".join(current.format_exception_only())
        todo += [current.__cause__, current.__context__]


def leaks(exc: BaseException, *, passed_as: str | None = None) -> list[tuple[str, str, str]]:
    """What shows a secret, but for the parameter `passed_as` holding it as itself."""
    return [
        (function, name, value[:80])
        for function, name, value in shown(exc)
        if any(secret in value for secret in SECRETS)
        and not (name == passed_as and value in {repr(secret) for secret in SECRETS})
    ]


def assert_cause_is_scrubbed(exc: ApiException) -> None:
    cause = exc.__cause__
    assert isinstance(cause, httpx.RequestError)
    assert exc.__context__ is None
    assert not any(secret in str(cause.request.url) for secret in SECRETS)
    assert not any(secret in repr(cause.request) for secret in SECRETS)
    chained: BaseException | None = exc
    while chained is not None:  # no frame of httpx (or of anything) is kept along the chain
        assert chained is exc or chained.__traceback__ is None
        chained = chained.__cause__ or chained.__context__


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# --- grants ------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["v1", "v2"])
def test_a_rejected_grant(endpoint: TokenEndpoint) -> None:
    with FakeRunaiServer() as server:
        server.add_client("ci", "fake-secret-tb-right-1Az")
        auth = TokenAuth(
            server.url, ClientCredentials("ci", CLIENT_SECRET), token_endpoint=endpoint
        )
        with pytest.raises(ApiException) as caught:
            auth.get_token()
        auth.close()
    assert caught.value.status == 401
    assert leaks(caught.value) == []


@pytest.mark.parametrize("endpoint", ["v1", "v2"])
def test_an_unanswered_grant(endpoint: TokenEndpoint) -> None:
    """The connection drops: the error came up through httpx, whose frames hold the body."""
    with FakeRunaiServer() as server:
        server.drop_next(1)
        auth = TokenAuth(
            server.url,
            ClientCredentials("ci", CLIENT_SECRET),
            token_endpoint=endpoint,
            retry=ONE_SHOT,
        )
        with pytest.raises(ApiException) as caught:
            auth.get_token()
        auth.close()
    assert caught.value.status is None
    assert_cause_is_scrubbed(caught.value)
    assert leaks(caught.value) == []


def test_an_unanswered_refresh_grant() -> None:
    auth = TokenAuth(
        closed_port_url(), RefreshTokenCredentials(REFRESH, client_id="ci"), retry=ONE_SHOT
    )
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    auth.close()
    assert_cause_is_scrubbed(caught.value)
    assert leaks(caught.value) == []


@pytest.mark.anyio
async def test_an_unanswered_grant_async() -> None:
    auth = TokenAuth(closed_port_url(), ClientCredentials("ci", CLIENT_SECRET), retry=ONE_SHOT)
    with pytest.raises(ApiException) as caught:
        await auth.aget_token()
    await auth.aclose()
    assert_cause_is_scrubbed(caught.value)
    assert leaks(caught.value) == []


# --- the deprecated operations, their secrets in the query -------------------------------------


def test_the_deprecated_operations_through_tokens_api() -> None:
    with connect(closed_port_url(), retry=ONE_SHOT) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        api = TokensApi(client)
        with pytest.raises(ApiException) as refresh:
            api.refresh_token(REFRESH)
        with pytest.raises(ApiException) as exchange:
            api.exchange_code_for_token("https://cb.example", CODE)
    for caught in (refresh, exchange):
        assert_cause_is_scrubbed(caught.value)
        assert isinstance(caught.value.__cause__, httpx.RequestError)
        assert "REDACTED" in str(caught.value.__cause__.request.url)
        assert leaks(caught.value) == []


# --- *_detailed ---------------------------------------------------------------------------------


def test_answers_and_calls_keep_secrets_out_of_repr() -> None:
    answer = {"accessToken": ACCESS, "refreshToken": REFRESH, "expiresIn": 60}
    headers = {"Set-Cookie": f"session={ACCESS}"}
    body = TokenRequest(grant_type=GrantType.CLIENT_CREDENTIALS, client_secret=CLIENT_SECRET)
    with (
        scripted(lambda _: Reply.json(200, answer, headers)) as server,
        connect(server.url) as client,
    ):
        sent = calls.grant_token(body)
        response = send(client, sent)
    assert isinstance(response.parsed, TokenResponse)
    assert response.parsed.access_token == ACCESS
    assert ACCESS in response.content.decode() and ACCESS in response.headers["set-cookie"]
    assert repr(response) == "Answer(status_code=200, parsed=TokenResponse(expires_in=60))"
    call = calls.refresh_token(REFRESH)  # what TokensApi and the grants send
    assert repr(call) == "Call(POST /v1/k8s/auth/oauth/tokens/refresh, TokenResponse)"
    for shown_text in (repr(response), str(response), repr(sent), repr(call)):
        assert not any(secret in shown_text for secret in SECRETS), shown_text


# Answers that carry a token but are not the documented model: cut off, or a field mistyped.
HALF = f'{{"accessToken": "{ACCESS}", "refreshToken": "{REFRESH}", "expiresIn": "soon"'
MALFORMED = {"truncated": Reply(200, HALF.encode()), "mistyped": Reply(200, (HALF + "}").encode())}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_answer_shows_no_secret(kind: str) -> None:
    """Raised from inside the generated parse, whose frames read the body."""
    with (
        scripted(lambda _: MALFORMED[kind]) as server,
        connect(server.url, retry=ONE_SHOT) as client,
        pytest.raises(ApiException) as caught,
    ):
        TokensApi(client).grant_token_with_http_info(
            TokenRequest(grant_type=GrantType.CLIENT_CREDENTIALS, client_secret=CLIENT_SECRET)
        )
    assert caught.value.status == 200
    assert ACCESS in (caught.value.body or "")  # kept on the object, never shown
    assert leaks(caught.value) == []


# --- every TokensApi call, failing ----------------------------------------------------------------


def grant_v1(grant: GrantType) -> Callable[[TokensApi], object]:
    return lambda api: api.grant_token(
        {
            "grantType": grant.value,
            "clientID": "ci",
            "clientSecret": CLIENT_SECRET,
            "appID": "app",
            "appSecret": CLIENT_SECRET,
            "username": "researcher",
            "password": CLIENT_SECRET,
            "refreshToken": REFRESH,
            "code": CODE,
            "redirectUri": "https://cb.example",
            "externalToken": ACCESS,
        }
    )


def grant_v2(grant: OAuth2GrantType) -> Callable[[TokensApi], object]:
    return lambda api: api.grant_token_v2_with_http_info(
        {
            "grant_type": grant.value,
            "client_id": "ci",
            "client_secret": CLIENT_SECRET,
            "username": "researcher",
            "password": CLIENT_SECRET,
            "refresh_token": REFRESH,
            "code": CODE,
            "redirect_uri": "https://cb.example",
        }
    )


# Each call TokensApi makes, its secrets passed in as the caller would: a dict of wire keys for a
# body (built inline, so no frame of this test holds it), a str for the deprecated queries.
API_CALLS: dict[str, Callable[[TokensApi], object]] = {
    **{f"grant_token-{grant.value}": grant_v1(grant) for grant in GrantType},
    **{f"grant_token_v2-{grant.value}": grant_v2(grant) for grant in OAuth2GrantType},
    "refresh_token": lambda api: api.refresh_token(REFRESH),
    "exchange_code_for_token": lambda api: api.exchange_code_for_token_with_http_info(
        "https://cb.example", CODE
    ),
    "app_token": lambda api: api.app_token({"id": "app", "name": "app", "secret": CLIENT_SECRET}),
}
# How the fake server makes a call fail.
FAILURES: dict[str, Callable[[FakeRunaiServer], None]] = {
    "rejected": lambda server: server.fail_next(1, 400),
    "unanswered": lambda server: server.drop_next(1),
    "html": lambda server: server.html_next(1),
    "truncated": lambda server: server.truncated_next(1),
}


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("name", list(API_CALLS))
def test_every_tokens_api_call_fails_without_showing_a_secret(name: str, failure: str) -> None:
    with (
        FakeRunaiServer() as server,
        connect(server.url, None, retry=ONE_SHOT) as client,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", DeprecationWarning)
        FAILURES[failure](server)
        with pytest.raises(ApiException) as caught:
            API_CALLS[name](TokensApi(client))
        assert server.pending_faults == 0
    assert leaks(caught.value) == []
    if failure == "unanswered":
        assert_cause_is_scrubbed(caught.value)


def test_the_check_sees_an_argument_left_in_a_frame() -> None:
    """The check itself: a frame that keeps the secret it was passed shows it."""

    def keeps(secret: str) -> None:
        raise ApiException(None, "no")

    with pytest.raises(ApiException) as caught:
        keeps(REFRESH)
    assert leaks(caught.value) == [("keeps", "secret", repr(REFRESH))]
