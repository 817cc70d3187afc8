"""`make bench`: runai-tokens against what users would use instead, measured on loopback.

    .venv/bin/python bench/run.py              every benchmark; writes bench/RESULTS.md
    .venv/bin/python bench/run.py --only 1,3   some of them; RESULTS.md is left alone
    .venv/bin/python bench/run.py --charts-only   redraws docs/bench/*.svg from RESULTS.md

A whole run also draws the benchmark page's charts (docs/bench/*.svg, charts.py) from the
figures it measured.

The competitors come from the `bench` extra (pip install -e '.[bench]'); one that is not
installed gets "n/a" and the reason in its row. All traffic goes to 127.0.0.1, to a
FakeRunaiServer in a process other than the client's (server_process.py; the CLI benchmarks run
their clients as processes instead). The benchmarks:

1. cold cache: token requests when 10 or 64 threads (or 64 asyncio tasks) need a token at once
2. an expired token: token requests, stale sends and failed calls when 16 threads (64 tasks) find
   the token expired; 2b. the same when the server has revoked a token the client thinks valid;
   2c. how long an asyncio event loop stops while the token is refreshed
3. a flaky control plane: success rate of 200 calls at 20 % and 50 % 503s or dropped connections
4. per-request overhead with a cached token, over plain httpx; 4b. grant_token through connect()
   against a raw httpx POST, 4c. connect()'s client against a fixed-header httpx.Client, in
   paired rounds
5. the CLI: `runai-token get` warm and cold, against the interpreter's own start-up
6. debug logging: secrets and tokens in log records
7. JWT expiry: base64url payloads
8. async GETs with sniffio importable or not (the `async` extra); 8b. connect()'s async client
   against a fixed-header AsyncClient, in paired rounds
9. the deadline against slow and broken answers: trickles, silence, resets, oversized bodies
10. a soak: 20,000 GETs over 32 threads with 5 % 503s and 1 % resets; errors against the retry
    ceiling's expectation, token requests, fds and threads before and after
11. start-up: connect() in a fresh process and a warm `runai-token get`, as ratios to their floors
12. the test kit: what FakeRunaiServer answers per second, kept-alive, in parallel and in a burst
13. revocation: 401s reaching callers and grants while the server revokes every token every
    1.5 s and every 6 s (8 threads), and grants against a server that refuses everything
    (`bench/run.py --only 13` runs just these)

Last, the goal rows with their verdicts (PASS or FAIL), from tables 4b, 4c, 8b and 11,
which time a regular wheel install with bytecode (wheel_env.py), not the editable one in .venv.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import bench_async
import bench_auth
import bench_cli
import bench_deadline
import bench_flaky
import bench_jwt
import bench_kit
import bench_logs
import bench_loop
import bench_overhead
import bench_revocation
import bench_soak
import bench_startup
import charts
from bench_report import GOALS, Section, goals_section

BENCHMARKS: dict[str, Callable[[], Section]] = {
    "1": bench_auth.cold_cache,
    "2": bench_auth.expired_token,
    "2b": bench_auth.revoked_token,
    "2c": bench_loop.loop_blocking,
    "3": bench_flaky.flaky,
    "4": bench_overhead.overhead,
    "4b": bench_overhead.grant_overhead,
    "4c": bench_overhead.get_overhead,
    "5": bench_cli.cli,
    "6": bench_logs.logs,
    "7": bench_jwt.jwt,
    "8": bench_async.sniffio,
    "8b": bench_async.overhead,
    "9": bench_deadline.deadline,
    "10": bench_soak.soak,
    "11": bench_startup.startup,
    "12": bench_kit.kit,
    "13": bench_revocation.revocation,
}

PACKAGES = ("runai-tokens", "httpx", "httpx-auth", "authlib", "runapy", "google-auth", "requests")
RESULTS = Path(__file__).with_name("RESULTS.md")
# The section of RESULTS.md kept by hand (the measurements behind the code's shape): no benchmark
# here writes it, so a full run carries it over from the file as it was.
KEPT_HEADING = "### Measurements behind the code's shape"


def _versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _kept_section() -> str:
    """The hand-kept section of RESULTS.md as it stands, from its heading on ("" when none)."""
    try:
        text = RESULTS.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    at = text.find("\n" + KEPT_HEADING)
    return text[at:] if at >= 0 else ""


def _quiet_competitors() -> None:
    """Warnings the competitors raise on import or use; they are not what is measured."""
    # Authlib adds an "always" filter for its deprecation warnings when first imported:
    # import it first, so that the filters below go in front of that one.
    with contextlib.suppress(ImportError):
        importlib.import_module("authlib.deprecate")
    warnings.filterwarnings("ignore", message=r".*httpx module is deprecated.*")
    warnings.filterwarnings("ignore", message=r"coroutine .* was never awaited")
    warnings.filterwarnings("ignore", category=ResourceWarning)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", help="comma-separated benchmark numbers, e.g. 1,3")
    parser.add_argument(
        "--charts-only",
        action="store_true",
        help="measure nothing: draw docs/bench/*.svg from the figures in bench/RESULTS.md",
    )
    args = parser.parse_args(argv)
    if args.charts_only:
        for path in charts.write_charts(charts.read_sections(RESULTS.read_text(encoding="utf-8"))):
            print(f"wrote {path}", file=sys.stderr)
        return 0
    # The processes the benchmarks start must find and write .pyc files, as an installed package
    # has them: with PYTHONDONTWRITEBYTECODE set, every start-up would compile each module that
    # changed since its .pyc was written, and time that instead.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    chosen = list(BENCHMARKS) if args.only is None else args.only.split(",")
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    _quiet_competitors()
    header = (
        "## Benchmarks\n\n"
        f"Measured by `make bench` (bench/run.py) on {time.strftime('%Y-%m-%d')}: "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}; "
        f"{_versions()}. Loopback only; numbers vary by machine, ratios and counts do not.\n"
    )
    print(header, flush=True)
    parts = [header]
    sections: dict[str, Section] = {}
    started = time.perf_counter()
    for number in chosen:
        begun = time.perf_counter()
        sections[number] = BENCHMARKS[number]()
        text = sections[number].markdown()
        print(text, flush=True)
        print(f"({time.perf_counter() - begun:.1f} s)\n", file=sys.stderr, flush=True)
        parts.append(text)
    if GOALS:
        text = goals_section().markdown()
        print(text, flush=True)
        parts.insert(1, text)
    print(f"all done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.only is None:
        RESULTS.write_text("\n".join(parts) + _kept_section(), encoding="utf-8")
        print(f"wrote {RESULTS}", file=sys.stderr)
        for path in charts.write_charts(sections):
            print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
