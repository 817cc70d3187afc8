"""Benchmark 11: start-up, as a ratio against its floor measured in the same run.

Each figure is a pair of whole processes: the command, and its floor (what the program would
cost without us), both from a regular wheel install with bytecode (wheel_env). The goals are
issue 19's: connect() in a fresh process against `import httpx, attrs` (what any
openapi-python-client package pays before its own code) within 1.15x; a warm `runai-token get`
(the console script kubectl runs) against `python -c pass` within 2.5x. Without a goal, for
comparison: the warm get through `python -m runai_tokens` and for a person with a `runai-token
login` session, and the first authenticated call of a fresh process (connect(), a grant, one
protected GET) against a raw httpx script making the same grant and GET, both against a
FakeRunaiServer in a process of its own.

The two run in turn, the order alternating each round (A B, B A, ...), and each round gives one
ratio, so a machine that speeds up or slows down mid-run moves both sides of a pair alike.
Reported: the median ratio with its min-max over the rounds, for the CPU time of the child
(user + sys, from getrusage: what a loaded machine disturbs least) and wall time.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench_report import Section, goal, section
from runai_tokens.login import StoredLogin, open_store
from server_process import server_process
from wheel_env import console_script, wheel_python

ROUNDS = 15
CLIENT_ID, CLIENT_SECRET = "bench-startup", "fake-secret-bench-startup-0123456789"
LOGIN_CLIENT_ID, LOGIN_SUBJECT = "runai-cli", "bench-person"
PROTECTED = "/api/v1/bench-protected"
CONNECT = (
    "from runai_tokens import connect, ClientCredentials; "
    "connect('https://tenant.example', ClientCredentials('a', 'fake-b'))"
)
# The first authenticated call: argv[1] is the server's URL. Both grant on /api/v2/token (what
# TokenAuth's "auto" tries first, and a 2.24 server has) and send one GET with the token.
FIRST_CALL = f"""\
import sys
from runai_tokens import ClientCredentials, connect
client = connect(sys.argv[1], ClientCredentials({CLIENT_ID!r}, {CLIENT_SECRET!r}))
assert client.get_httpx_client().get({PROTECTED!r}).status_code == 200
"""
RAW_FIRST_CALL = f"""\
import sys
import httpx
with httpx.Client(base_url=sys.argv[1]) as client:
    form = {{"grant_type": "client_credentials", "client_id": {CLIENT_ID!r},
            "client_secret": {CLIENT_SECRET!r}}}
    token = client.post("/api/v2/token", data=form).json()["access_token"]
    bearer = {{"Authorization": f"Bearer {{token}}"}}
    assert client.get({PROTECTED!r}, headers=bearer).status_code == 200
"""


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


def _row(
    what: str, floor_name: str, target: float | None, result: dict[str, list[float]]
) -> list[str]:
    """A table row; target: the goal for the median CPU ratio, None for a figure without one."""
    cpu = statistics.median(result["cpu"])
    verdict = "—" if target is None else "pass" if cpu <= target else "FAIL"
    return [
        what,
        floor_name,
        f"{statistics.median(result['a_cpu']):.0f} / {statistics.median(result['b_cpu']):.0f}",
        _ratio(result["cpu"]),
        _ratio(result["wall"]),
        "—" if target is None else f"<= {target}x",
        verdict,
    ]


def _goal(key: str, target: float, result: dict[str, list[float]]) -> None:
    """Record the row as goal `key` (bench_report.GOAL_ROWS), judged by its median CPU ratio."""
    figure = f"CPU {_ratio(result['cpu'])}, wall {_ratio(result['wall'])}"
    goal(key, figure, statistics.median(result["cpu"]) <= target)


def _warm_login_get(console_script: str, python: str, home: Path) -> list[str]:
    """A person's warm get: no credentials in the environment, a `runai-token login` session
    (file store) in a HOME of its own, whose index the get reads to find the login and key the
    cache. The session's refresh token is the server's; the first get mints with it (a refresh
    grant) and fills the cache, which the measured runs answer from."""
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNAI_")}
    env |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    with server_process(client=(CLIENT_ID, CLIENT_SECRET)) as server:
        refresh = server.call("issue_refresh_token", LOGIN_SUBJECT, client_id=LOGIN_CLIENT_ID)
        store = open_store("file", cache_dir=home / ".cache" / "runai-tokens")
        store.save(StoredLogin(server.url, LOGIN_CLIENT_ID, refresh, LOGIN_SUBJECT))
        get = [console_script, "get"]
        subprocess.run(get, env=env, capture_output=True, timeout=60, check=True)  # noqa: S603
        before = server.call("token_requests")
        assert before == 1, "the first get did not mint with the login"
        result = _paired(get, [python, "-c", "pass"], env)
        assert server.call("token_requests") == before, "a warm get made a grant"
    return _row(
        "warm `runai-token get` with a `runai-token login` session (file store, token cached)",
        "`python -c pass`",
        None,
        result,
    )


def startup() -> Section:
    python = wheel_python()
    script = console_script()
    rows: list[list[str]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its .pyc files
        result = _paired([python, "-c", CONNECT], [python, "-c", "import httpx, attrs"], env)
        rows.append(
            _row(
                "`from runai_tokens import connect, ...; connect(...)`",
                "`import httpx, attrs`",
                1.15,
                result,
            )
        )
        _goal("startup", 1.15, result)
        # The warm CLI: the cache is filled once against a fake server, which the measured
        # runs never contact (a warm `get` answers from its cache file).
        with server_process(client=(CLIENT_ID, CLIENT_SECRET)) as server:
            get_env = env | {
                "RUNAI_BASE_URL": server.url,
                "RUNAI_CLIENT_ID": CLIENT_ID,
                "RUNAI_CLIENT_SECRET": CLIENT_SECRET,
            }
            get = [script, "get"]
            subprocess.run(get, env=get_env, capture_output=True, timeout=60, check=True)  # noqa: S603
            before = server.call("token_requests")
            result = _paired(get, [python, "-c", "pass"], get_env)
            rows.append(
                _row("warm `runai-token get` (token cached)", "`python -c pass`", 2.5, result)
            )
            _goal("warm-get", 2.5, result)
            module = [python, "-m", "runai_tokens", "get"]
            result = _paired(module, [python, "-c", "pass"], get_env)
            rows.append(_row("warm `python -m runai_tokens get`", "`python -c pass`", None, result))
            assert server.call("token_requests") == before, "a warm get made a grant"
        rows.append(_warm_login_get(script, python, Path(tmp) / "person"))
        # The server in a process of its own (server_process), so that its threads take no CPU
        # from the benchmark's process, which starts and times the pairs.
        with server_process(client=(CLIENT_ID, CLIENT_SECRET)) as server:
            server.call("add_protected_path", PROTECTED)
            first = [python, "-c", FIRST_CALL, server.url]
            raw = [python, "-c", RAW_FIRST_CALL, server.url]
            result = _paired(first, raw, env)
        rows.append(
            _row(
                "first authenticated call in a fresh process: connect(ClientCredentials), "
                "its grant and one GET",
                "raw httpx: the same grant (POST /api/v2/token) and GET with the bearer",
                None,
                result,
            )
        )
    load_after = os.getloadavg()[0]
    return section(
        f"11. Start-up against its floor: {ROUNDS} paired rounds of whole processes",
        "Both from a regular wheel install with bytecode, in a venv of its own. Each round runs "
        "the command and its floor one after the other, in alternating order; a ratio is "
        "command / floor within a round. Median, then (min-max) over the rounds. Pass/fail "
        "compares the median CPU ratio with the goal (issue 19); rows without one are for "
        "comparison. The first call's server is a FakeRunaiServer in a process of its own, on "
        "loopback.",
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
            f"Load average (1 min) {load_before:.1f} before and {load_after:.1f} after, on "
            f"{os.cpu_count()} cores: other work shared the machine, so absolute milliseconds "
            "are inflated; the ratios, taken within a round, are what to compare.",
            "kubectl runs the console script (`runai-token`); `python -m` adds runpy's own "
            "imports.",
        ],
    )
