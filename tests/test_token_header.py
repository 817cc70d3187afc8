"""Tokens are checked before they reach an Authorization header.

A token with a line break, a NUL or a non-ASCII character made httpx or h11 raise with the header
(the token) in the message, or could smuggle a second header. A StaticToken is stripped and
checked at construction (ValueError); a server's token when its grant is parsed (ApiException).
Either way the error names the problem, never the token.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from runai_tokens import ApiException, ClientCredentials, RetryPolicy, StaticToken, TokenAuth
from runai_tokens._untrusted import header_value_problem
from runai_tokens.testing import Recorded, Reply, ScriptedServer, scripted
from runai_tokens.testing._scripted import is_grant

CREDENTIALS = ClientCredentials("fake-client", "fake-secret-header")
ONE_TRY = RetryPolicy(max_attempts=1)
WHOAMI = "/api/v1/whoami"

# (token, what the error must say). Each token holds "fake-tok", which no message may show.
BAD_TOKENS = [
    ("fake-tok\r\nX-Injected: 1", "line break"),
    ("fake-tok\n", "line break"),
    ("fake-tok\x00en", "NUL"),
    ("fake-tok\x1b[2J", "control character (U+001B)"),
    ("fake-tok\x7f", "control character (U+007F)"),
    ("fake-tok\u00e9n", "non-ASCII"),
    ("fake-tok\u20acn", "non-ASCII"),
    ("fake-tok en", "whitespace"),
    ("fake-tok\ten", "whitespace"),
]


@pytest.mark.parametrize(("token", "problem"), BAD_TOKENS)
def test_header_value_problem_names_the_problem(token: str, problem: str) -> None:
    found = header_value_problem(token)
    assert found is not None
    assert problem in found
    assert "fake-tok" not in found


@pytest.mark.parametrize(
    "token", ["eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "opaque-~+/_.=", "x"]
)
def test_header_value_problem_accepts_bearer_tokens(token: str) -> None:
    assert header_value_problem(token) is None


# --- StaticToken ---------------------------------------------------------------------------


def test_static_token_strips_the_newline_a_file_ends_with(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("  fake-static-token\n")
    seen: list[str] = []

    def answer(request: Recorded) -> Reply:
        seen.append(request.headers.get("authorization", ""))
        return Reply.json(200, {"sub": "fake"})

    with scripted(answer) as server:
        auth = TokenAuth(server.url, StaticToken(token_file.read_text()))
        with httpx.Client(base_url=server.url, auth=auth) as http:
            assert http.get(WHOAMI).status_code == 200
    assert seen == ["Bearer fake-static-token"]


# Surrounding whitespace is stripped, so only the bad tokens that keep their flaw once stripped.
@pytest.mark.parametrize(("token", "problem"), [(t, p) for t, p in BAD_TOKENS if t == t.strip()])
def test_static_token_refuses_what_cannot_be_a_header(token: str, problem: str) -> None:
    with pytest.raises(ValueError, match=r"^StaticToken: the access token ") as caught:
        StaticToken(token)
    assert problem in str(caught.value)
    assert "fake-tok" not in str(caught.value)
    assert "fake-tok" not in repr(caught.value)


@pytest.mark.parametrize("blank", ["", "  \n", "\r\n"])
def test_static_token_refuses_a_blank_token(blank: str) -> None:
    with pytest.raises(ValueError, match="is empty"):
        StaticToken(blank)


def test_static_token_refuses_a_non_string() -> None:
    with pytest.raises(TypeError, match="bytes"):
        StaticToken(b"fake-tok")  # type: ignore[arg-type]


# --- a server's token ----------------------------------------------------------------------


def _serving(token: str) -> ScriptedServer:
    def answer(request: Recorded) -> Reply:
        if is_grant(request):
            return Reply.token(request, token, expires_in=3600)
        return Reply.json(200, {"sub": "fake"})

    return ScriptedServer(answer)


def _assert_refused(exc: ApiException, problem: str) -> None:
    assert exc.status == 200
    assert problem in str(exc)
    assert "access_token" in str(exc) or "accessToken" in str(exc)
    assert "fake-tok" not in str(exc)
    assert "fake-tok" not in repr(exc)


@pytest.mark.parametrize(("token", "problem"), BAD_TOKENS)
def test_a_servers_token_that_cannot_be_a_header_is_refused(token: str, problem: str) -> None:
    with _serving(token) as server:
        auth = TokenAuth(server.url, CREDENTIALS, retry=ONE_TRY)
        with pytest.raises(ApiException) as caught:
            auth.get_token()
        _assert_refused(caught.value, problem)
        # Through an httpx client: the same typed error, and the call is never sent.
        with (
            httpx.Client(base_url=server.url, auth=auth) as http,
            pytest.raises(ApiException) as via_client,
        ):
            http.get(WHOAMI)
        _assert_refused(via_client.value, problem)
        assert server.count(WHOAMI) == 0


def test_a_servers_bad_token_is_refused_on_the_async_path() -> None:
    token, problem = BAD_TOKENS[0]

    async def main(server: ScriptedServer) -> None:
        auth = TokenAuth(server.url, CREDENTIALS, retry=ONE_TRY)
        async with httpx.AsyncClient(base_url=server.url, auth=auth) as http:
            with pytest.raises(ApiException) as caught:
                await http.get(WHOAMI)
        _assert_refused(caught.value, problem)
        await auth.aclose()

    with _serving(token) as server:
        asyncio.run(main(server))
        assert server.count(WHOAMI) == 0
