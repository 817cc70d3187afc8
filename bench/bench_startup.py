"""Benchmark 10: start-up, as a ratio against its floor measured in the same run.

Each figure is a pair of whole processes: the command, and its floor (what the program would
cost without us). The two run in turn, the order alternating each round (A B, B A, ...), and
each round gives one ratio, so a machine that speeds up or slows down mid-run moves both sides
of a pair alike. Reported: the median ratio with its min-max over the rounds, for the CPU time
of the child (user + sys, from getrusage: what a loaded machine disturbs least) and wall time.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench_report import Section, section
from runai_tokens.testing import FakeRunaiServer

ROUNDS = 15
CLIENT_ID, CLIENT_SECRET = "bench-startup", "fake-secret-bench-startup-0123456789"
CONNECT = (
    "from runai_tokens import connect, ClientCredentials; "
    "connect('https://tenant.example', ClientCredentials('a', 'fake-b'))"
)


def _once(argv: Sequence[str], env: Mapping[str, str]) -> tuple[float, float]:
    """(cpu ms, wall ms) of one whole process; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 - argv is built here, never from input
        list(argv), env=dict(env), capture_output=True, timeout=60, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu * 1e3, wall * 1e3


def _paired(
    argv: Sequence[str], floor: Sequence[str], env: Mapping[str, str]
) -> dict[str, list[float]]:
    _once(argv, env)  # warm-up: the page cache, .pyc files
    _once(floor, env)
    out: dict[str, list[float]] = {"cpu": [], "wall": [], "a_cpu": [], "b_cpu": []}
    for i in range(ROUNDS):
        if i % 2 == 0:
            a, b = _once(argv, env), _once(floor, env)
        else:
            b, a = _once(floor, env), _once(argv, env)
        out["cpu"].append(a[0] / b[0])
        out["wall"].append(a[1] / b[1])
        out["a_cpu"].append(a[0])
        out["b_cpu"].append(b[0])
    return out


def _ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def _row(what: str, floor_name: str, goal: float, result: dict[str, list[float]]) -> list[str]:
    cpu = statistics.median(result["cpu"])
    verdict = "pass" if cpu <= goal else "FAIL"
    return [
        what,
        floor_name,
        f"{statistics.median(result['a_cpu']):.0f} / {statistics.median(result['b_cpu']):.0f}",
        _ratio(result["cpu"]),
        _ratio(result["wall"]),
        f"<= {goal}x",
        verdict,
    ]


def startup() -> Section:
    python = sys.executable
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        result = _paired([python, "-c", CONNECT], [python, "-c", "import httpx"], env)
        rows.append(
            _row(
                "`from runai_tokens import connect, ...; connect(...)`",
                "`import httpx`",
                1.3,
                result,
            )
        )
        # The warm CLI: the cache is filled once against a fake server, which the measured
        # runs never contact (a warm `get` answers from its cache file).
        with FakeRunaiServer() as server:
            server.add_client(CLIENT_ID, CLIENT_SECRET)
            env |= {
                "RUNAI_BASE_URL": server.url,
                "RUNAI_CLIENT_ID": CLIENT_ID,
                "RUNAI_CLIENT_SECRET": CLIENT_SECRET,
            }
            get = [python, "-m", "runai_tokens", "get"]
            subprocess.run(get, env=env, capture_output=True, timeout=60, check=True)  # noqa: S603
            before = server.token_requests
            result = _paired(get, [python, "-c", "pass"], env)
            assert server.token_requests == before, "a warm get made a grant"
        rows.append(_row("warm `runai-token get` (token cached)", "`python -c pass`", 2.5, result))
    return section(
        f"10. Start-up against its floor: {ROUNDS} paired rounds of whole processes",
        "Each round runs the command and its floor one after the other, in alternating order; "
        "a ratio is command / floor within a round. Median, then (min-max) over the rounds. "
        "Pass/fail compares the median CPU ratio with the goal.",
        [
            "command",
            "floor",
            "median CPU ms (command / floor)",
            "CPU ratio",
            "wall ratio",
            "goal",
            "result",
        ],
        rows,
        [
            "CPU is the child's user + sys time (getrusage), which other load on the machine "
            "disturbs less than wall time; the spread of the ratios is the run's noise.",
        ],
    )
