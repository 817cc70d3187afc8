"""Benchmark 12: the test kit's own speed. Downstream test suites run their calls through
FakeRunaiServer, so what it answers per second bounds how fast those suites can go.

The server runs in a process of its own (server_process.py); the callers are plain sockets in
this process sending prepared requests and reading answers by their Content-Length, so that as
little of the client as possible is in the figure. Per workload: requests per second (wall), and
the server process's CPU per request (all its threads), median (min to max) over rounds.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import BinaryIO

from bench_report import Section, median_range, section
from runai_tokens.testing import PROTECTED_PATH
from server_process import BENCH_CLIENT, RemoteServer, server_process

ROUNDS = 5
SEQUENTIAL = 1000  # requests per round over one kept-alive connection
PARALLEL = 8  # kept-alive connections, each its own thread
BURST = 256  # callers that connect at once, one grant each
GUARD = 60.0  # seconds: a hang guard on every socket, not a threshold
GRANT_BODY = json.dumps(
    {
        "grantType": "client_credentials",
        "clientId": BENCH_CLIENT[0],
        "clientSecret": BENCH_CLIENT[1],
    }
).encode()


def _server_cpu(server: object) -> float:
    """Run in the server's process: its CPU seconds so far, all threads."""
    return time.process_time()


def _get(host: str, token: str) -> bytes:
    return (
        f"GET {PROTECTED_PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()


def _grant(host: str) -> bytes:
    head = (
        f"POST /api/v1/token HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(GRANT_BODY)}\r\n\r\n"
    )
    return head.encode() + GRANT_BODY


def _exchange(sock: socket.socket, answers: BinaryIO, request: bytes) -> int:
    """Send one request, read its answer whole; the status."""
    sock.sendall(request)
    status = int(answers.readline().split()[1])
    length = 0
    while (line := answers.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    answers.read(length)
    return status


def _keep_alive(address: tuple[str, int], request: bytes, calls: int) -> list[int]:
    """calls requests over one kept-alive connection; their statuses."""
    with socket.create_connection(address, timeout=GUARD) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with sock.makefile("rb") as answers:
            return [_exchange(sock, answers, request) for _ in range(calls)]


def _in_threads(work: Callable[[], list[int]], threads: int) -> list[int]:
    """work() in `threads` threads released together; every status they saw. A thread that
    failed or hangs past the guard counts as one status -1 (not 200), never as nothing."""
    start = threading.Barrier(threads)
    seen: list[list[int]] = [[-1] for _ in range(threads)]

    def run(index: int) -> None:
        start.wait(GUARD)
        try:
            seen[index] = work()
        except OSError as exc:
            print(f"bench 12: a caller failed: {type(exc).__name__}")

    pool = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(GUARD * 2)
    return [status for statuses in seen for status in statuses]


def _measure(server: RemoteServer, work: Callable[[], list[int]]) -> tuple[float, float, int]:
    """Requests per second, server CPU µs per request, and how many answers were not 200."""
    cpu, wall = server.run(_server_cpu), time.perf_counter()
    statuses = work()
    wall, cpu = time.perf_counter() - wall, server.run(_server_cpu) - cpu
    return len(statuses) / wall, cpu / len(statuses) * 1e6, sum(s != 200 for s in statuses)


def _workloads(server: RemoteServer) -> dict[str, Callable[[], list[int]]]:
    host, port = server.url.removeprefix("http://").split(":")
    address = (host, int(port))
    token = server.call("issue_access_token", "bench-kit")
    get, grant = _get(host, token), _grant(host)
    per_thread = SEQUENTIAL // PARALLEL
    return {
        f"authenticated GET, 1 kept-alive connection ({SEQUENTIAL} in a row)": lambda: _keep_alive(
            address, get, SEQUENTIAL
        ),
        f"authenticated GET, {PARALLEL} kept-alive connections at once": lambda: _in_threads(
            lambda: _keep_alive(address, get, per_thread), PARALLEL
        ),
        f"client_credentials grant (a JWT signed), 1 connection ({SEQUENTIAL} in a row)": (
            lambda: _keep_alive(address, grant, SEQUENTIAL)
        ),
        f"a burst: {BURST} callers connect at once, one grant each": lambda: _in_threads(
            lambda: _keep_alive(address, grant, 1), BURST
        ),
    }


def kit(rounds: int = ROUNDS) -> Section:
    load_before = os.getloadavg()[0]
    rows: list[list[str]] = []
    with server_process() as server:
        workloads = _workloads(server)
        for work in workloads.values():
            work()  # warm-up: imports, the first JWT key use, the connection pool of threads
        for name, work in workloads.items():
            results = [_measure(server, work) for _ in range(rounds)]
            failed = sum(result[2] for result in results)
            rows.append(
                [
                    name,
                    median_range([result[0] for result in results]),
                    median_range([result[1] for result in results]),
                    "none" if failed == 0 else f"{failed} not 200",
                ]
            )
    return section(
        f"12. The test kit: what FakeRunaiServer answers per second ({rounds} rounds)",
        "FakeRunaiServer in a process of its own, as a downstream suite's calls meet it. The "
        "callers are bare sockets in the benchmark's process (prepared requests, answers read "
        "by Content-Length), so the figure is the server's. Requests per second (wall) and the "
        "server process's CPU per request, median (min to max) over the rounds.",
        ["workload", "requests/s", "server CPU µs per request", "failed"],
        rows,
        [
            "Each connection is served by a thread of its own (socketserver's "
            "ThreadingMixIn), so parallel callers share one GIL: more connections do not add "
            "throughput, they keep it.",
            "A grant signs a JWT (HMAC-SHA256) and checks the body against the contract's schema "
            "(its validators built once); an authenticated GET verifies the token.",
            f"The burst makes {BURST} new connections at once; the listen backlog holds them all, "
            "so none is refused or reset.",
            f"Noise: 1-minute load average {load_before:.1f} before and "
            f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs.",
        ],
    )


if __name__ == "__main__":
    print(kit().markdown())
