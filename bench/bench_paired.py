"""Paired rounds of two client stacks, each round in a fresh client process.

A ratio between two stacks measured minutes apart is mostly the machine's drift. Here every
round is one client process that warms both stacks up, then times `calls` sequential calls of
each, in BLOCKS turns that alternate (A B B A A B ...; the next round starts with B), so that
drift within a round falls on both stacks alike, as does drift between rounds. The ratio is
taken per round, of client CPU time (time.process_time: every thread of the client process,
none of the server's) and of wall time, and reported as the median with its range. The server
(FakeRunaiServer, server_process.py) runs in its own process throughout; the client processes
run from a regular wheel install with bytecode (wheel_env).

    .venv/bin/python bench/bench_paired.py --client KIND URL ID SECRET --order ab --calls N

is one round (what paired() starts); KIND is one of CLIENTS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs
from bench_report import Section, goal, median_range, section

WARMUP = 10  # calls of each stack per block, before the timed ones
# A round times each stack in this many turns, alternating: A B B A A B ...
BLOCKS = 10
# FakeRunaiServer.PROTECTED_PATH, written out: a client process imports no test kit.
PROTECTED_PATH = "/api/v1/whoami"
Call = Callable[[], object]


@attrs.frozen
class Ratios:
    """Per-round figures of stack B against stack A (B / A); µs per call."""

    cpu_a: list[float]
    cpu_b: list[float]
    wall_a: list[float]
    wall_b: list[float]

    @property
    def cpu(self) -> list[float]:
        return [b / a for a, b in zip(self.cpu_a, self.cpu_b, strict=True)]

    @property
    def wall(self) -> list[float]:
        return [b / a for a, b in zip(self.wall_a, self.wall_b, strict=True)]


def verdict(values: Sequence[float], goal: float) -> str:
    """'1.04 (0.98 to 1.12) ≤ 1.10 ✓': the median ratio against its goal."""
    mark = "✓" if statistics.median(values) <= goal else "✗"
    return f"{median_range(values, 2)} {mark} ≤ {goal:.2f}"


def paired(kind: str, target: Any, calls: int, rounds: int) -> Ratios:
    """`rounds` client processes of `kind`, alternating which stack goes first."""
    from wheel_env import wheel_python

    python = wheel_python()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    figures: dict[str, list[float]] = {"cpu_a": [], "cpu_b": [], "wall_a": [], "wall_b": []}
    for number in range(rounds):
        order = "ab" if number % 2 == 0 else "ba"
        argv = [python, __file__, "--client", kind, target.url, target.client_id]
        done = subprocess.run(  # noqa: S603 - argv is built here, never from input
            [*argv, target.client_secret, "--order", order, "--calls", str(calls)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
            env=env,
        )
        result: dict[str, float] = json.loads(done.stdout)
        for key in figures:
            figures[key].append(result[key])
    return Ratios(**figures)


def paired_section(
    title: str,
    intro: str,
    ratios: Ratios,
    goals: tuple[float, float],
    notes: Sequence[str],
    key: str,
    label: str = "",
) -> Section:
    """One row: both stacks' CPU and wall µs per call, each ratio (B / A) with its goal (CPU,
    wall), recorded as goal `key` too (label: which of the goal's figures this is)."""
    met = statistics.median(ratios.cpu) <= goals[0] and statistics.median(ratios.wall) <= goals[1]
    figure = f"CPU {median_range(ratios.cpu, 2)}, wall {median_range(ratios.wall, 2)}"
    goal(key, f"{label}{figure}", met)
    row = [
        median_range(ratios.cpu_a),
        median_range(ratios.cpu_b),
        verdict(ratios.cpu, goals[0]),
        median_range(ratios.wall_a),
        median_range(ratios.wall_b),
        verdict(ratios.wall, goals[1]),
    ]
    header = ["CPU µs, A", "CPU µs, B", "CPU B / A", "wall µs, A", "wall µs, B", "wall B / A"]
    return section(title, intro, header, [row], notes)


def get_overhead(
    mode: str, title: str, calls: int, rounds: int, notes: Sequence[str] = ()
) -> Section:
    """4c (mode "sync") and 8b ("async"): connect()'s client against a fixed-header httpx one."""
    from server_process import Target, server_process  # the benchmark's side, not a client's

    client, getter = (
        ("httpx.Client", "get_httpx_client")
        if mode == "sync"
        else ("httpx.AsyncClient", "get_async_httpx_client")
    )
    load_before = os.getloadavg()[0]
    with server_process() as server:
        token = server.call("issue_access_token", f"bench-{mode}")
        # The token travels where a client secret would: the client process's argv.
        ratios = paired(f"{mode}-get", Target(server.url, "-", token), calls, rounds)
    return paired_section(
        f"{title} ({calls} sequential GETs, {rounds} paired rounds)",
        "The same authenticated GET of the protected endpoint, FakeRunaiServer in its own "
        f"process. A: {client}(base_url, headers={{Authorization: Bearer ...}}). B: "
        f"connect(base_url, StaticToken(...)).{getter}(), that is TokenAuth and "
        "RetryTransport. Each round is a fresh client process (a regular wheel install with "
        "bytecode) that warms both up, then times A and B in 10 alternating turns each "
        "(A B B A ...); CPU is the client process's own. Median (min to max) over the rounds; "
        "the ratios are per round. Goals (issue 19): CPU B / A ≤ 1.10, wall B / A ≤ 1.05.",
        ratios,
        (1.10, 1.05),
        [noise(load_before, rounds), *notes],
        "get",
        f"{mode}: ",
    )


def noise(load_before: float, rounds: int) -> str:
    return (
        f"Noise: 1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} "
        f"after, on {os.cpu_count()} CPUs. Each ratio is paired within a round ({rounds} "
        "rounds, the order alternating), so load that hits both halves of a round cancels out; "
        "the range shows what does not."
    )


# --- the client process ------------------------------------------------------------------------


def _blocks(order: str) -> list[str]:
    """The stacks' turns in a round: BLOCKS each, ABBAAB... (or BAABBA...), so that drift within
    the round, too, falls on both stacks alike."""
    return [
        name for number in range(BLOCKS) for name in (order if number % 2 == 0 else order[::-1])
    ]


def _timed(stacks: Mapping[str, Call], order: str, calls: int) -> dict[str, tuple[float, float]]:
    """µs of CPU and wall per call of each stack, over `calls` calls of each in BLOCKS turns."""
    spent = {name: [0.0, 0.0] for name in stacks}
    block = max(calls // BLOCKS, 1)
    for name in _blocks(order):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(block):
            stacks[name]()
        spent[name][0] += time.process_time() - cpu
        spent[name][1] += time.perf_counter() - wall
    per_call = 1e6 / (block * BLOCKS)
    return {name: (cpu * per_call, wall * per_call) for name, (cpu, wall) in spent.items()}


async def _atimed(
    stacks: Mapping[str, Callable[[], Awaitable[object]]], order: str, calls: int
) -> dict[str, tuple[float, float]]:
    """_timed() for coroutine functions."""
    spent = {name: [0.0, 0.0] for name in stacks}
    block = max(calls // BLOCKS, 1)
    for name in _blocks(order):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(block):
            await stacks[name]()
        spent[name][0] += time.process_time() - cpu
        spent[name][1] += time.perf_counter() - wall
    per_call = 1e6 / (block * BLOCKS)
    return {name: (cpu * per_call, wall * per_call) for name, (cpu, wall) in spent.items()}


def _grant(url: str, client_id: str, secret: str, order: str, calls: int) -> dict[str, float]:
    """A: raw httpx POST /api/v1/token; B: the generated grant_token.sync through connect()."""
    import httpx
    from runai_tokens import connect
    from runai_tokens_client.api.tokens import grant_token
    from runai_tokens_client.models import GrantType, TokenRequest, TokenResponse

    body = TokenRequest(GrantType.CLIENT_CREDENTIALS, client_id=client_id, client_secret=secret)
    raw_body = body.to_dict()

    with httpx.Client(base_url=url) as raw, connect(url, None) as client:

        def a() -> object:
            response = raw.post("/api/v1/token", json=raw_body)
            response.raise_for_status()
            return response.json()["accessToken"]

        def b() -> object:
            token = grant_token.sync(client=client, body=body)
            assert isinstance(token, TokenResponse)
            return token.access_token

        stacks = {"a": a, "b": b}
        _timed(stacks, order, WARMUP * BLOCKS)
        timed = _timed(stacks, order, calls)
    return _figures(timed)


def _sync_get(url: str, token: str, order: str, calls: int) -> dict[str, float]:
    """A: httpx.Client with a fixed header; B: connect()'s client (StaticToken)."""
    import httpx
    from runai_tokens import StaticToken, connect

    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=url, headers=headers) as fixed,
        connect(url, StaticToken(token)).get_httpx_client() as ours,
    ):

        def a() -> object:
            return fixed.get(PROTECTED_PATH).raise_for_status()

        def b() -> object:
            return ours.get(PROTECTED_PATH).raise_for_status()

        stacks = {"a": a, "b": b}
        _timed(stacks, order, WARMUP * BLOCKS)
        timed = _timed(stacks, order, calls)
    return _figures(timed)


async def _get(url: str, token: str, order: str, calls: int) -> dict[str, float]:
    """A: httpx.AsyncClient with a fixed header; B: connect()'s async client (StaticToken)."""
    import httpx
    from runai_tokens import StaticToken, connect

    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=url, headers=headers) as fixed,
        connect(url, StaticToken(token)).get_async_httpx_client() as ours,
    ):

        async def a() -> object:
            return (await fixed.get(PROTECTED_PATH)).raise_for_status()

        async def b() -> object:
            return (await ours.get(PROTECTED_PATH)).raise_for_status()

        stacks = {"a": a, "b": b}
        await _atimed(stacks, order, WARMUP * BLOCKS)
        timed = await _atimed(stacks, order, calls)
    return _figures(timed)


def _figures(timed: dict[str, tuple[float, float]]) -> dict[str, float]:
    figures = {f"cpu_{name}": timed[name][0] for name in "ab"}
    return figures | {f"wall_{name}": timed[name][1] for name in "ab"}


CLIENTS: dict[str, Callable[[str, str, str, str, int], dict[str, float]]] = {
    "grant": _grant,
    # The third argument is an access token here (the server issued it), not a secret.
    "sync-get": lambda url, _id, token, order, calls: _sync_get(url, token, order, calls),
    "async-get": lambda url, _id, token, order, calls: asyncio.run(_get(url, token, order, calls)),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--client", nargs=4, metavar=("KIND", "URL", "ID", "SECRET"), required=True)
    parser.add_argument("--order", choices=("ab", "ba"), required=True)
    parser.add_argument("--calls", type=int, required=True)
    args = parser.parse_args(argv)
    kind, url, client_id, secret = args.client
    print(json.dumps(CLIENTS[kind](url, client_id, secret, args.order, args.calls)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
