"""The short cuts RetryTransport takes on a sync token request, and that each still gives way.

One alarm per attempt covers its send and its body read; the trace hook that learns a new
connection's socket steps aside once a request shows it reuses one (whose socket the response
names); a request's kind, which reads a grant's body, is decided only when a retry is weighed.
Each test counts what was done (alarms set, kinds decided, hooks left in place) over loopback
against FakeRunaiServer, or through httpx.MockTransport for the one case a socket cannot stage.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from runai_tokens import ApiException, RefreshTokenCredentials, TokenAuth
from runai_tokens._generated import GRANT_PATH
from runai_tokens.retry import (
    DeadlineExceeded,
    HTTPTransports,
    RetryPolicy,
    RetryTransport,
    _attempts,
    _rules,
)
from runai_tokens.retry._rules import Kind
from runai_tokens.retry._watchdog import WATCHDOG
from runai_tokens.testing import FakeRunaiServer

CLIENT = ("ci-pipeline", "fake-secret-fast-1")
CLIENT_GRANT = {"grantType": "client_credentials", "clientID": CLIENT[0], "clientSecret": CLIENT[1]}
NO_WAIT = RetryPolicy(backoff_base=0, backoff_max=0, deadline=30)


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as server:
        server.add_client(*CLIENT)
        yield server


@pytest.fixture
def alarms(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds of every alarm a cutoff sets."""
    seconds: list[float] = []
    set_alarm = WATCHDOG.set

    def counted(after: float, action: Callable[[], object]) -> Any:
        seconds.append(after)
        return set_alarm(after, action)

    monkeypatch.setattr(WATCHDOG, "set", counted)
    return seconds


@pytest.fixture
def kinds(monkeypatch: pytest.MonkeyPatch) -> list[Kind]:
    """Every kind a request's attempts decided."""
    decided: list[Kind] = []
    kind_of = _rules.kind_of

    def counted(request: httpx.Request, op: Any) -> Kind:
        decided.append(kind_of(request, op))
        return decided[-1]

    monkeypatch.setattr(_attempts, "kind_of", counted)
    return decided


class Kept(HTTPTransports):
    """HTTPTransports that keeps each request's extensions as they are once it is answered."""

    def __init__(self) -> None:
        super().__init__()
        self.after: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.after.append(dict(request.extensions))
        return response


def grant(client: httpx.Client, server: FakeRunaiServer, **kw: Any) -> httpx.Response:
    return client.post(server.url + GRANT_PATH, **{"json": CLIENT_GRANT, **kw})


# --- one alarm per attempt -----------------------------------------------------------------------
def test_an_attempt_sets_one_alarm_for_its_send_and_its_body(
    server: FakeRunaiServer, alarms: list[float]
) -> None:
    with httpx.Client(transport=RetryTransport(NO_WAIT)) as client:
        assert grant(client, server).json()["accessToken"]
        assert len(alarms) == 1
        server.fail_next(1, 503)
        assert grant(client, server).extensions["attempts"] == 2
    assert len(alarms) == 3  # one for each attempt, the one answered 503 included
    assert 0 < alarms[-1] <= alarms[0] <= 30
    assert WATCHDOG.pending == 0


def test_a_body_trickled_over_a_reused_connection_is_cut_off_by_that_alarm(
    server: FakeRunaiServer, alarms: list[float]
) -> None:
    """A reused connection names no socket before its headers: the one alarm, set before they
    came, shuts down the socket the response names (a byte every 5 s: the body's per-chunk
    check of the deadline would only see it at the second byte)."""
    transport = RetryTransport(RetryPolicy(deadline=1.0))
    with httpx.Client(transport=transport) as client:
        assert grant(client, server).status_code == 200
        server.trickle_next(1, bytes_per_second=0.2)
        with pytest.raises(DeadlineExceeded, match="connection was shut down"):
            grant(client, server)
    assert len(alarms) == 2
    assert WATCHDOG.pending == 0


def test_an_alarm_that_rings_before_the_headers_of_a_reused_connection_ends_the_attempt(
    alarms: list[float],
) -> None:
    """It had no socket to shut down (a reused connection announces none, nor does a
    MockTransport): the headers that come after it are refused."""
    answered = threading.Event()

    def late(request: httpx.Request) -> httpx.Response:
        # The answer comes once the alarm has rung: nothing is pending any more.
        for _ in range(1000):
            if WATCHDOG.pending == 0:
                break
            answered.wait(0.01)
        return httpx.Response(200, json={"accessToken": "fake-token"})

    transport = RetryTransport(RetryPolicy(deadline=0.05), httpx.MockTransport(late))
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(DeadlineExceeded, match="as the response headers arrived"),
    ):
        client.post("http://127.0.0.1:9" + GRANT_PATH, json=CLIENT_GRANT)
    assert len(alarms) == 1
    assert WATCHDOG.pending == 0


# --- the trace hook ------------------------------------------------------------------------------
def test_the_trace_hook_steps_aside_on_a_reused_connection(server: FakeRunaiServer) -> None:
    inner = Kept()
    with httpx.Client(transport=RetryTransport(NO_WAIT, inner)) as client:
        for _ in range(3):
            assert grant(client, server).status_code == 200
    # The first request opened the connection: its hook stayed, to learn the socket. The
    # others reused it, and left no hook for httpcore's later steps to call.
    assert ["trace" in extensions for extensions in inner.after] == [True, False, False]


def test_a_callers_hook_sees_every_event_of_a_reused_connection_too(
    server: FakeRunaiServer,
) -> None:
    inner = Kept()
    events: list[list[str]] = []

    def hook(event: str, info: dict[str, Any]) -> None:
        events[-1].append(event)

    with httpx.Client(transport=RetryTransport(NO_WAIT, inner)) as client:
        for _ in range(2):
            events.append([])
            assert grant(client, server, extensions={"trace": hook}).status_code == 200
    first, reused = events
    assert "connection.connect_tcp.complete" in first
    assert reused == [event for event in first if not event.startswith("connection.")]
    assert "http11.response_closed.complete" in reused
    assert inner.after[1]["trace"] is hook  # handed back its place, not dropped


def test_the_request_is_as_it_was_once_the_transport_returns_or_raises(
    server: FakeRunaiServer,
) -> None:
    """The hook goes on the request itself for an attempt (no copy of it per attempt) and comes
    off after it: on a new connection, after a retry, and when the attempts end in an error."""

    def hook(event: str, info: dict[str, Any]) -> None:
        pass

    transport = RetryTransport(NO_WAIT)
    with httpx.Client(transport=transport, timeout=5) as client:
        for extensions in ({}, {"trace": hook}):
            for fail in (0, 1):
                server.fail_next(fail, 503)
                request = client.build_request(
                    "POST", server.url + GRANT_PATH, json=CLIENT_GRANT, extensions=extensions
                )
                before = dict(request.extensions)
                response = client.send(request)
                assert response.extensions["attempts"] == 1 + fail
                assert response.request is request
                assert request.extensions == before
        closed = client.build_request("POST", "http://127.0.0.1:9" + GRANT_PATH, json={})
        before = dict(closed.extensions)
        with pytest.raises(httpx.ConnectError):
            transport.handle_request(closed)
        assert closed.extensions == before


# --- the kind of a request -----------------------------------------------------------------------
def test_a_grant_answered_at_once_never_has_its_kind_decided(
    server: FakeRunaiServer, kinds: list[Kind]
) -> None:
    with httpx.Client(transport=RetryTransport(NO_WAIT)) as client:
        assert grant(client, server).status_code == 200
        assert grant(client, server, json={"grantType": "client_credentials"}).status_code == 400
    assert kinds == []  # neither 200 nor 400 is a status the policy retries


def test_a_retry_still_weighs_the_grant_in_the_body(
    server: FakeRunaiServer, kinds: list[Kind]
) -> None:
    with httpx.Client(transport=RetryTransport(NO_WAIT)) as client:
        server.fail_next(1, 500)
        assert grant(client, server).extensions["attempts"] == 2
    assert kinds == [Kind.REPEATABLE]
    server.fail_next(1, 500)
    auth = TokenAuth(server.url, RefreshTokenCredentials(server.issue_refresh_token("ada")))
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    assert caught.value.status == 500
    assert kinds[1:] == [Kind.SINGLE_USE]  # a refresh token may be spent: not resent
    assert server.count() == 3
