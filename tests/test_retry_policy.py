"""RetryPolicy, Retry-After parsing, the retry budget and the retry rules, without sockets."""

from __future__ import annotations

import email.utils
import math
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from runai_tokens._value import FrozenInstanceError
from runai_tokens.retry import Clock, RetryPolicy, RetryTransport
from runai_tokens.retry._policy import RetryBudget
from runai_tokens.retry._rules import (
    Kind,
    classify,
    error_is_retryable,
    parse_http_date,
    retry_after_seconds,
    status_is_retryable,
)

NOW = 1_700_000_000.0


def wait(headers: dict[str, str], now: float = NOW) -> float | None:
    return retry_after_seconds(httpx.Headers(headers), wall_clock=lambda: now)


# --- RetryPolicy ---------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.deadline) == (3, 60.0)
    assert (policy.backoff_base, policy.backoff_max) == (0.5, 8.0)
    assert policy.statuses == (408, 429, 500, 502, 503, 504)
    assert (policy.budget_capacity, policy.retry_cost, policy.timeout_retry_cost) == (500, 5, 10)


def test_policy_is_frozen_and_comparable() -> None:
    policy = RetryPolicy(statuses=[503, 429, 503])
    assert policy.statuses == (429, 503)
    assert policy == RetryPolicy(statuses=(429, 503))
    with pytest.raises(FrozenInstanceError):
        policy.max_attempts = 5
    assert hash(policy) == hash(RetryPolicy(statuses=(429, 503)))


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"max_attempts": 0}, ValueError, "max_attempts"),
        ({"max_attempts": 2.5}, TypeError, "max_attempts"),
        ({"max_attempts": True}, TypeError, "max_attempts"),
        ({"deadline": 0}, ValueError, "deadline"),
        ({"deadline": -1.0}, ValueError, "deadline"),
        ({"deadline": math.nan}, ValueError, "deadline"),
        ({"deadline": "60"}, TypeError, "deadline"),
        ({"backoff_base": -0.1}, ValueError, "backoff_base"),
        ({"backoff_base": math.inf}, ValueError, "backoff_base"),
        ({"backoff_max": 0.1}, ValueError, "backoff_max"),
        ({"statuses": 503}, TypeError, "statuses"),
        ({"statuses": "503"}, TypeError, "statuses"),
        ({"statuses": [503, "504"]}, TypeError, "statuses"),
        ({"statuses": [503, 99]}, ValueError, "statuses"),
        ({"statuses": [True]}, TypeError, "statuses"),
        ({"budget_capacity": -1}, ValueError, "budget_capacity"),
        ({"budget_capacity": 1.5}, TypeError, "budget_capacity"),
        ({"retry_cost": -5}, ValueError, "retry_cost"),
        ({"timeout_retry_cost": None}, TypeError, "timeout_retry_cost"),
    ],
)
def test_policy_rejects_bad_values(
    kwargs: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        RetryPolicy(**kwargs)


def test_policy_accepts_edge_values() -> None:
    policy = RetryPolicy(max_attempts=1, deadline=math.inf, backoff_base=0, backoff_max=0)
    assert policy.backoff(1, 0.9) == 0
    assert RetryPolicy(budget_capacity=None, statuses=()).budget_capacity is None


def test_transport_rejects_a_policy_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="RetryPolicy"):
        RetryTransport({"max_attempts": 3})  # type: ignore[arg-type]


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0)
    assert [policy.backoff(n, 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff(3, 0.25) == 0.5


policies = st.builds(
    lambda base, extra: RetryPolicy(backoff_base=base, backoff_max=base + extra),
    st.floats(0, 100),
    st.floats(0, 1000),
)


@given(policies, st.integers(1, 10_000), st.floats(0, 1))
def test_backoff_is_bounded_by_the_cap_and_the_exponential_step(
    policy: RetryPolicy, retry: int, jitter: float
) -> None:
    delay = policy.backoff(retry, jitter)
    assert 0 <= delay <= policy.backoff_max
    assert delay <= policy.backoff_base * 2.0 ** min(retry - 1, 64)
    assert math.isfinite(delay)


@given(policies, st.integers(1, 200))
def test_backoff_ceiling_never_shrinks(policy: RetryPolicy, retry: int) -> None:
    assert policy.backoff(retry, 1.0) <= policy.backoff(retry + 1, 1.0)


# --- Retry-After ---------------------------------------------------------------------------------


@given(st.integers(0, 10**12))
def test_retry_after_delta_seconds(seconds: int) -> None:
    assert wait({"Retry-After": str(seconds)}) == seconds


@given(st.integers(0, 10**9))
def test_retry_after_ms(millis: int) -> None:
    assert wait({"retry-after-ms": str(millis)}) == pytest.approx(millis / 1000)


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert wait({"Retry-After": "30", "retry-after-ms": "250"}) == 0.25


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9000, 1, 1)))
def test_retry_after_http_date_against_the_date_header(when: datetime) -> None:
    when = when.replace(microsecond=0, tzinfo=UTC)
    server_now = datetime(2030, 6, 1, 12, 0, 0, tzinfo=UTC)
    headers = {
        "Retry-After": email.utils.format_datetime(when, usegmt=True),
        "Date": email.utils.format_datetime(server_now, usegmt=True),
    }
    # The local clock is far off: only the server's own Date counts.
    expected = max(0.0, (when - server_now).total_seconds())
    assert wait(headers, now=0.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # RFC 850
        "Sun Nov  6 08:49:37 1994",  # asctime
    ],
)
def test_retry_after_reads_every_http_date_form(value: str) -> None:
    expected = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert parse_http_date(value) == expected
    before = (expected - timedelta(seconds=90)).timestamp()
    assert wait({"Retry-After": value}, now=before) == pytest.approx(90)


def test_retry_after_date_in_the_past_means_no_wait() -> None:
    assert wait({"Retry-After": "Sun, 06 Nov 1994 08:49:37 GMT"}) == 0.0


@pytest.mark.parametrize("value", ["", "soon", "-5", "May", "1e3", "inf", "nan", "12 apples"])
def test_retry_after_garbage_is_ignored(value: str) -> None:
    assert wait({"Retry-After": value}) is None
    assert wait({"retry-after-ms": value}) is None


@given(st.text(max_size=60), st.text(max_size=20), st.text(max_size=60))
def test_retry_after_never_raises(retry_after: str, millis: str, date: str) -> None:
    headers = httpx.Headers()
    for name, value in (("retry-after", retry_after), ("retry-after-ms", millis), ("date", date)):
        if value.isprintable() and value.isascii():
            headers[name] = value
    seconds = retry_after_seconds(headers, wall_clock=lambda: NOW)
    assert seconds is None or seconds >= 0


def test_retry_after_too_big_for_a_float_is_an_endless_wait() -> None:
    assert wait({"Retry-After": "9" * 400}) == math.inf


# --- the budget -----------------------------------------------------------------------------------


def test_budget_spends_refunds_and_caps() -> None:
    budget = RetryBudget(10)
    assert budget.try_spend(5) and budget.try_spend(5)
    assert not budget.try_spend(1)
    budget.refund(3)
    assert budget.available == 3
    budget.refund(100)
    assert budget.available == 10


def test_unlimited_budget() -> None:
    budget = RetryBudget(None)
    assert all(budget.try_spend(10**6) for _ in range(10))
    assert budget.available is None


def test_budget_is_thread_safe() -> None:
    budget = RetryBudget(5 * 1000)
    spent: list[bool] = []

    def spend() -> None:
        spent.extend(budget.try_spend(5) for _ in range(200))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert spent.count(True) == 1000
    assert budget.available == 0


# --- which requests retry -------------------------------------------------------------------------

STATUSES = RetryPolicy().statuses


def request(method: str, path: str, **kwargs: Any) -> httpx.Request:
    return httpx.Request(method, f"http://127.0.0.1{path}", **kwargs)


@pytest.mark.parametrize(
    ("req", "kind"),
    [
        (request("GET", "/api/v1/things"), Kind.REPEATABLE),
        (request("DELETE", "/api/v1/things/1"), Kind.REPEATABLE),
        (request("POST", "/api/v1/things", json={}), Kind.UNSAFE),
        (request("PATCH", "/api/v1/things/1", json={}), Kind.UNSAFE),
        (
            request("POST", "/api/v1/token", json={"grantType": "client_credentials"}),
            Kind.REPEATABLE,
        ),
        (request("POST", "/api/v1/token", json={"grantType": "password"}), Kind.REPEATABLE),
        (request("POST", "/api/v1/token", json={"grantType": "app_token"}), Kind.REPEATABLE),
        (request("POST", "/api/v1/token", json={"grantType": "refresh_token"}), Kind.SINGLE_USE),
        (request("POST", "/api/v1/token", json={"grantType": "exchange_token"}), Kind.SINGLE_USE),
        (request("POST", "/api/v1/token", content=b"not json"), Kind.SINGLE_USE),
        (request("POST", "/api/v1/token", json=["grantType"]), Kind.SINGLE_USE),
        (request("POST", "/x/api/v1/token", json={"grantType": "password"}), Kind.REPEATABLE),
        (request("POST", "/v1/k8s/auth/oauth/apptoken", json={}), Kind.REPEATABLE),
        (request("GET", "/v1/k8s/auth/token/exchange?code=fake-code"), Kind.SINGLE_USE),
        (request("POST", "/v1/k8s/auth/oauth/tokens/refresh?refresh_token=x"), Kind.SINGLE_USE),
    ],
)
def test_classify(req: httpx.Request, kind: Kind) -> None:
    assert classify(req) is kind


@pytest.mark.parametrize(
    ("kind", "retried"),
    [
        (Kind.REPEATABLE, set(STATUSES)),
        (Kind.SINGLE_USE, {429, 503}),
        (Kind.UNSAFE, set()),
    ],
)
def test_statuses_by_kind(kind: Kind, retried: set[int]) -> None:
    every = {200, 400, 401, 404, 409, *STATUSES}
    assert {s for s in every if status_is_retryable(kind, s, STATUSES)} == retried
    # The policy's statuses bound every kind: drop 503 and no one retries it.
    assert not status_is_retryable(kind, 503, (429,))


REQ = request("GET", "/")
ERRORS: list[Exception] = [
    httpx.ConnectError("x", request=REQ),
    httpx.ConnectTimeout("x", request=REQ),
    httpx.PoolTimeout("x", request=REQ),
    httpx.ReadTimeout("x", request=REQ),
    httpx.WriteTimeout("x", request=REQ),
    httpx.ReadError("x", request=REQ),
    httpx.RemoteProtocolError("x", request=REQ),
    httpx.LocalProtocolError("x", request=REQ),
    httpx.UnsupportedProtocol("x", request=REQ),
]
NEVER_SENT = {"ConnectError", "ConnectTimeout", "PoolTimeout"}


@pytest.mark.parametrize(
    ("kind", "retried"),
    [
        (Kind.REPEATABLE, NEVER_SENT | {"ReadTimeout", "WriteTimeout", "ReadError"}
         | {"RemoteProtocolError"}),
        (Kind.SINGLE_USE, NEVER_SENT),
        (Kind.UNSAFE, NEVER_SENT),
    ],
)  # fmt: skip
def test_errors_by_kind(kind: Kind, retried: set[str]) -> None:
    assert {type(e).__name__ for e in ERRORS if error_is_retryable(kind, e)} == retried


def test_a_timeout_costs_more_budget() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    policy = RetryPolicy(max_attempts=4, budget_capacity=25, retry_cost=5, timeout_retry_cost=10)
    clock = Clock(sleep=lambda _: None, random=lambda: 0.0)
    transport = RetryTransport(policy, httpx.MockTransport(timeout), clock)
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ReadTimeout) as caught:
        client.get("http://127.0.0.1:9/")
    # 25 pays for two retries at 10, not a third.
    assert transport.budget_available == 5
    assert any("after 3 attempts" in note for note in caught.value.__notes__)


def test_repr_shows_the_policy() -> None:
    text = repr(RetryTransport(RetryPolicy(max_attempts=2)))
    assert text.startswith("RetryTransport(RetryPolicy(max_attempts=2")
    assert text.endswith(", HTTPTransports)")
