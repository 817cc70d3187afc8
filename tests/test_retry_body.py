"""RetryTransport reads token answers inside its loop: a connection reset mid-body is retried like
one before the status line, an oversized answer is refused, and the deadline bounds the body as
well as the headers. Over real loopback sockets against FakeRunaiServer's faults; the narrow
unit tests at the end use httpx.MockTransport and a fake Clock.

No test measures elapsed time: those that must let real time pass (a trickle, a silent server)
use a deadline of half a second or less and assert the outcome, the attempt count and the
timeouts the request carried. bench/bench_deadline.py measures the times.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from runai_tokens import (
    ApiException,
    AsyncTokensApi,
    ClientCredentials,
    RefreshTokenCredentials,
    TokenAuth,
    TokensApi,
    connect,
)
from runai_tokens._generated import GRANT_PATH, GRANT_V2_PATH
from runai_tokens.retry import (
    Clock,
    DeadlineExceeded,
    HTTPTransports,
    RetryPolicy,
    RetryTransport,
)
from runai_tokens.retry._attempts import Discard, Read, Send
from runai_tokens.retry._watchdog import WATCHDOG
from runai_tokens.testing import PROTECTED_PATH, FakeRunaiServer

CLIENT = ("ci-pipeline", "fake-secret-body-1")
CLIENT_GRANT = {"grantType": "client_credentials", "clientID": CLIENT[0], "clientSecret": CLIENT[1]}
NO_WAIT = RetryPolicy(backoff_base=0, backoff_max=0)
LOST = (httpx.ReadError, httpx.RemoteProtocolError)  # a reset, or an EOF, mid-body


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as server:
        server.add_client(*CLIENT)
        yield server


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def get_token(mode: str, auth: TokenAuth) -> str:
    if mode == "sync":
        return auth.get_token()
    return asyncio.run(auth.aget_token())


def send(mode: str, transport: RetryTransport, method: str, url: str, **kw: Any) -> httpx.Response:
    if mode == "sync":
        with httpx.Client(transport=transport) as client:
            return client.request(method, url, **kw)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.request(method, url, **kw)

    return asyncio.run(run())


# --- a reset mid-body ---------------------------------------------------------------------------
def test_a_grant_reset_mid_body_is_retried(mode: str, server: FakeRunaiServer) -> None:
    server.reset_next(1, after_bytes=10)
    auth = TokenAuth(server.url, ClientCredentials(*CLIENT), retry=NO_WAIT)
    assert server.decode_token(get_token(mode, auth))["sub"] == CLIENT[0]
    assert [(r.path, r.fault) for r in server.requests] == [
        (GRANT_V2_PATH, "reset"),
        (GRANT_V2_PATH, None),
    ]
    assert server.tokens_issued == 2  # the first one was minted, then lost on the way


def test_a_refresh_grant_reset_mid_body_is_not_resent(mode: str, server: FakeRunaiServer) -> None:
    refresh = server.issue_refresh_token("ada")
    server.reset_next(1, after_bytes=10)
    auth = TokenAuth(server.url, RefreshTokenCredentials(refresh), retry=NO_WAIT)
    with pytest.raises(ApiException) as caught:
        get_token(mode, auth)
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, LOST)
    assert server.count() == 1  # its refresh token may be spent: a resend would be refused


def test_a_tokens_api_call_reset_mid_body_is_retried(mode: str, server: FakeRunaiServer) -> None:
    server.reset_next(1, after_bytes=1)
    with connect(server.url, retry=NO_WAIT) as client:
        if mode == "sync":
            token = TokensApi(client).grant_token(CLIENT_GRANT)
        else:
            token = asyncio.run(AsyncTokensApi(client).grant_token(CLIENT_GRANT))
    assert isinstance(token.access_token, str)
    assert [r.fault for r in server.requests] == ["reset", None]


def test_a_get_reset_mid_body_is_retried(mode: str, server: FakeRunaiServer) -> None:
    server.reset_next(1, after_bytes=5, path=PROTECTED_PATH)
    response = send(mode, RetryTransport(NO_WAIT), "GET", server.url + PROTECTED_PATH)
    assert (response.status_code, response.extensions["attempts"]) == (401, 2)
    assert response.json()["code"] == 401


def test_answers_not_read_inside_reach_the_caller_broken(
    mode: str, server: FakeRunaiServer
) -> None:
    """A POST of one's own, and a GET whose answer is over max_body_bytes, are handed back
    unread: a reset while the caller reads them is the caller's to see."""
    server.reset_next(2, after_bytes=5)
    with pytest.raises(LOST):
        send(mode, RetryTransport(NO_WAIT), "POST", server.url + "/elsewhere", json={})
    small = RetryTransport(RetryPolicy(max_body_bytes=10, backoff_base=0, backoff_max=0))
    with pytest.raises(LOST):
        send(mode, small, "GET", server.url + PROTECTED_PATH)
    assert server.count() == 2


# --- an oversized answer ------------------------------------------------------------------------
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-length"])
def test_an_oversized_token_answer_is_refused(
    mode: str, server: FakeRunaiServer, declared: bool
) -> None:
    server.oversized_next(1, size=600 * 2**20, content_length=declared)
    auth = TokenAuth(server.url, ClientCredentials(*CLIENT), retry=NO_WAIT)
    with pytest.raises(ApiException) as caught:
        get_token(mode, auth)
    assert caught.value.status == 200
    assert "larger than 1048576 bytes" in str(caught.value)
    assert caught.value.body is None
    assert server.count() == 1  # not retried: the same server would send the same
    assert server.decode_token(get_token(mode, auth))["sub"] == CLIENT[0]  # and nothing stuck


def test_the_cap_is_the_policys(server: FakeRunaiServer) -> None:
    with connect(server.url, None, retry=RetryPolicy(max_body_bytes=100)) as client:
        with pytest.raises(ApiException, match="larger than 100 bytes"):
            TokensApi(client).grant_token(CLIENT_GRANT)
        whoami = client.get_httpx_client().get(PROTECTED_PATH)  # not a token operation
    assert whoami.status_code == 401


# --- the deadline -------------------------------------------------------------------------------
def test_a_trickled_body_ends_at_the_deadline(mode: str, server: FakeRunaiServer) -> None:
    server.trickle_next(1, bytes_per_second=20)  # the answer would take half a minute
    auth = TokenAuth(
        server.url, ClientCredentials(*CLIENT), retry=RetryPolicy(deadline=0.5), timeout=5
    )
    with pytest.raises(ApiException) as caught:
        get_token(mode, auth)
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, DeadlineExceeded)
    assert "DeadlineExceeded" in str(caught.value)  # the message says what ran out
    assert server.count() == 1  # no attempt is begun past the deadline


def test_trickled_headers_are_cut_off_at_the_deadline(mode: str, server: FakeRunaiServer) -> None:
    server.trickle_next(1, bytes_per_second=20, headers=True)
    auth = TokenAuth(
        server.url, ClientCredentials(*CLIENT), retry=RetryPolicy(deadline=0.5), timeout=5
    )
    with pytest.raises(ApiException) as caught:
        get_token(mode, auth)
    cause = caught.value.__cause__
    assert isinstance(cause, DeadlineExceeded)
    # Cut off while the headers came (cancelled under asyncio, the socket shut down in sync
    # code), not caught later by the body's per-chunk check.
    assert "waiting for the response" in str(cause)
    assert server.count() == 1
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
    assert WATCHDOG.pending == 0  # every cutoff's alarm was rung or cancelled


class Recording(HTTPTransports):
    """HTTPTransports that keeps the timeouts each request carried."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[dict[str, float]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.timeouts.append(request.extensions["timeout"])
        return super().handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.timeouts.append(request.extensions["timeout"])
        return await super().handle_async_request(request)


def test_a_silent_server_fails_at_the_deadline_not_the_timeout(
    mode: str, server: FakeRunaiServer
) -> None:
    server.delay_next(1, 30)  # stop() wakes it when the test ends
    policy = RetryPolicy(deadline=0.3)
    inner = Recording()
    auth = TokenAuth(
        server.url,
        ClientCredentials(*CLIENT),
        timeout=8,
        transport=RetryTransport(policy, inner),
    )
    with pytest.raises(ApiException) as caught:
        get_token(mode, auth)
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(inner.timeouts) == 1
    assert set(inner.timeouts[0]) == {"connect", "read", "write", "pool"}
    assert all(0 < value <= 0.3 for value in inner.timeouts[0].values())


# --- unit: what the body reader does, chunk by chunk ---------------------------------------------
def streamed(mode: str, chunks: Iterator[bytes]) -> Any:
    if mode == "sync":
        return chunks

    async def achunks() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return achunks()


def test_the_deadline_is_checked_after_every_chunk(mode: str) -> None:
    now = [0.0]
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for index in range(10):
            pulled.append(index)
            now[0] += 1.0  # each chunk takes a (fake) second
            yield b"x"

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=streamed(mode, chunks()))

    sleeps: list[float] = []
    clock = Clock(monotonic=lambda: now[0], sleep=sleeps.append)
    transport = RetryTransport(RetryPolicy(deadline=3.5), httpx.MockTransport(handle), clock)
    with pytest.raises(DeadlineExceeded):
        send(mode, transport, "POST", "http://127.0.0.1:9" + GRANT_PATH, json=CLIENT_GRANT)
    assert pulled == [0, 1, 2, 3]  # the fourth chunk ended past the deadline: no fifth
    assert sleeps == []


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-length"])
def test_an_oversized_body_is_not_read_further(mode: str, declared: bool) -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for index in range(100):
            pulled.append(index)
            yield b"x" * 65536

    def handle(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Length": str(100 * 65536)} if declared else {}
        return httpx.Response(200, headers=headers, content=streamed(mode, chunks()))

    transport = RetryTransport(RetryPolicy(max_body_bytes=100_000), httpx.MockTransport(handle))
    with pytest.raises(ApiException, match="larger than 100000 bytes"):
        send(mode, transport, "POST", "http://127.0.0.1:9" + GRANT_PATH, json=CLIENT_GRANT)
    assert len(pulled) == (0 if declared else 2)


# --- unit: composing ----------------------------------------------------------------------------
def test_a_mock_transport_serves_async_clients_too() -> None:
    """It used to serve only the sync side: under an AsyncClient the request went to a socket."""
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503 if len(calls) == 1 else 200)

    clock = Clock(sleep=lambda _: None, async_sleep=asyncio.sleep)
    transport = RetryTransport(NO_WAIT, httpx.MockTransport(handle), clock)
    response = send("async", transport, "GET", "http://127.0.0.1:9/things")
    assert (response.status_code, response.extensions["attempts"]) == (200, 2)
    assert calls == ["/things", "/things"]


def test_a_side_the_transport_lacks_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="HTTPTransport, which has no async side"):
        send("async", RetryTransport(transport=httpx.HTTPTransport()), "GET", "http://127.0.0.1:9/")
    only_async = RetryTransport(transport=httpx.AsyncHTTPTransport())
    with pytest.raises(TypeError, match="AsyncHTTPTransport, which has no sync side"):
        send("sync", only_async, "GET", "http://127.0.0.1:9/")


def test_a_retry_transport_wraps_another(mode: str) -> None:
    statuses = iter([503, 503, 200])
    mock = httpx.MockTransport(lambda request: httpx.Response(next(statuses)))
    inner = RetryTransport(RetryPolicy(max_attempts=2), mock, Clock(sleep=lambda _: None))
    no_wait = Clock(sleep=lambda _: None, async_sleep=lambda _: asyncio.sleep(0))
    outer = RetryTransport(RetryPolicy(max_attempts=2), inner, no_wait)
    response = send(mode, outer, "GET", "http://127.0.0.1:9/")
    # The inner one gave up on two 503s; the outer one tried once more.
    assert (response.status_code, response.extensions["attempts"]) == (200, 2)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: RetryTransport(transport=object()), "httpx.BaseTransport"),  # type: ignore[arg-type]
        (lambda: RetryTransport(clock=time.monotonic), "Clock"),  # type: ignore[arg-type]
        (lambda: HTTPTransports(verfy=False), "verfy"),
        (lambda: RetryPolicy(max_body_bytes=0), "max_body_bytes"),
    ],
)
def test_constructors_check_their_arguments(make: Any, match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        make()


def test_the_system_clock_is_the_default() -> None:
    assert Clock.system() == Clock()
    assert Clock.system().sleep is time.sleep


def test_a_callers_trace_hook_still_sees_every_event(server: FakeRunaiServer) -> None:
    """A sync token request's cutoff learns its socket from the trace extension, chained to
    the caller's own hook."""
    events: list[str] = []
    with httpx.Client(transport=RetryTransport(RetryPolicy(deadline=30))) as client:
        response = client.post(
            server.url + GRANT_PATH,
            json=CLIENT_GRANT,
            extensions={"trace": lambda event, info: events.append(event)},
        )
    assert response.status_code == 200
    assert "connection.connect_tcp.complete" in events
    assert "http11.receive_response_headers.complete" in events


def test_the_flows_actions_keep_urls_out_of_their_repr() -> None:
    """They are locals a traceback with capture_locals shows; a deprecated operation's query
    holds a refresh token."""
    secret = "fake-refresh-token-in-a-query"
    request = httpx.Request("POST", f"http://127.0.0.1:9/refresh?refresh_token={secret}")
    read = Read(httpx.Response(200, request=request), request, 1.0, 1.0, None)
    for action in (Send(request, 1.0), read, Discard(read)):
        assert secret not in repr(action)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_a_compressed_token_answer_is_capped_as_it_inflates(mode: str, encoding: str) -> None:
    """A few kilobytes on the wire that would decode to 50 MiB: refused, never decoded whole."""

    def squeeze(data: bytes) -> bytes:
        wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[encoding]
        packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
        return packer.compress(data) + packer.flush()

    small = squeeze(json.dumps({"accessToken": "fake-token", "expiresIn": 60}).encode())
    bomb = squeeze(b'{"accessToken": "' + b"A" * (50 * 2**20) + b'"}')
    assert len(bomb) < 100_000
    answers = iter([small, bomb])
    header = "deflate" if encoding == "raw-deflate" else encoding

    def handle(request: httpx.Request) -> httpx.Response:
        body = next(answers)
        stream = streamed(mode, iter([body[i : i + 4096] for i in range(0, len(body), 4096)]))
        return httpx.Response(200, headers={"Content-Encoding": header}, content=stream)

    transport = RetryTransport(RetryPolicy(max_body_bytes=2**20), httpx.MockTransport(handle))
    url = "http://127.0.0.1:9" + GRANT_PATH
    assert send(mode, transport, "POST", url, json=CLIENT_GRANT).json()["expiresIn"] == 60
    with pytest.raises(ApiException, match="larger than 1048576 bytes once decompressed"):
        send(mode, transport, "POST", url, json=CLIENT_GRANT)
