"""Benchmark 10: a soak. 20,000 GETs over 32 threads through one connect() client against a
FakeRunaiServer that fails 5 % of requests with a 503 and resets 1 % (half before the status line,
half mid-body).

    .venv/bin/python bench/run.py --only 10

The server runs in a process of its own (server_process), so that this process's fds and
threads are the client's alone. FakeRunaiServer has no probabilistic fault mode; it serves a
queue of faults, one per request in arrival order. So before the run the server process draws,
from a seeded RNG, the fate of each of the first ATTEMPTS requests to the protected path and
queues it: a fault, or a delay of 0 (the real answer at once), which holds the place of a
request the draw left alone.
Every attempt, retries included, thus meets a fault independently with the drawn rates.

The run stops by itself: after CALLS calls, or when TIME_LIMIT has passed (then it reports how far
it got). Caller-visible errors are compared with what the retry ceiling predicts: with
MAX_ATTEMPTS attempts a call fails only when every attempt meets a retried fault (rate r), or
an attempt meets a fault that is not retried (rate n) after retried ones:
P(error) = r**MAX_ATTEMPTS + n * (1 + r + ... + r**(MAX_ATTEMPTS - 1)).
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from typing import Any

import attrs
from bench_report import Section, section
from runai_tokens import ClientCredentials, RetryPolicy, connect
from runai_tokens.testing import PROTECTED_PATH, FakeRunaiServer
from server_process import server_process

CALLS = 20_000
THREADS = 32
TIME_LIMIT = 600.0  # seconds; the run stops here even if CALLS were not all made
SEED = 20261201
CLIENT = ("bench-soak", "fake-secret-bench-soak")
MAX_ATTEMPTS = RetryPolicy().max_attempts  # the default policy is what is measured


@attrs.frozen
class Kind:
    name: str
    rate: float
    retried: bool  # for a GET whose answer has a Content-Length within the cap
    method: str
    kwargs: dict[str, Any] = attrs.field(factory=dict)


KINDS = (
    Kind("503", 0.05, True, "fail_next", {"status": 503}),
    Kind("dropped before the status line", 0.005, True, "drop_next"),
    Kind("reset mid-body (after 10 bytes)", 0.005, True, "reset_next", {"after_bytes": 10}),
)
# How FakeRunaiServer's request log names each fault.
FAULT_NAMES = {"fail": "503", "drop": "dropped", "reset": "reset mid-body"}
# Every call makes at least one attempt; retries add about the fault rate again.
ATTEMPTS = int(CALLS * 1.25)


def _queue_draws(server: FakeRunaiServer, attempts: int, seed: int) -> dict[str, int]:
    """Queue the fate of the next `attempts` requests to PROTECTED_PATH; the faults drawn."""
    rng = random.Random(seed)
    drawn = {kind.name: 0 for kind in KINDS}
    clean = 0
    for _ in range(attempts):
        roll, kind = rng.random(), None
        for candidate in KINDS:
            if roll < candidate.rate:
                kind = candidate
                break
            roll -= candidate.rate
        if kind is None:
            clean += 1
            continue
        if clean:  # a run of answers left alone, queued as one entry
            server.delay_next(clean, 0, path=PROTECTED_PATH)
            clean = 0
        getattr(server, kind.method)(1, path=PROTECTED_PATH, **kind.kwargs)
        drawn[kind.name] += 1
    if clean:
        server.delay_next(clean, 0, path=PROTECTED_PATH)
    return drawn


def _stats(server: FakeRunaiServer) -> tuple[int, int, dict[str, int]]:
    """Token requests, attempts at PROTECTED_PATH, and the faults they met (in the server)."""
    faults: dict[str, int] = {}
    for record in server.requests:
        if record.path == PROTECTED_PATH and record.fault not in (None, "delay"):
            faults[str(record.fault)] = faults.get(str(record.fault), 0) + 1
    return server.token_requests, server.count(PROTECTED_PATH), faults


def _resources() -> tuple[int, int]:
    return len(os.listdir("/proc/self/fd")), threading.active_count()


def expected_error_rate(kinds: tuple[Kind, ...] = KINDS, attempts: int = MAX_ATTEMPTS) -> float:
    retried = sum(k.rate for k in kinds if k.retried)
    final = sum(k.rate for k in kinds if not k.retried)
    return retried**attempts + final * sum(retried**i for i in range(attempts))


def poisson_upper(mean: float, tail: float = 0.01) -> int:
    """The smallest k with P(X > k) < tail for X ~ Poisson(mean)."""
    k, term = 0, math.exp(-mean)
    total = term
    while 1 - total >= tail:
        k += 1
        term *= mean / k
        total += term
    return k


def _soak(url: str, deadline_at: float) -> tuple[dict[str, int], int, float]:
    """(outcomes by kind, calls made, wall seconds), CALLS calls over THREADS threads."""
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    next_call = iter(range(CALLS))
    started = time.perf_counter()
    with connect(url, ClientCredentials(*CLIENT)) as client:
        http = client.get_httpx_client()

        def worker() -> None:
            mine: dict[str, int] = {}
            while time.monotonic() < deadline_at:
                with lock:
                    if next(next_call, None) is None:
                        break
                try:
                    outcome = str(http.get(PROTECTED_PATH).status_code)
                except Exception as exc:
                    outcome = type(exc).__name__
                mine[outcome] = mine.get(outcome, 0) + 1
            with lock:
                for outcome, n in mine.items():
                    outcomes[outcome] = outcomes.get(outcome, 0) + n

        threads = [threading.Thread(target=worker, name=f"soak-{i}") for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return outcomes, sum(outcomes.values()), time.perf_counter() - started


def soak() -> Section:
    with server_process(client=CLIENT) as server:
        drawn = server.run(_queue_draws, ATTEMPTS, SEED)
        before = _resources()
        outcomes, calls, wall = _soak(server.url, time.monotonic() + TIME_LIMIT)
        after = _resources()
        token_requests, attempts, faults_met = server.run(_stats)
    errors = calls - outcomes.get("200", 0)
    rate = expected_error_rate()
    expected = rate * calls
    ceiling = poisson_upper(expected)
    seen = ", ".join(f"{n}x {o}" for o, n in sorted(outcomes.items()) if o != "200") or "none"
    met = ", ".join(f"{n}x {FAULT_NAMES.get(k, k)}" for k, n in sorted(faults_met.items()))
    rows = [
        [
            "calls (GET, 32 threads, one connect() client)",
            f"{calls:,} of {CALLS:,} in {wall:.0f} s",
        ],
        ["attempts the server saw", f"{attempts:,} ({attempts / max(calls, 1):.3f} per call)"],
        ["faults met", met],
        [
            "caller-visible errors",
            f"{errors} ({seen}); retry ceiling's expectation {expected:.1f} "
            f"(P = {rate:.2e} per call), 99 % Poisson bound {ceiling}: "
            + ("within" if errors <= ceiling else "OVER"),
        ],
        ["token requests", str(token_requests)],
        ["fds before / after", f"{before[0]} / {after[0]}"],
        ["threads before / after", f"{before[1]} / {after[1]}"],
    ]
    queued = ", ".join(f"{n}x {name}" for name, n in drawn.items())
    return section(
        "10. Soak: 20,000 GETs over 32 threads against 5 % 503s and 1 % resets",
        f"FakeRunaiServer in its own process, its faults drawn per attempt from a seeded RNG "
        f"(seed {SEED}; queued for the first {ATTEMPTS:,} attempts: {queued}). One connect() "
        f"client with the default RetryPolicy ({MAX_ATTEMPTS} attempts), shared by 32 threads.",
        ["measure", "result"],
        rows,
        [
            "Every fault here is retried for a GET: a 503, a connection dropped before the "
            "status line, and a reset mid-body of an answer with a Content-Length within the "
            "cap (read inside the retry loop). So a call fails only when all "
            f"{MAX_ATTEMPTS} of its attempts meet a fault: P = 0.06 ** {MAX_ATTEMPTS}.",
            "A fault not retried would count in full: P = r**3 + n(1 + r + r**2) for retried "
            "rate r and final rate n (bench_soak.expected_error_rate).",
            "fds and threads are this process's (the server's are in its own), counted before "
            "the client is made and after it is closed and its 32 threads joined.",
        ],
    )


if __name__ == "__main__":
    print(soak().markdown())
