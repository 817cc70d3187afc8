"""The fault matrix: ten faults x five callers, over real loopback sockets.

Each cell starts a server, queues one fault for the path its caller's exchange goes to, makes the
call and checks three things: the outcome is the one EXPECTED says (success after a retry, a typed
ApiException, or, for a plain GET through connect()'s httpx client, what httpx documents for it);
the call came back within the deadline plus a second; and no file descriptor or thread outlives
the cell once its server has stopped. docs/reliability.md is this table in words.

The retry watchdog's thread, which a sync call starts, ends once it has been idle for its linger:
here that is 0.05 s instead of 1 s, so each cell still sees the thread end, without waiting a
second or two for it.

The elapsed time is the test's own monotonic clock, a bound on hanging only, not a measure of
speed: bench/bench_deadline.py measures the times. The faults that hold an exchange up (a
trickle, silence) run into the deadline; the others answer at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest
import trustme
from runai_tokens import ApiException, ClientCredentials, RetryPolicy, TokenAuth, TokensApi, connect
from runai_tokens.retry import DeadlineExceeded, _watchdog
from runai_tokens.testing import PROTECTED_PATH, FakeRunaiServer

# The deadline is what is under test only where time runs out (a trickle, silence): there it
# is short. Elsewhere the call ends when the answers come, and a roomy deadline keeps a loaded
# machine's slow handshake from turning a cell's outcome into DeadlineExceeded.
DEADLINE = 1.0
ROOMY_DEADLINE = 30.0
DEADLINE_FAULTS = ("trickle", "silence")
# A hang guard, not a speed check: a call that ignored the short deadline would wait out the
# 30 s timeout, while one that honoured it ends about DEADLINE in, plus whatever a loaded
# machine adds; 4 s of slack covers the latter.
HANG_BOUND = DEADLINE + 4.0
# Short waits, so that a retry always fits in the deadline: the matrix is about outcomes.
POLICY = RetryPolicy(max_attempts=3, deadline=DEADLINE, backoff_base=0.01, backoff_max=0.05)
ROOMY_POLICY = POLICY.replace(deadline=ROOMY_DEADLINE)
CLIENT = ("fault-matrix", "fake-secret-fault-matrix")
CLIENT_GRANT = {"grantType": "client_credentials", "clientID": CLIENT[0], "clientSecret": CLIENT[1]}
RETRY_AFTER = DEADLINE / 4
OVERSIZED = 2 * 2**20  # past the 1 MiB cap on token answers, and quick to send


# --- what each cell must come to ------------------------------------------------------------------
@attrs.frozen
class Expect:
    """ok: the call succeeded (a token, a model, or for a GET a response with `status`).
    raises: the exception type the caller sees; status/cause: an ApiException's status and
    the type of its __cause__ (or of the exception itself, for an httpx error).
    requests: what reached the faulted path (a TLS handshake counts as one)."""

    requests: int
    raises: type[Exception] | None = None
    status: int | None = None
    cause: type[BaseException] | None = None


OK = Expect(requests=2)  # the fault, then the real answer: success after one retry
GET_OK = Expect(requests=2, status=200)
TIMED_OUT = Expect(requests=1, raises=ApiException, cause=DeadlineExceeded)
# The server logs a request when it answers it; a silent server's never is (before the cell ends).
SILENT = Expect(requests=0, raises=ApiException, cause=DeadlineExceeded)
MALFORMED = Expect(requests=1, raises=ApiException, status=200)
TLS_FAILED = Expect(requests=1, raises=ApiException, cause=httpx.ConnectError)

TOKEN_CALLERS = ("TokenAuth sync", "TokenAuth async", "TokensApi")
GET_CALLERS = ("connect() GET sync", "connect() GET async")
CALLERS = TOKEN_CALLERS + GET_CALLERS


def _same(expect: Expect, callers: tuple[str, ...] = CALLERS) -> dict[str, Expect]:
    return dict.fromkeys(callers, expect)


# Token callers (grants, TokensApi) read every answer inside the retry loop, capped at 1 MiB.
# A plain GET through connect() is retried in the same cases, and its body read inside the loop
# when it declares a Content-Length within the cap (FakeRunaiServer's answers do); what the loop
# does not read (an answer over the cap) or judge (a 200's JSON) is handed back as httpx would.
EXPECTED: dict[str, dict[str, Expect]] = {
    "503": {**_same(OK, TOKEN_CALLERS), **_same(GET_OK, GET_CALLERS)},
    "429 + Retry-After": {**_same(OK, TOKEN_CALLERS), **_same(GET_OK, GET_CALLERS)},
    "drop before status": {**_same(OK, TOKEN_CALLERS), **_same(GET_OK, GET_CALLERS)},
    "reset mid-body": {**_same(OK, TOKEN_CALLERS), **_same(GET_OK, GET_CALLERS)},
    "HTML 502": {**_same(OK, TOKEN_CALLERS), **_same(GET_OK, GET_CALLERS)},
    # The deadline bounds the body too (FakeRunaiServer's trickle sends the headers at once;
    # a sync GET whose headers trickle is the docs' one gap, not a cell here). Time running out
    # is an httpx.ReadTimeout for a GET, which is what its caller should catch: DeadlineExceeded
    # (a subclass) under asyncio, and in sync code either that or httpx's own ReadTimeout, the
    # read timeout cut to the time left firing first (always, for a silent server: see
    # test_a_sync_get_to_a_silent_server_raises_deadline_exceeded below).
    "trickle": {
        **_same(TIMED_OUT, TOKEN_CALLERS),
        "connect() GET sync": Expect(requests=1, raises=httpx.ReadTimeout),
        "connect() GET async": Expect(requests=1, raises=DeadlineExceeded),
    },
    "silence": {
        **_same(SILENT, TOKEN_CALLERS),
        "connect() GET sync": Expect(requests=0, raises=httpx.ReadTimeout),
        "connect() GET async": Expect(requests=0, raises=DeadlineExceeded),
    },
    # A 200 is not retried. A token answer that is not its model is an ApiException; a GET's
    # half a JSON body is the caller's to parse (response.json() raises JSONDecodeError).
    "truncated JSON": {
        **_same(MALFORMED, TOKEN_CALLERS),
        **_same(Expect(requests=1, status=200), GET_CALLERS),
    },
    # A token answer over the cap is refused unread; a GET's is handed back for httpx to read.
    "oversized body": {
        **_same(MALFORMED, TOKEN_CALLERS),
        **_same(Expect(requests=1, status=200), GET_CALLERS),
    },
    # Not retried. connect()'s GET needs a token first: the grant's ApiException comes out of
    # the GET, raised by TokenAuth from the auth flow.
    "TLS failure": _same(TLS_FAILED),
}
FAULTS = tuple(EXPECTED)


def _queue(fault: str, server: FakeRunaiServer, path: str) -> None:
    if fault == "503":
        server.fail_next(1, 503, path=path)
    elif fault == "429 + Retry-After":
        server.fail_next(1, 429, path=path, retry_after=RETRY_AFTER)
    elif fault == "drop before status":
        server.drop_next(1, path=path)
    elif fault == "reset mid-body":
        server.reset_next(1, after_bytes=10, path=path)
    elif fault == "trickle":
        server.trickle_next(1, bytes_per_second=1, path=path)
    elif fault == "silence":
        server.delay_next(1, 60, path=path)
    elif fault == "HTML 502":
        server.html_next(1, path=path)
    elif fault == "truncated JSON":
        server.truncated_next(1, path=path)
    elif fault == "oversized body":
        server.oversized_next(1, size=OVERSIZED, path=path)
    else:
        raise AssertionError(f"no such fault: {fault}")


# --- the callers: each builds its clients, makes one call and closes them -------------------------
def _token_auth_sync(url: str, policy: RetryPolicy = POLICY) -> object:
    auth = TokenAuth(url, ClientCredentials(*CLIENT), retry=policy)
    try:
        return auth.get_token()
    finally:
        auth.close()


def _token_auth_async(url: str, policy: RetryPolicy = POLICY) -> object:
    async def main() -> object:
        auth = TokenAuth(url, ClientCredentials(*CLIENT), retry=policy)
        try:
            return await auth.aget_token()
        finally:
            await auth.aclose()

    return asyncio.run(main())


def _tokens_api(url: str, policy: RetryPolicy = POLICY) -> object:
    with connect(url, None, retry=policy) as client:
        return TokensApi(client).grant_token(CLIENT_GRANT)


def _get_sync(url: str, policy: RetryPolicy = POLICY) -> object:
    with connect(url, ClientCredentials(*CLIENT), retry=policy) as client:
        return client.get_httpx_client().get(PROTECTED_PATH)


def _get_async(url: str, policy: RetryPolicy = POLICY) -> object:
    async def main() -> object:
        async with connect(url, ClientCredentials(*CLIENT), retry=policy) as client:
            return await client.get_async_httpx_client().get(PROTECTED_PATH)

    return asyncio.run(main())


CALL: dict[str, Callable[..., object]] = {
    "TokenAuth sync": _token_auth_sync,
    "TokenAuth async": _token_auth_async,
    "TokensApi": _tokens_api,
    "connect() GET sync": _get_sync,
    "connect() GET async": _get_async,
}
# Where each caller's faulted exchange goes (TokenAuth asks 2.24's /api/v2/token).
FAULTED_PATH = {
    "TokenAuth sync": "/api/v2/token",
    "TokenAuth async": "/api/v2/token",
    "TokensApi": "/api/v1/token",
    "connect() GET sync": PROTECTED_PATH,
    "connect() GET async": PROTECTED_PATH,
}
assert set(CALL) == set(FAULTED_PATH) == set(CALLERS)


# --- servers --------------------------------------------------------------------------------------
class UntrustedTLSServer:
    """Loopback TLS with a certificate from a throwaway CA the client does not trust: every
    handshake fails on the client's side. Counts the handshakes it was offered."""

    def __init__(self, ca: trustme.CA) -> None:
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self._context)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self.handshakes = 0
        self._thread = threading.Thread(target=self._serve, name="UntrustedTLSServer")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.handshakes += 1
            conn.settimeout(5)
            with conn, contextlib.suppress(OSError):  # the client's alert: unknown CA
                self._context.wrap_socket(conn, server_side=True).close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()


@contextlib.contextmanager
def serving(fault: str, caller: str, ca: trustme.CA) -> Iterator[tuple[str, Callable[[], int]]]:
    """(base URL, how many requests reached the faulted path so far), the fault queued."""
    if fault == "TLS failure":
        tls = UntrustedTLSServer(ca)
        try:
            yield tls.url, lambda: tls.handshakes
        finally:
            tls.close()
        return
    with FakeRunaiServer() as server:
        server.add_client(*CLIENT)
        path = FAULTED_PATH[caller]
        _queue(fault, server, path)
        yield server.url, lambda: server.count(path)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(autouse=True)
def short_watchdog_linger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_watchdog, "LINGER", 0.05)


# --- leaks ----------------------------------------------------------------------------------------
def _resources() -> tuple[int, int]:
    fd_dir = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    return len(os.listdir(fd_dir)), threading.active_count()


def _left_behind(baseline: tuple[int, int]) -> tuple[int, int]:
    """(fds, threads) above the baseline once they are back at it, or after 10 s: a server's
    handler threads and sockets close a moment after the server stops. Below it is fine: a
    thread or a socket an earlier test left may end meanwhile."""
    give_up = time.monotonic() + 10
    while True:
        now = _resources()
        extra = (max(0, now[0] - baseline[0]), max(0, now[1] - baseline[1]))
        if extra == (0, 0) or time.monotonic() > give_up:
            return extra
        time.sleep(0.02)


# --- the matrix -----------------------------------------------------------------------------------
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("fault", FAULTS)
def test_fault_matrix(fault: str, caller: str, ca: trustme.CA) -> None:
    expect = EXPECTED[fault][caller]
    baseline = _resources()
    result: Any = None
    error: Exception | None = None
    with serving(fault, caller, ca) as (url, requests):
        started = time.monotonic()
        try:
            result = CALL[caller](url, POLICY if fault in DEADLINE_FAULTS else ROOMY_POLICY)
        except Exception as exc:
            error = exc
        elapsed = time.monotonic() - started
        seen = requests()

    if fault in DEADLINE_FAULTS:
        assert elapsed < HANG_BOUND, f"{elapsed:.2f} s: the {DEADLINE} s deadline was not honoured"
    if fault == "429 + Retry-After":
        assert elapsed >= RETRY_AFTER  # the server's wait was honoured, not the backoff's
    if expect.raises is None:
        assert error is None, f"expected success, got {error!r}"
        if expect.status is not None:
            assert isinstance(result, httpx.Response)
            assert result.status_code == expect.status
    else:
        assert isinstance(error, expect.raises), f"expected {expect.raises.__name__}: {error!r}"
        if isinstance(error, ApiException):
            assert error.status == expect.status
            if expect.cause is not None:
                assert isinstance(error.__cause__, expect.cause), repr(error.__cause__)
    assert seen == expect.requests
    assert _left_behind(baseline) == (0, 0), "(fds, threads) left behind"


@pytest.mark.parametrize("caller", CALLERS)
def test_a_fault_that_outlasts_the_attempts_ends_as_the_last_attempt(caller: str) -> None:
    """Three 503s for three attempts: a token caller's ApiException carries the status, a GET
    hands back the last response."""
    with FakeRunaiServer() as server:
        server.add_client(*CLIENT)
        server.fail_next(POLICY.max_attempts, 503, path=FAULTED_PATH[caller])
        if caller in GET_CALLERS:
            response = CALL[caller](server.url, ROOMY_POLICY)
            assert isinstance(response, httpx.Response)
            assert (response.status_code, response.extensions["attempts"]) == (503, 3)
        else:
            with pytest.raises(ApiException) as caught:
                CALL[caller](server.url, ROOMY_POLICY)
            assert caught.value.status == 503
        assert server.count(FAULTED_PATH[caller]) == POLICY.max_attempts


def test_a_sync_get_to_a_silent_server_raises_deadline_exceeded() -> None:
    with FakeRunaiServer() as server:
        server.delay_next(1, 60, path=PROTECTED_PATH)
        with connect(server.url, None, retry=POLICY) as client, pytest.raises(DeadlineExceeded):
            client.get_httpx_client().get(PROTECTED_PATH)
