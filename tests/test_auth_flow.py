"""TokenAuth as an httpx.Auth: 401 refresh and replay, 403, streaming bodies, token paths."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from runai_tokens._generated import GRANT_PATH, TOKEN_PATHS, is_token_path
from runai_tokens.auth import TokenAuth
from runai_tokens.credentials import ClientCredentials, StaticToken
from runai_tokens.testing import PROTECTED_PATH, REDACTED, Recorded, Reply, scripted

from tests.helpers.clock import FakeClock
from tests.helpers.fake import (
    API_PATH,
    CLIENT_ID,
    CLIENT_SECRET,
    FORBIDDEN_PATH,
    grants,
    token_server,
)

CREDENTIALS = ClientCredentials(CLIENT_ID, CLIENT_SECRET)
# FakeRunaiServer's log redacts the tokens a client sends: what the server made of a request
# (200 for a live token, 401 for a revoked one) and how many tokens it minted say which was sent.


def test_sends_the_bearer_token_and_reuses_it() -> None:
    with token_server() as server, httpx.Client(base_url=server.url) as client:
        client.auth = TokenAuth(server.url, CREDENTIALS)
        first = client.get(PROTECTED_PATH)
        second = client.get(PROTECTED_PATH)
        sent = [r.headers["authorization"] for r in server.requests if r.method == "GET"]
    assert server.token_requests == 1
    assert server.tokens_issued == 1  # so both requests carried the one token minted...
    assert first.status_code == second.status_code == 200  # ...which the server verified
    assert first.json() == second.json()
    assert sent == [f"Bearer {REDACTED}"] * 2


def test_a_revoked_token_causes_one_refresh_and_one_replay() -> None:
    with token_server() as server, httpx.Client(base_url=server.url) as client:
        client.auth = TokenAuth(server.url, CREDENTIALS)
        assert client.get(PROTECTED_PATH).status_code == 200
        server.revoke_all()
        assert client.post(API_PATH, json={"n": 1}).status_code == 200
        posts = [r for r in server.requests if r.method == "POST" and not is_token_path(r.path)]
    assert server.token_requests == 2
    assert len(posts) == 2
    assert posts[0].body == posts[1].body == {"n": 1}
    # The first went with the revoked token, the replay with the one minted after it.
    assert [p.status for p in posts] == [401, 200]
    assert server.tokens_issued == 2


@pytest.mark.anyio
async def test_a_revoked_token_causes_one_refresh_and_one_replay_async() -> None:
    with token_server() as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            client.auth = auth = TokenAuth(server.url, CREDENTIALS)
            assert (await client.get(PROTECTED_PATH)).status_code == 200
            server.revoke_all()
            assert (await client.get(PROTECTED_PATH)).status_code == 200
            await auth.aclose()
    assert server.token_requests == 2
    assert server.count(PROTECTED_PATH) == 3


# The scripted servers below answer as a control plane without /api/v2/token would, so the
# TokenAuths talking to them are pinned to v1 (test_auth_endpoints covers the choice).
def always_401(request: Recorded) -> Reply:
    if request.path == GRANT_PATH:
        return Reply.json(200, {"accessToken": f"fake-opaque-{len(request.body)}"})
    return Reply.envelope(401, "no")


def test_a_persistent_401_is_sent_twice_then_returned() -> None:
    with scripted(always_401) as server, httpx.Client(base_url=server.url) as client:
        client.auth = TokenAuth(server.url, CREDENTIALS, token_endpoint="v1")
        response = client.get(PROTECTED_PATH)
    assert response.status_code == 401
    assert response.json()["message"] == "no"
    assert server.count(PROTECTED_PATH) == 2
    assert server.count(GRANT_PATH) == 2


@pytest.mark.anyio
async def test_a_persistent_401_is_sent_twice_then_returned_async() -> None:
    with scripted(always_401) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            client.auth = TokenAuth(server.url, CREDENTIALS, token_endpoint="v1")
            response = await client.get(PROTECTED_PATH)
    assert response.status_code == 401
    assert server.count(PROTECTED_PATH) == 2
    assert server.count(GRANT_PATH) == 2


def test_a_403_does_not_refresh() -> None:
    with token_server() as server, httpx.Client(base_url=server.url) as client:
        client.auth = TokenAuth(server.url, CREDENTIALS)
        assert client.get(FORBIDDEN_PATH).status_code == 403
    assert server.count(FORBIDDEN_PATH) == 1
    assert server.token_requests == 1


def test_a_401_after_someone_else_refreshed_replays_without_a_new_request() -> None:
    """Token identity: only the first holder of a rejected token refreshes."""
    with token_server() as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        first = auth.sync_auth_flow(httpx.Request("GET", server.url + PROTECTED_PATH))
        second = auth.sync_auth_flow(httpx.Request("GET", server.url + PROTECTED_PATH))
        stale = next(first).headers["authorization"]
        assert next(second).headers["authorization"] == stale
        rejected = httpx.Response(401)
        refreshed = second.send(rejected).headers["authorization"]
        assert refreshed != stale
        assert server.token_requests == 2
        assert first.send(rejected).headers["authorization"] == refreshed
        assert server.token_requests == 2
        with pytest.raises(StopIteration):
            first.send(rejected)  # never a second replay


def test_a_streaming_body_is_not_replayed_but_its_token_is_dropped() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"part-1;"
        yield b"part-2"

    with token_server() as server, httpx.Client(base_url=server.url) as client:
        client.auth = TokenAuth(server.url, CREDENTIALS)
        assert client.get(PROTECTED_PATH).status_code == 200
        server.revoke_all()
        response = client.post(API_PATH, content=chunks())
        assert response.status_code == 401
        assert server.count(API_PATH) == 1
        assert server.token_requests == 1
        assert client.get(PROTECTED_PATH).status_code == 200  # with a new token, at once
        assert server.token_requests == 2
        assert server.count(PROTECTED_PATH) == 2


@pytest.mark.anyio
async def test_an_async_streaming_body_is_not_replayed() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"part"

    with token_server() as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            client.auth = TokenAuth(server.url, CREDENTIALS)
            assert (await client.get(PROTECTED_PATH)).status_code == 200
            server.revoke_all()
            assert (await client.post(API_PATH, content=chunks())).status_code == 401
    assert server.count(API_PATH) == 1


@pytest.mark.parametrize("prefix", ["", "/runai"])
def test_auth_leaves_the_four_token_paths_alone(prefix: str) -> None:
    with scripted(lambda _: Reply.json(200, {})) as server:
        auth = TokenAuth(server.url + prefix, CREDENTIALS)
        with httpx.Client(base_url=server.url + prefix, auth=auth) as client:
            for path in sorted(TOKEN_PATHS):
                client.post(path, json={"grantType": "client_credentials"})
    assert len(server.requests) == len(TOKEN_PATHS)  # no grant of our own either
    assert all("authorization" not in r.headers for r in server.requests)
    assert {r.path for r in server.requests} == {prefix + p for p in TOKEN_PATHS}


def test_the_token_goes_only_to_the_control_planes_origin() -> None:
    """A client shared with other hosts must not hand them the bearer token."""
    with token_server() as server, httpx.Client() as client:
        client.auth = TokenAuth(server.url, CREDENTIALS)
        other_origin = server.url.replace("127.0.0.1", "localhost")
        assert client.get(server.url + PROTECTED_PATH).status_code == 200
        assert client.get(other_origin + PROTECTED_PATH).status_code == 401
        sent = [r.headers.get("authorization") for r in server.requests if r.method == "GET"]
    assert sent[0] == f"Bearer {REDACTED}"
    assert sent[1] is None  # no token, and no refresh-and-replay on that 401 either
    assert len(sent) == 2
    assert server.token_requests == 1


def test_a_static_token_is_sent_as_is_and_its_401_reaches_the_caller() -> None:
    with scripted(always_401) as server, httpx.Client(base_url=server.url) as client:
        client.auth = auth = TokenAuth(server.url, StaticToken("fake-static-token"))
        assert auth.get_token() == "fake-static-token"
        response = client.get(PROTECTED_PATH)
    assert response.status_code == 401
    assert server.count(PROTECTED_PATH) == 1
    assert server.count(GRANT_PATH) == 0
    assert server.requests[0].headers["authorization"] == "Bearer fake-static-token"


STYLES: dict[str, dict[str, Any]] = {
    "expires_in": {},
    "jwt": {"version": "2.23"},
    "opaque": {"version": "2.23", "opaque_tokens": True},
}


@pytest.mark.parametrize(
    ("style", "lifetime", "refreshes"),
    [("expires_in", 3600, True), ("jwt", 3600, True), ("opaque", 3600, False)],
)
def test_expiry_from_expires_in_from_the_jwt_or_never(
    style: str, lifetime: int, refreshes: bool
) -> None:
    clock = FakeClock()
    # 2.23 answers a v1 grant without expiresIn: the lifetime is the JWT's, or unknown.
    options = STYLES[style]
    with token_server(lifetime=lifetime, **options) as server:
        auth = TokenAuth(
            server.url, CREDENTIALS, clock=clock, random=lambda: 0.0, token_endpoint="v1"
        )
        first = auth.get_token()
        clock.advance(lifetime * 0.9 - 1)  # just before the margin (a tenth, with no jitter)
        assert auth.get_token() == first
        assert server.token_requests == 1
        clock.advance(2)
        assert (auth.get_token() != first) is refreshes
        assert server.token_requests == (2 if refreshes else 1)
        clock.advance(1e9)
        auth.get_token()
        assert server.token_requests == (3 if refreshes else 1)


def test_expiry_is_anchored_at_the_start_of_the_token_request() -> None:
    clock = FakeClock()

    def slow_grant(request: Recorded) -> Reply:
        clock.advance(100)  # the round trip took 100 s on the client's clock
        return Reply.json(200, {"accessToken": "fake-opaque", "expiresIn": 1000})

    with scripted(slow_grant) as server:
        auth = TokenAuth(
            server.url, CREDENTIALS, clock=clock, refresh_margin=0, token_endpoint="v1"
        )
        auth.get_token()
        clock.now = 1000.0 + 1000 - 30 - 0.001  # started at 1000: still usable
        auth.get_token()
        assert server.count(GRANT_PATH) == 1
        clock.now = 1000.0 + 1000 - 30
        auth.get_token()
        assert server.count(GRANT_PATH) == 2


def test_a_fixed_refresh_margin() -> None:
    clock = FakeClock()
    with token_server() as server:
        auth = TokenAuth(server.url, CREDENTIALS, clock=clock, refresh_margin=600)
        auth.get_token()
        clock.advance(2999)
        auth.get_token()
        assert server.token_requests == 1
        clock.advance(2)
        auth.get_token()
        assert server.token_requests == 2


@pytest.mark.anyio
async def test_the_async_flow_reuses_a_fresh_token_and_refreshes_a_due_one_once() -> None:
    # A fresh token is read without the lock; a due or stale one still goes through the
    # single-flight: one early refresh for many concurrent requests, then a grant once stale.
    clock = FakeClock()
    with token_server() as server:
        auth = TokenAuth(server.url, CREDENTIALS, clock=clock, refresh_margin=600)
        async with httpx.AsyncClient(base_url=server.url, auth=auth) as client:
            for _ in range(3):
                assert (await client.get(PROTECTED_PATH)).status_code == 200
            assert server.token_requests == 1
            clock.advance(3001)  # due for its early refresh, still usable
            answers = await asyncio.gather(*(client.get(PROTECTED_PATH) for _ in range(10)))
            assert [a.status_code for a in answers] == [200] * 10
            assert server.token_requests == 2
            assert (await client.get(PROTECTED_PATH)).status_code == 200
            assert server.token_requests == 2  # the refreshed token is fresh again
            clock.advance(10_000)  # stale: never sent, a new grant first
            assert (await client.get(PROTECTED_PATH)).status_code == 200
            assert server.token_requests == 3


def test_grant_request_carries_the_credentials_as_json() -> None:
    with token_server() as server:
        TokenAuth(server.url, CREDENTIALS, token_endpoint="v1").get_token()
        [record] = server.requests
    assert record.headers["content-type"] == "application/json"
    assert record.status == 200  # the server found the secret it knows there
    assert record.body == {
        "grantType": "client_credentials",
        "clientID": CLIENT_ID,
        "clientSecret": REDACTED,
    }
    assert grants(server) == [record.body]


@pytest.mark.parametrize(
    ("base_url", "options", "error"),
    [
        ("ftp://fake-host", {}, ValueError),
        ("not a url at all", {}, ValueError),
        ("http://fake-host", {"timeout": 0}, ValueError),
        ("http://fake-host", {"refresh_margin": -1}, ValueError),
        ("http://fake-host", {"refresh_margin": float("nan")}, ValueError),
        ("http://fake-host", {"credentials": ("fake-client", "fake-secret-x")}, TypeError),
    ],
)
def test_bad_arguments_fail_at_construction_without_echoing_them(
    base_url: str, options: dict[str, object], error: type[Exception]
) -> None:
    credentials = options.pop("credentials", CREDENTIALS)
    with pytest.raises(error) as caught:
        TokenAuth(base_url, credentials, **options)  # type: ignore[arg-type]
    assert "fake-secret" not in str(caught.value)
    assert base_url not in str(caught.value)


def test_repr_shows_where_and_who_but_no_secret() -> None:
    auth = TokenAuth("https://fake-tenant.run.ai/prefix", CREDENTIALS)
    assert repr(auth) == (
        "TokenAuth('https://fake-tenant.run.ai/prefix', ClientCredentials(client_id='fake-client'))"
    )
