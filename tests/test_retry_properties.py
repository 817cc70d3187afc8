"""Properties of RetryTransport over any run of answers: bounded attempts, no sleep past the
deadline, every discarded answer closed. The inner transport is httpx.MockTransport, so
hypothesis can try many runs quickly; the socket-level behaviour is in test_retry_transport."""

from __future__ import annotations

import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st
from runai_tokens.errors import RetryAfterExceedsDeadline
from runai_tokens.retry import Clock, RetryPolicy, RetryTransport

answers = st.tuples(
    st.sampled_from([200, 400, 404, 408, 429, 500, 502, 503, 504]),
    st.none() | st.integers(0, 120).map(str) | st.sampled_from(["soon", "-1", "1.5"]),
)
policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 8),
    deadline=st.floats(0.5, 100),
    backoff_base=st.floats(0, 5),
    backoff_max=st.just(10.0),
)


@settings(max_examples=200, deadline=None)
@given(policies, st.lists(answers, min_size=1, max_size=10), st.floats(0, 1, exclude_max=True))
# Found by hypothesis: waits of 1/3 and 2/3 s ended exactly at a 1 s deadline, by rounding.
@example(RetryPolicy(deadline=1.0, backoff_base=1.0, backoff_max=10.0), [(408, None)], 1 / 3)
def test_any_run_of_answers(
    policy: RetryPolicy, script: list[tuple[int, str | None]], jitter: float
) -> None:
    now = [0.0]
    sleeps: list[float] = []
    handed_out: list[httpx.Response] = []

    def handle(request: httpx.Request) -> httpx.Response:
        status, retry_after = script[min(len(handed_out), len(script) - 1)]
        headers = {} if retry_after is None else {"Retry-After": retry_after}
        handed_out.append(httpx.Response(status, headers=headers, content=b"{}"))
        return handed_out[-1]

    def sleep(seconds: float) -> None:
        assert all(r.is_closed for r in handed_out)
        sleeps.append(seconds)
        now[0] += seconds

    clock = Clock(monotonic=lambda: now[0], sleep=sleep, random=lambda: jitter)
    transport = RetryTransport(policy, httpx.MockTransport(handle), clock)
    try:
        with httpx.Client(transport=transport) as client:
            response = client.get("http://127.0.0.1:9/")
    except RetryAfterExceedsDeadline as error:
        assert error.retry_after >= policy.deadline - sum(sleeps)
        attempts = error.attempts
        assert all(r.is_closed for r in handed_out)
    else:
        attempts = response.extensions["attempts"]
        assert response is not None and response.status_code == handed_out[-1].status_code
        assert all(r.is_closed for r in handed_out[:-1])
    assert 1 <= attempts <= policy.max_attempts
    assert len(handed_out) == attempts
    assert len(sleeps) == attempts - 1
    assert sum(sleeps) < policy.deadline
