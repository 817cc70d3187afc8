"""Benchmark 3: a flaky control plane. Success rate of 200 sequential GETs to FakeRunaiServer's
protected endpoint when each attempt fails with some probability.

Every attempt fails independently with probability p: before each call the run of failures its
attempts will meet is drawn (geometric, from a seeded RNG, so every client faces the same
sequence) and queued with fail_next (a 503 with the Error envelope) or drop_next (the connection
closes without an answer). Faults a client did not consume (it gave up sooner) are drained by
the benchmark before the next call. Only the protected path is faulted; token grants succeed.
"""

from __future__ import annotations

import contextlib
import importlib
import random
import time
from collections.abc import Callable

import attrs
import httpx
from bench_clients import Unavailable, error_name
from bench_report import Section, section
from runai_tokens import AppCredentials, RetryPolicy, connect
from runai_tokens.testing import FakeRunaiServer
from server_process import RemoteServer, server_process

CALLS = 200
SEED = 20261127
MAX_RUN = 10  # longer runs of failures than any client retries
# Defaults except the backoff, so 200 calls finish in well under a second of sleeping.
FAST_POLICY = RetryPolicy(backoff_base=0.001, backoff_max=0.01)
APP_ID, APP_SECRET = "bench-app", "fake-secret-bench-app-0123456789"
PATH = FakeRunaiServer.PROTECTED_PATH


@attrs.frozen
class Client:
    call: Callable[[], str]
    close: Callable[[], None]


def _httpx_client(server: RemoteServer, transport: httpx.BaseTransport | None) -> Client:
    token = server.call("issue_access_token", "bench")
    client = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, transport=transport
    )
    return Client(lambda: _status(client.get(PATH).status_code), client.close)


def plain_httpx(server: RemoteServer) -> Client:
    return _httpx_client(server, None)


def httpx_transport_retries(server: RemoteServer) -> Client:
    return _httpx_client(server, httpx.HTTPTransport(retries=3))


def runai_tokens(server: RemoteServer, policy: RetryPolicy = FAST_POLICY) -> Client:
    client = connect(server.url, AppCredentials(APP_ID, APP_SECRET), retry=policy)
    http = client.get_httpx_client()
    return Client(lambda: _status(http.get(PATH).status_code), client.__exit__)


def runai_tokens_4(server: RemoteServer) -> Client:
    return runai_tokens(server, FAST_POLICY.replace(max_attempts=4))


def runapy(server: RemoteServer) -> Client:
    try:
        configuration = importlib.import_module("runai.configuration")
        api_client = importlib.import_module("runai.api_client")
    except ImportError as exc:
        raise Unavailable(f"not installed ({exc.name})") from None
    conf = configuration.Configuration(
        client_id=APP_ID,
        client_secret=APP_SECRET,
        runai_base_url=server.url,
        retry_backoff_factor=0.001,  # its default 0.5, shrunk like ours
    )
    client = api_client.ApiClient(conf)  # fetches its token here

    def call() -> str:
        try:
            return _status(int(client.call_api("GET", PATH).status_code))
        except Exception as exc:
            return error_name(exc)

    return Client(call, client.close)


CLIENTS: dict[str, Callable[[RemoteServer], Client]] = {
    "httpx, no retry": plain_httpx,
    "httpx HTTPTransport(retries=3)": httpx_transport_retries,
    "runai-tokens connect() (3 attempts)": runai_tokens,
    "runai-tokens connect() (max_attempts=4)": runai_tokens_4,
    "runapy ApiClient (urllib3 Retry total=3: 4 attempts)": runapy,
}


def _status(code: int) -> str:
    return "ok" if code == 200 else str(code)


def _run(factory: Callable[[RemoteServer], Client], kind: str, rate: float) -> list[str]:
    rng = random.Random(SEED)
    with server_process(client=(APP_ID, APP_SECRET)) as server:
        client = factory(server)
        raw = httpx.Client(base_url=server.url)
        sent = 0
        successes = 0
        drained = 0
        start = time.perf_counter()
        try:
            for _ in range(CALLS):
                failures = 0
                while failures < MAX_RUN and rng.random() < rate:
                    failures += 1
                if kind == "503":
                    server.call("fail_next", failures, 503, path=PATH)
                else:
                    server.call("drop_next", failures, path=PATH)
                try:
                    outcome = client.call()
                except Exception as exc:
                    outcome = error_name(exc)
                successes += outcome == "ok"
                drained += _drain(server, raw)
            wall = (time.perf_counter() - start) * 1e3
            sent = server.call("count", PATH) - drained
        finally:
            client.close()
            raw.close()
    return [f"{successes}/{CALLS} ({successes / CALLS:.0%})", str(sent), f"{wall:.0f}"]


def _drain(server: RemoteServer, raw: httpx.Client) -> int:
    """Consume the faults the client left, so the next call meets only its own."""
    drained = 0
    while server.call("pending_faults") and drained < MAX_RUN:
        with contextlib.suppress(httpx.HTTPError):
            raw.get(PATH)
        drained += 1
    return drained


def flaky() -> Section:
    rows: list[list[str]] = []
    plan = [("503", 0.2), ("503", 0.5), ("drop", 0.2), ("drop", 0.5), ("503", 1.0)]
    for kind, rate in plan:
        fault = f"{rate:.0%} {'503s' if kind == '503' else 'dropped connections'}"
        for name, factory in CLIENTS.items():
            try:
                rows.append([fault, name, *_run(factory, kind, rate)])
            except Unavailable as exc:
                rows.append([fault, name, "n/a", str(exc), ""])
    return section(
        "3. A flaky control plane: success rate of 200 GETs",
        "FakeRunaiServer (in a process of its own) answers each attempt with a 503 (or drops "
        "the connection) with the given probability, independently; the same seeded sequence "
        "for every client. "
        f"runai-tokens uses RetryPolicy defaults (3 attempts, 60 s deadline, retry budget) "
        f"except backoff_base={FAST_POLICY.backoff_base} s and backoff_max="
        f"{FAST_POLICY.backoff_max} s, so the run is fast; runapy's backoff_factor is "
        f"shrunk to 0.001 likewise.",
        ["faults", "client", "calls succeeded", "requests sent", "wall ms"],
        rows,
        [
            "httpx's own HTTPTransport(retries=N) retries only failed connection attempts: "
            "not a 503, not a connection dropped after the request was sent.",
            "With k attempts and independent failures the ceiling is 1 - p^k: for 3 attempts "
            "99.2 % at 20 % and 87.5 % at 50 %; for 4 attempts 99.8 % and 93.8 %.",
            "100 % 503s is a service that is down: the retry budget (capacity 500, 5 per retry, "
            "refilled by successes) stops runai-tokens from multiplying its load by the number "
            "of attempts; urllib3's Retry has no budget.",
        ],
    )
