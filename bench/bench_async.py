"""Benchmark 8: async GETs with and without sniffio importable (the `async` extra); 8b: what
connect()'s async client costs per GET over a fixed-header httpx.AsyncClient, in paired rounds
(bench_paired.py).

httpcore decides between asyncio and trio per request: each new lock, event, semaphore and
cancellation shield of its connection pool runs `import sniffio`. When sniffio is not installed
that import fails, and a failed import is not cached: every attempt searches all of sys.path
again. The `async` extra (pip install 'runai-tokens[async]') installs sniffio, so the import is a
dictionary lookup.

    .venv/bin/python bench/bench_async.py      this benchmark alone (run.py runs it as 8)

Everything runs in its own process: the FakeRunaiServer, and each client round (sequential GETs
to the protected endpoint over one kept-alive connection, after a warm-up). A round is measured
with sniffio importable and, right after or right before it (the order alternates), with sniffio
hidden. Hiding it does what a missing module costs: a full sys.path search, then
ModuleNotFoundError. Client CPU time per call is the figure; wall time includes the server's
share of the two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from bench_report import Section, median_range, section

CALLS = 1000
WARMUP = 100
ROUNDS = 7
STACKS = {
    "httpx.AsyncClient, fixed header": "httpx",
    "connect() async client (StaticToken, RetryTransport)": "connect",
}


class _HideSniffio(importlib.abc.MetaPathFinder):
    """Make `import sniffio` cost what it costs when sniffio is not installed."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "sniffio":
            return None
        importlib.machinery.PathFinder.find_spec(name, path)  # the search, found or not
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)


async def _calls(stack: str, url: str, token: str, calls: int) -> dict[str, float]:
    from runai_tokens import StaticToken, connect

    path = "/api/v1/whoami"
    if stack == "httpx":
        import httpx

        client = httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"})
    else:
        client = connect(url, StaticToken(token)).get_async_httpx_client()
    async with client:
        for _ in range(WARMUP):
            assert (await client.get(path)).status_code == 200
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(calls):
            assert (await client.get(path)).status_code == 200
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_us": cpu / calls * 1e6, "wall_us": wall / calls * 1e6}


def _client_main(args: argparse.Namespace) -> None:
    if args.hide_sniffio:
        sys.meta_path.insert(0, _HideSniffio())
    result = asyncio.run(_calls(args.stack, args.url, args.token, args.calls))
    result["sniffio"] = "sniffio" in sys.modules
    result["path_entries"] = len(sys.path)
    print(json.dumps(result))


@contextmanager
def _server() -> Iterator[tuple[str, str]]:
    # Imported here: a client round (this file run with --client) must import only what it
    # measures, or sniffio could be loaded before it is hidden.
    from server_process import server_process

    with server_process() as server:
        yield server.url, server.call("issue_access_token", "bench-async")


def _round(stack: str, url: str, token: str, hide: bool, calls: int) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--client", stack, url, token, "--calls", str(calls)]
    done = subprocess.run(  # noqa: S603 - argv is built here, never from input
        [*argv, *(["--hide-sniffio"] if hide else [])],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def sniffio(calls: int = CALLS, rounds: int = ROUNDS) -> Section:
    if importlib.util.find_spec("sniffio") is None:
        return section(
            "8. Async GETs: sniffio importable or not",
            "Not measured: sniffio is not installed here (pip install -e '.[async]').",
            ["stack"],
            [],
        )
    rows: list[list[str]] = []
    load_before = os.getloadavg()[0]
    path_entries = 0
    with _server() as (url, token):
        for name, stack in STACKS.items():
            cpu: dict[bool, list[float]] = {True: [], False: []}
            wall: dict[bool, list[float]] = {True: [], False: []}
            for number in range(rounds):
                # Paired rounds, alternating which goes first, so drift hits both alike.
                for hide in (False, True) if number % 2 == 0 else (True, False):
                    result = _round(stack, url, token, hide, calls)
                    assert result["sniffio"] is not hide
                    path_entries = result["path_entries"]
                    cpu[hide].append(result["cpu_us"])
                    wall[hide].append(result["wall_us"])
            pairs = zip(cpu[True], cpu[False], strict=True)
            ratios = [missing / present for missing, present in pairs]
            rows.append(
                [
                    name,
                    median_range(cpu[True]),
                    median_range(cpu[False]),
                    median_range(ratios, 2),
                    median_range(wall[True]),
                    median_range(wall[False]),
                ]
            )
    return section(
        f"8. Async GETs: sniffio importable or not ({calls} sequential GETs, {rounds} rounds)",
        "Client CPU time and wall time per GET in µs, median (min to max) over paired rounds, each "
        "in a fresh client process against a FakeRunaiServer in its own process. Missing: "
        "sniffio is hidden, so httpcore's `import sniffio` searches sys.path and fails on every "
        "request, as it does when the `async` extra is not installed. Ratio: CPU missing / CPU "
        "importable, per round.",
        [
            "stack",
            "CPU µs, sniffio missing",
            "CPU µs, importable",
            "CPU ratio",
            "wall µs, missing",
            "wall µs, importable",
        ],
        rows,
        [
            "pip install 'runai-tokens[async]' adds sniffio; the sync client never imports it.",
            f"The client's sys.path had {path_entries} entries: a failed import searches each, "
            "so a longer path (more .pth files, editable installs) costs more.",
            f"Noise: 1-minute load average {load_before:.1f} before and "
            f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs; the ratio is paired "
            "per round, so load that hits both halves of a round cancels out.",
        ],
    )


PAIRED_CALLS = 1000
PAIRED_ROUNDS = 20  # as GRANT_ROUNDS: 10 left the median ratio ±0.03 from run to run


def overhead(calls: int = PAIRED_CALLS, rounds: int = PAIRED_ROUNDS) -> Section:
    """8b: connect()'s async client against a fixed-header AsyncClient, paired per round."""
    from bench_paired import get_overhead

    return get_overhead(
        "async",
        "8b. Async GETs: connect() against a fixed-header AsyncClient",
        calls,
        rounds,
        ["sniffio is importable in both (the `async` extra)."],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--client", nargs=3, metavar=("STACK", "URL", "TOKEN"))
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--hide-sniffio", action="store_true")
    args = parser.parse_args(argv)
    if args.client is not None:
        args.stack, args.url, args.token = args.client
        _client_main(args)
    else:
        print(sniffio(args.calls, args.rounds).markdown())
        print(overhead().markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
