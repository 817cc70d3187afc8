"""Benchmark 5: `runai-token get` as a subprocess, the way scripts, CI jobs and kubectl run it.

Median wall time of whole processes against FakeRunaiServer: the interpreter starting and
exiting (`python -c pass`, the floor), a warm `get` (a cached token is still valid), a cold
`get` (an empty cache directory: mint and cache), and the shortest runapy script that prints a
token (it has no cache, so it mints every time).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from bench_report import Section, section
from runai_tokens.testing import FakeRunaiServer

RUNS = 10
RUNAPY_RUNS = 3  # each takes about 2 s, mostly importing the SDK
CLIENT_ID, CLIENT_SECRET = "bench-cli", "fake-secret-bench-cli-0123456789"

_RUNAPY = """\
import os
from runai.api_client import ApiClient
from runai.configuration import Configuration
print(ApiClient(Configuration(
    client_id=os.environ["RUNAI_CLIENT_ID"],
    client_secret=os.environ["RUNAI_CLIENT_SECRET"],
    runai_base_url=os.environ["RUNAI_BASE_URL"],
    auto_refresh_token=False,  # the script exits at once: nothing to refresh
))._token)
"""


def _run(argv: list[str], env: Mapping[str, str]) -> tuple[float, bool]:
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - argv is built here, never from input
        argv, env=dict(env), capture_output=True, timeout=60, check=False
    )
    elapsed = time.perf_counter() - start
    return elapsed * 1e3, done.returncode == 0


def _measure(
    argv: list[str],
    env: Mapping[str, str],
    before: Callable[[], None] = lambda: None,
    runs: int = RUNS,
) -> str:
    timings: list[float] = []
    failures = 0
    for _ in range(runs):
        before()
        elapsed, ok = _run(argv, env)
        timings.append(elapsed)
        failures += not ok
    text = f"{statistics.median(timings):.0f}"
    text = text if runs == RUNS else f"{text} ({runs} runs)"
    return text if not failures else f"{text} ({failures}/{runs} runs failed)"


def cli() -> Section:
    python = sys.executable
    get = [python, "-m", "runai_tokens", "get"]
    rows: list[list[str]] = []
    with FakeRunaiServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        server.add_app(CLIENT_ID, CLIENT_SECRET)
        env = {
            **os.environ,
            "RUNAI_BASE_URL": server.url,
            "RUNAI_CLIENT_ID": CLIENT_ID,
            "RUNAI_CLIENT_SECRET": CLIENT_SECRET,
            "XDG_CACHE_HOME": str(Path(tmp) / "warm"),
        }
        floor = _measure([python, "-c", "pass"], env)
        rows.append(["`python -c pass` (interpreter start-up, the floor)", "0", floor])
        counter = iter(range(1_000_000))

        def fresh_cache() -> None:
            env["XDG_CACHE_HOME"] = str(Path(tmp) / f"cold-{next(counter)}")

        before = server.token_requests
        cold = _measure(get, env, fresh_cache)
        cold_tokens = server.token_requests - before
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "warm")
        _run(get, env)  # fill the cache
        before = server.token_requests
        warm = _measure(get, env)
        warm_tokens = server.token_requests - before
        rows.append(["`runai-token get`, warm (cached token)", str(warm_tokens), warm])
        rows.append(["`runai-token get`, cold (mints, then caches)", str(cold_tokens), cold])
        script = Path(python).with_name("runai-token")
        if script.exists():
            console = _measure([str(script), "get"], env)
            rows.append(["`runai-token get` console script, warm", "0", console])
        before = server.token_requests
        try:
            __import__("runai.api_client")
        except ImportError:
            rows.append(["runapy: a script printing ApiClient(...)._token", "n/a", "not installed"])
        else:
            runapy = _measure([python, "-c", _RUNAPY], env, runs=RUNAPY_RUNS)
            tokens = server.token_requests - before
            rows.append(["runapy: a script printing ApiClient(...)._token", str(tokens), runapy])
    return section(
        f"5. The CLI: median wall ms over {RUNS} runs of a whole process",
        "Against FakeRunaiServer on loopback. Token requests: how many grants the runs made "
        "in all.",
        ["command", "token requests", "median ms"],
        rows,
        [
            "A warm `get` reads one cache file and imports neither httpx nor the generated "
            "client: what it adds to the floor is importing the CLI and its standard-library "
            "modules.",
            "runapy has no token cache: every process makes a grant, after importing the "
            "whole SDK.",
        ],
    )
