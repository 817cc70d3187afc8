"""RetryTransport over real loopback sockets, through httpx.Client and httpx.AsyncClient alike.

Time is fake: the transport's clock only moves when its injected sleep is called, and that sleep
returns at once, so no test waits for a backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from runai_tokens._generated import Error
from runai_tokens.errors import RetryAfterExceedsDeadline
from runai_tokens.retry import Clock, HTTPTransports, RetryPolicy, RetryTransport
from runai_tokens.retry._transport import Transport
from runai_tokens.testing import Reply, scripted, sequence

OK = Reply.json(200, {"ok": True})
UNAVAILABLE = Reply.json(503, {"code": 503, "message": "try again"})
GRANT = "/api/v1/token"
CLIENT_GRANT = {"grantType": "client_credentials", "clientID": "c", "clientSecret": "fake-secret-1"}
REFRESH_GRANT = {"grantType": "refresh_token", "refreshToken": "fake-refresh-token-1"}


class FakeTime:
    """A monotonic clock that only sleep() moves, plus a record of every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def as_clock(self, random: float = 1.0) -> Clock:
        return Clock(
            monotonic=self.clock,
            sleep=self.sleep,
            async_sleep=self.async_sleep,
            random=lambda: random,
        )

    def transport(
        self, policy: RetryPolicy | None = None, transport: Transport | None = None
    ) -> RetryTransport:
        return RetryTransport(policy or RetryPolicy(), transport, self.as_clock())


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def send_all(
    mode: str, transport: RetryTransport, calls: list[tuple[str, str, dict[str, Any]]]
) -> list[httpx.Response]:
    """Make the calls in order through one client of the kind `mode` names."""
    timeout = httpx.Timeout(5.0, pool=1.0)
    if mode == "sync":
        with httpx.Client(transport=transport, timeout=timeout) as client:
            return [client.request(method, url, **kw) for method, url, kw in calls]

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            return [await client.request(method, url, **kw) for method, url, kw in calls]

    return asyncio.run(run())


def send(mode: str, transport: RetryTransport, method: str, url: str, **kw: Any) -> httpx.Response:
    return send_all(mode, transport, [(method, url, kw)])[0]


def test_503_twice_then_200(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(UNAVAILABLE, UNAVAILABLE, OK)) as server:
        response = send(mode, fake_time.transport(), "GET", f"{server.url}/things")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response.extensions["attempts"] == 3
    assert server.count() == 3
    # Full jitter with random() == 1.0 waits the whole exponential step.
    assert fake_time.sleeps == [0.5, 1.0]


def test_success_first_time_counts_one_attempt(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(OK)) as server:
        response = send(mode, fake_time.transport(), "GET", f"{server.url}/things")
    assert response.extensions["attempts"] == 1
    assert fake_time.sleeps == []


def test_429_is_retried(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(Reply(429), OK)) as server:
        response = send(mode, fake_time.transport(), "GET", f"{server.url}/things")
    assert (response.status_code, response.extensions["attempts"]) == (200, 2)


def test_gives_back_the_last_answer_when_attempts_run_out(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(UNAVAILABLE)) as server:
        response = send(mode, fake_time.transport(), "GET", f"{server.url}/things")
    assert response.status_code == 503
    assert response.json() == {"code": 503, "message": "try again"}
    assert response.extensions["attempts"] == 3
    assert server.count() == 3


def test_retry_after_seconds(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(Reply(503, headers={"Retry-After": "7"}), OK)) as server:
        response = send(mode, fake_time.transport(), "GET", f"{server.url}/things")
    assert response.extensions["attempts"] == 2
    assert fake_time.sleeps == [7.0]


def test_retry_after_ms(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(Reply(429, headers={"retry-after-ms": "1500"}), OK)) as server:
        response = send(mode, fake_time.transport(), "GET", f"{server.url}/things")
    assert response.extensions["attempts"] == 2
    assert fake_time.sleeps == [1.5]


def test_retry_after_http_date(mode: str, fake_time: FakeTime) -> None:
    # Measured against the response's own Date header, whenever the test happens to run.
    headers = {
        "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
        "Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT",
    }
    with scripted(sequence(Reply(503, headers=headers), OK)) as server:
        response = send(mode, fake_time.transport(), "GET", f"{server.url}/things")
    assert response.extensions["attempts"] == 2
    assert fake_time.sleeps == [30.0]


def test_retry_after_past_the_deadline_fails_at_once(mode: str, fake_time: FakeTime) -> None:
    envelope = {"code": 503, "message": "down for maintenance"}
    reply = Reply.json(503, envelope, headers={"Retry-After": "120"})
    transport = fake_time.transport(RetryPolicy(deadline=60))
    with (
        scripted(sequence(reply, OK)) as server,
        pytest.raises(RetryAfterExceedsDeadline) as caught,
    ):
        send(mode, transport, "GET", f"{server.url}/x")
    error = caught.value
    assert error.retry_after == 120
    assert (error.status, error.attempts) == (503, 1)
    assert isinstance(error.error, Error) and error.error.message == "down for maintenance"
    assert error.body is not None and json.loads(error.body) == envelope
    assert error.headers["retry-after"] == "120"
    assert fake_time.sleeps == []
    assert server.count() == 1


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_retried_then_raised(mode: str, fake_time: FakeTime) -> None:
    port = closed_port()
    # A POST too: a refused connection proves the request was never sent.
    for method in ("GET", "POST"):
        fake_time.sleeps.clear()
        with pytest.raises(httpx.ConnectError) as caught:
            send(mode, fake_time.transport(), method, f"http://127.0.0.1:{port}/things")
        assert fake_time.sleeps == [0.5, 1.0]
        assert any("after 3 attempts" in note for note in caught.value.__notes__)


def test_non_grant_post_answered_503_is_not_retried(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(UNAVAILABLE, OK)) as server:
        response = send(mode, fake_time.transport(), "POST", f"{server.url}/things", json={})
    assert (response.status_code, response.extensions["attempts"]) == (503, 1)
    assert server.count() == 1


def test_non_grant_post_with_dropped_connection_is_not_retried(
    mode: str, fake_time: FakeTime
) -> None:
    with (
        scripted(sequence(Reply(drop=True), OK)) as server,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        send(mode, fake_time.transport(), "POST", f"{server.url}/things", json={})
    assert server.count() == 1


def test_get_with_dropped_connection_is_retried(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(Reply(drop=True), OK)) as server:
        response = send(mode, fake_time.transport(), "GET", f"{server.url}/things")
    assert (response.status_code, response.extensions["attempts"]) == (200, 2)


@pytest.mark.parametrize("status", [500, 503])
def test_grant_answered_5xx_is_retried(mode: str, fake_time: FakeTime, status: int) -> None:
    with scripted(sequence(Reply(status), OK)) as server:
        response = send(mode, fake_time.transport(), "POST", server.url + GRANT, json=CLIENT_GRANT)
    assert (response.status_code, response.extensions["attempts"]) == (200, 2)
    assert [r.json() for r in server.requests] == [CLIENT_GRANT, CLIENT_GRANT]


def test_grant_under_a_path_prefix_is_recognised(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(Reply(500), OK)) as server:
        url = f"{server.url}/runai{GRANT}"
        response = send(mode, fake_time.transport(), "POST", url, json=CLIENT_GRANT)
    assert response.extensions["attempts"] == 2


def test_refresh_grant_answered_500_is_not_retried(mode: str, fake_time: FakeTime) -> None:
    with scripted(sequence(Reply(500), OK)) as server:
        response = send(mode, fake_time.transport(), "POST", server.url + GRANT, json=REFRESH_GRANT)
    assert (response.status_code, response.extensions["attempts"]) == (500, 1)
    assert server.count() == 1


@pytest.mark.parametrize("status", [429, 503])
def test_refresh_grant_turned_away_is_retried(mode: str, fake_time: FakeTime, status: int) -> None:
    with scripted(sequence(Reply(status), OK)) as server:
        response = send(mode, fake_time.transport(), "POST", server.url + GRANT, json=REFRESH_GRANT)
    assert (response.status_code, response.extensions["attempts"]) == (200, 2)


def test_deprecated_code_exchange_is_single_use(mode: str, fake_time: FakeTime) -> None:
    path = "/v1/k8s/auth/token/exchange?redirect_uri=x&code=fake-code-1"
    with scripted(sequence(Reply(500), OK)) as server:
        first = send(mode, fake_time.transport(), "GET", server.url + path)
    with scripted(sequence(Reply(503), OK)) as server:
        second = send(mode, fake_time.transport(), "GET", server.url + path)
    assert (first.status_code, first.extensions["attempts"]) == (500, 1)
    assert (second.status_code, second.extensions["attempts"]) == (200, 2)


def test_streaming_body_is_not_resent(mode: str, fake_time: FakeTime) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"part-1;"
        yield b"part-2"

    async def achunks() -> AsyncIterator[bytes]:
        for chunk in chunks():
            yield chunk

    content = chunks() if mode == "sync" else achunks()
    with scripted(sequence(UNAVAILABLE, OK)) as server:
        url = f"{server.url}/upload"
        response = send(mode, fake_time.transport(), "PUT", url, content=content)
    assert (response.status_code, response.extensions["attempts"]) == (503, 1)
    assert [r.body for r in server.requests] == [b"part-1;part-2"]
    assert fake_time.sleeps == []


def test_streaming_body_is_not_resent_even_when_never_sent(mode: str, fake_time: FakeTime) -> None:
    async def achunks() -> AsyncIterator[bytes]:
        yield b"part-1"

    content = iter([b"part-1"]) if mode == "sync" else achunks()
    with pytest.raises(httpx.ConnectError):
        send(
            mode,
            fake_time.transport(),
            "PUT",
            f"http://127.0.0.1:{closed_port()}/",
            content=content,
        )
    assert fake_time.sleeps == []


def test_pool_of_one_does_not_deadlock(mode: str, fake_time: FakeTime) -> None:
    big = Reply(503, body=b"x" * 200_000)  # too big to drain: closed instead
    transport = fake_time.transport(
        transport=HTTPTransports(limits=httpx.Limits(max_connections=1))
    )
    with scripted(sequence(UNAVAILABLE, big, OK, UNAVAILABLE, OK)) as server:
        url = f"{server.url}/things"
        responses = send_all(mode, transport, [("GET", url, {}), ("GET", url, {})])
    assert [(r.status_code, r.extensions["attempts"]) for r in responses] == [(200, 3), (200, 2)]


class Recording(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Real httpx transports that keep every response they hand out."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.responses.append(self._sync.handle_request(request))
        return self.responses[-1]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.responses.append(await self._async.handle_async_request(request))
        return self.responses[-1]

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


def test_discarded_responses_are_closed_before_sleeping(mode: str, fake_time: FakeTime) -> None:
    inner = Recording()
    closed_at_sleep: list[bool] = []

    def sleep(seconds: float) -> None:
        closed_at_sleep.append(all(r.is_closed for r in inner.responses))
        fake_time.sleep(seconds)

    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    clock = Clock(monotonic=fake_time.clock, sleep=sleep, async_sleep=async_sleep)
    transport = RetryTransport(RetryPolicy(), inner, clock)
    with scripted(sequence(UNAVAILABLE, Reply(502), OK)) as server:
        response = send(mode, transport, "GET", f"{server.url}/things")
    assert response.extensions["attempts"] == 3
    assert closed_at_sleep == [True, True]
    assert len(inner.responses) == 3
    assert all(r.is_closed and r.is_stream_consumed for r in inner.responses[:2])


def test_deadline_is_never_slept_past(mode: str, fake_time: FakeTime) -> None:
    policy = RetryPolicy(max_attempts=10, deadline=1.0, backoff_base=0.4)
    with scripted(sequence(UNAVAILABLE)) as server:
        response = send(mode, fake_time.transport(policy), "GET", f"{server.url}/things")
    # Waits of 0.4 then 0.8: the second would end 1.2 s in, past the deadline, so it stops.
    assert (response.status_code, response.extensions["attempts"]) == (503, 2)
    assert fake_time.sleeps == [0.4]


def test_spent_budget_stops_retries_and_success_refills_it(mode: str, fake_time: FakeTime) -> None:
    policy = RetryPolicy(max_attempts=5, budget_capacity=10, retry_cost=5)
    transport = fake_time.transport(policy)
    replies = [UNAVAILABLE] * 4 + [OK]
    with scripted(sequence(*replies)) as server:
        url = f"{server.url}/things"
        responses = send_all(mode, transport, [("GET", url, {})] * 3)
    # Two retries spend the budget; the second request gets none; the third succeeds at once.
    attempts = [(r.status_code, r.extensions["attempts"]) for r in responses]
    assert attempts == [(503, 3), (503, 1), (200, 1)]
    assert transport.budget_available == 1


def test_retry_log_has_method_and_path_only(
    mode: str, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with scripted(sequence(UNAVAILABLE, OK)) as server:
        url = f"{server.url}/things?refresh_token=fake-refresh-token-2"
        send(mode, fake_time.transport(), "GET", url)
    with scripted(sequence(Reply(502), OK)) as server:
        send(mode, fake_time.transport(), "POST", server.url + GRANT, json=CLIENT_GRANT)
    messages = [r.getMessage() for r in caplog.records if r.name == "runai_tokens.retry"]
    assert len(messages) == 2
    assert "GET /things" in messages[0] and "503" in messages[0]
    assert f"POST {GRANT}" in messages[1]
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "runai_tokens.retry")
    for text in messages:
        assert "fake-refresh-token-2" not in text
        assert "refresh_token" not in text
        assert "fake-secret-1" not in text


def test_transport_serves_sync_and_async_clients_at_once(fake_time: FakeTime) -> None:
    transport = fake_time.transport()
    with scripted(sequence(OK)) as server, httpx.Client(transport=transport) as client:

        async def use_async() -> int:
            async with httpx.AsyncClient(transport=transport) as aclient:
                return (await aclient.get(server.url)).status_code

        assert asyncio.run(use_async()) == 200
        # The async client closed only the async side; the sync side still works.
        assert client.get(server.url).status_code == 200


def test_no_attempt_can_outlast_the_deadline(fake_time: FakeTime) -> None:
    """Every attempt's timeouts, the first one's too, are cut to the time left."""
    seen: list[dict[str, float | None]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(503 if len(seen) == 1 else 200)

    policy = RetryPolicy(deadline=10.0, backoff_base=1.0)
    transport = fake_time.transport(policy, transport=httpx.MockTransport(handle))
    timeout = httpx.Timeout(30.0, connect=5.0)
    with httpx.Client(transport=transport, timeout=timeout) as client:
        assert client.get("http://127.0.0.1:9/").extensions["attempts"] == 2
    assert seen[0] == {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 10.0}
    assert seen[1] == {"connect": 5.0, "read": 9.0, "write": 9.0, "pool": 9.0}


# --- the per-attempt request: a copy only when a timeout must be cut -----------------------------
@pytest.mark.parametrize(
    ("client_timeout", "deadline", "copied"),
    [
        (httpx.Timeout(5.0), 60.0, False),  # every timeout ends before the deadline
        (httpx.Timeout(30.0), 10.0, True),  # the deadline comes first: cut
        (httpx.Timeout(None), 60.0, True),  # no timeout at all: the deadline is the only bound
    ],
)
def test_an_attempt_sends_a_copy_only_when_a_timeout_needs_cutting(
    client_timeout: httpx.Timeout, deadline: float, copied: bool
) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    transport = RetryTransport(RetryPolicy(deadline=deadline), httpx.MockTransport(handle))
    with httpx.Client(transport=transport, timeout=client_timeout) as client:
        request = client.build_request("GET", "http://fake-host/api/v1/whoami")
        assert client.send(request).status_code == 200
    [sent] = seen
    assert (sent is not request) is copied
    assert all(0 < value <= deadline for value in sent.extensions["timeout"].values())
