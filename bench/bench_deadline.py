"""Benchmark 9: the deadline against slow and broken answers, measured in wall time.

    .venv/bin/python bench/run.py --only 9

The server is FakeRunaiServer in a process of its own (server_process: so that the client's GIL,
its threads and its memory are the client's alone), driven through a pipe: each case queues one
fault, then a TokenAuth (or a connect() client) asks for a token and the time until the outcome
is measured.
Cases: a body trickled at 1 byte per second; the status line and headers trickled too; a server
that never answers; a connection reset mid-body; a 600 MiB answer, with and without a
Content-Length (peak RSS growth of this process is reported too).
"""

from __future__ import annotations

import asyncio
import resource
import threading
import time
from collections.abc import Callable
from typing import Any

from bench_report import Section, section
from runai_tokens import ApiException, ClientCredentials, RetryPolicy, TokenAuth, connect
from runai_tokens.testing import FakeRunaiServer
from server_process import server_process

CLIENT = ("bench-deadline", "fake-secret-bench-deadline")
# A sync client reading trickled headers of an answer that is not a token operation's is bounded
# only by its per-read timeout: give up watching it after this long, rather than wait the many
# minutes the whole answer would take.
PATIENCE = 20.0


def _outcome(call: Callable[[], object]) -> tuple[float, str]:
    """Wall seconds until call returns or raises, and what it came to (up to PATIENCE)."""
    result: list[str] = []

    def run() -> None:
        try:
            call()
            result.append("token")
        except ApiException as exc:
            cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "no cause"
            result.append(f"ApiException({exc.status}), {cause}")
        except Exception as exc:
            result.append(type(exc).__name__)

    started = time.perf_counter()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(PATIENCE)
    elapsed = time.perf_counter() - started
    if worker.is_alive():
        return elapsed, f"still waiting at {PATIENCE:.0f} s (abandoned)"
    return elapsed, result[0]


def _get(mode: str, auth: TokenAuth) -> Callable[[], object]:
    if mode == "sync":
        return auth.get_token
    return lambda: asyncio.run(auth.aget_token())


def _whoami(mode: str, url: str, policy: RetryPolicy, timeout: float) -> Callable[[], object]:
    def sync() -> object:
        with connect(url, retry=policy, timeout=timeout) as client:
            return client.get_httpx_client().get(FakeRunaiServer.PROTECTED_PATH).status_code

    async def main() -> object:
        async with connect(url, retry=policy, timeout=timeout) as client:
            response = await client.get_async_httpx_client().get(FakeRunaiServer.PROTECTED_PATH)
            return response.status_code

    return sync if mode == "sync" else (lambda: asyncio.run(main()))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


CASES: list[tuple[str, str, dict[str, Any], str, dict[str, Any]]] = [
    # (case, fault method, its arguments, before (issue 9), client settings)
    ("600 MiB answer, Content-Length", "oversized_next", {}, "read whole, RSS 1.9 GB", {}),
    (
        "600 MiB answer, no length",
        "oversized_next",
        {"content_length": False},
        "read whole, RSS 1.9 GB",
        {},
    ),
    (
        "body trickled at 1 B/s",
        "trickle_next",
        {"bytes_per_second": 1},
        "24-39 s",
        {"timeout": 2, "deadline": 4},
    ),
    (
        "headers and body trickled at 1 B/s",
        "trickle_next",
        {"bytes_per_second": 1, "headers": True},
        "",
        {"timeout": 2, "deadline": 4},
    ),
    ("silent server", "delay_next", {"seconds": 120}, "8 s", {"timeout": 8, "deadline": 3}),
    (
        "reset after 10 body bytes",
        "reset_next",
        {"after_bytes": 10},
        "not retried (ReadError)",
        {},
    ),
]


def deadline() -> Section:
    rows: list[list[str]] = []
    with server_process(client=CLIENT) as remote:
        for case, fault, kwargs, before, settings in CASES:
            policy = RetryPolicy(deadline=settings.get("deadline", 60.0), backoff_max=1.0)
            timeout = settings.get("timeout", 30.0)
            label = f"timeout={timeout:g}, deadline={policy.deadline:g}"
            for mode in ("sync", "async"):
                remote.call(fault, n=1, **kwargs)
                counted = remote.call("count")
                rss = _peak_rss_mb()
                auth = TokenAuth(remote.url, ClientCredentials(*CLIENT), retry=policy,
                                 timeout=timeout)  # fmt: skip
                elapsed, outcome = _outcome(_get(mode, auth))
                grown = _peak_rss_mb() - rss
                sent = remote.call("count") - counted
                memory = f"; peak RSS +{grown:.0f} MB" if fault == "oversized_next" else ""
                rows.append([case, f"TokenAuth {mode}", label, before,
                             f"{elapsed:.2f}", f"{outcome}{memory}", str(sent)])  # fmt: skip
        for case, headers in (("body", False), ("headers and body", True)):
            for mode in ("sync", "async"):
                policy = RetryPolicy(deadline=4)
                remote.call("trickle_next", n=1, bytes_per_second=1, headers=headers)
                counted = remote.call("count")
                elapsed, outcome = _outcome(_whoami(mode, remote.url, policy, 2))
                sent = remote.call("count") - counted
                rows.append([f"{case} trickled at 1 B/s", f"connect() GET {mode}",
                             "timeout=2, deadline=4", "", f"{elapsed:.2f}", outcome,
                             str(sent)])  # fmt: skip
    return section(
        "9. The deadline against slow and broken answers (wall seconds until the outcome)",
        "FakeRunaiServer in its own process queues one fault per row; a fresh TokenAuth asks for "
        "a token (the connect() rows GET the protected endpoint). 'before' is what issue 9 "
        "reported for the previous release.",
        ["fault", "caller", "settings", "before", "now, s", "outcome", "requests"],
        rows,
        [
            "The deadline bounds the whole exchange: every attempt's timeouts are cut to the "
            "time left, a body read inside the retry loop is checked after every chunk, under "
            "asyncio an attempt is cancelled at the deadline, and a sync token request has its "
            "socket shut down at the deadline.",
            "The one gap: a sync request that is not a token operation (connect()'s GET) whose "
            "server trickles the status line and headers is bounded only by the per-read "
            "timeout (each read waits at most the time left, but a byte a second never lets it "
            "expire): the row shows it still waiting when the benchmark stops watching.",
            "A reset mid-body is retried for a grant (two requests, the first token lost on "
            "the way); an oversized answer is refused from its Content-Length, or after 1 MiB "
            "without one, and is not retried.",
            "'requests' counts what the server logged during the row; it logs a request when it "
            "answers it, so the silent server's request (answered two minutes later) is not in "
            "it.",
        ],
    )


if __name__ == "__main__":
    print(deadline().markdown())
