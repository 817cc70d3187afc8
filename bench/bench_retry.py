"""What RetryTransport costs and what its budget saves, on a loopback server.

    .venv/bin/python bench/bench_retry.py
    .venv/bin/python -m pytest -s bench/bench_retry.py

1. Overhead: sequential GETs answered 200, through httpx.HTTPTransport and through RetryTransport.
2. Budget: GETs to a service that always answers 503, with and without a retry budget; the
   budget caps how many extra requests a dead service receives. Sleeps are skipped (not timed).
3. Retry-After past the deadline: how long until RetryAfterExceedsDeadline reaches the caller.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from runai_tokens.errors import RetryAfterExceedsDeadline
from runai_tokens.retry import Clock, RetryPolicy, RetryTransport


@contextmanager
def serve(status: int, headers: dict[str, str] | None = None) -> Iterator[tuple[str, list[int]]]:
    hits = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in one write, so delayed ACKs do not add 40 ms to each GET.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            hits[0] += 1
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def per_request_us(transport: httpx.BaseTransport, url: str, n: int) -> float:
    timings = []
    with httpx.Client(transport=transport) as client:
        for _ in range(n):
            start = time.perf_counter()
            client.get(url)
            timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e6


def bench_overhead(n: int = 2000) -> None:
    with serve(200) as (url, _):
        plain = per_request_us(httpx.HTTPTransport(), url, n)
        retry = per_request_us(RetryTransport(), url, n)
    print(f"overhead: median per GET {plain:.0f} us plain, {retry:.0f} us with RetryTransport")


def bench_budget(n: int = 300) -> None:
    for capacity in (None, 500):
        policy = RetryPolicy(budget_capacity=capacity)
        with serve(503) as (url, hits):
            transport = RetryTransport(policy, clock=Clock(sleep=lambda _: None))
            with httpx.Client(transport=transport) as client:
                for _ in range(n):
                    client.get(url)
        print(f"budget={capacity}: {n} calls to a dead service sent {hits[0]} requests")


def bench_too_late(n: int = 200) -> None:
    timings = []
    with (
        serve(503, {"Retry-After": "3600"}) as (url, _),
        httpx.Client(transport=RetryTransport()) as client,
    ):
        for _ in range(n):
            start = time.perf_counter()
            try:
                client.get(url)
            except RetryAfterExceedsDeadline:
                timings.append(time.perf_counter() - start)
    median_ms = statistics.median(timings) * 1e3
    print(f"Retry-After 3600 s past a 60 s deadline: error after a median {median_ms:.2f} ms")


def test_bench_retry() -> None:
    bench_overhead()
    bench_budget()
    bench_too_late()


if __name__ == "__main__":
    test_bench_retry()
