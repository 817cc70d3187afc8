"""Benchmark 13: revocation without a 401 storm, and no grant storm against a refusing server.

Eight threads make GETs to the protected endpoint through one httpx.Client with one TokenAuth,
as fast as they can, for a fixed time, against a FakeRunaiServer in its own process whose grants
take 50 ms. Every `interval` seconds the server revokes every token it issued. Counted: requests,
those whose 401 reached the caller (after TokenAuth's one replay), revocations, and the server's
token requests. Goals: at most 5 % of requests end in a 401, and one grant per revocation plus the
first (within one, for a revocation that races a grant).

Then two servers that refuse everything, for 3 s each: one whose API refuses every token (an
injected 401 on every protected request), one that refuses the client's grant. The goal: at
most 30 grants in the 3 s, whatever the eight threads do.
"""

from __future__ import annotations

import threading
import time

import httpx
from bench_report import Section, section
from runai_tokens import ClientCredentials, TokenAuth
from runai_tokens.errors import ApiException
from runai_tokens.testing import PROTECTED_PATH
from server_process import RemoteServer, Target, server_process

THREADS = 8
GRANT_DELAY = 0.05
DURATION = 13.5  # revocations at every multiple of the interval below it: 8 at 1.5 s, 2 at 6 s
INTERVALS = (1.5, 6.0)
STORM_SECONDS = 3.0
MAX_401_SHARE = 0.05
MAX_STORM_GRANTS = 30
HEADER = (
    "scenario",
    "requests",
    "401s reaching callers",
    "revocations",
    "grants",
    "goal",
    "verdict",
)


class Tally:
    """What the threads saw, added up under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.rejected = 0  # a 401 answer, or an ApiException with status 401, reached the caller
        self.other: dict[str, int] = {}

    def add(self, outcome: int | str) -> None:
        with self._lock:
            self.requests += 1
            if outcome == 401:
                self.rejected += 1
            elif outcome != 200:
                self.other[str(outcome)] = self.other.get(str(outcome), 0) + 1


def _hammer(target: Target, stop: threading.Event, tally: Tally, *, secret: str | None) -> None:
    """THREADS threads making GETs through one client until `stop` is set."""
    credentials = ClientCredentials(target.client_id, secret or target.client_secret)
    auth = TokenAuth(target.url, credentials)
    with httpx.Client(base_url=target.url, auth=auth) as client:

        def worker() -> None:
            while not stop.is_set():
                try:
                    tally.add(client.get(PROTECTED_PATH).status_code)
                except ApiException as exc:  # a refused grant, raised from the GET
                    tally.add(exc.status if exc.status is not None else type(exc).__name__)
                except httpx.HTTPError as exc:
                    tally.add(type(exc).__name__)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    auth.close()


def _run(
    server: RemoteServer, seconds: float, interval: float | None, *, secret: str | None = None
) -> tuple[Tally, int, int]:
    """The threads for `seconds`, revoking every `interval`: (tally, revocations, grants)."""
    stop = threading.Event()
    tally = Tally()
    before = server.counts.token_requests
    runner = threading.Thread(
        target=_hammer, args=(server.target, stop, tally), daemon=True, kwargs={"secret": secret}
    )
    start = time.monotonic()
    runner.start()
    revocations = 0
    if interval is not None:
        while (due := start + (revocations + 1) * interval) < start + seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            server.call("revoke_all")
            revocations += 1
    time.sleep(max(0.0, start + seconds - time.monotonic()))
    stop.set()
    runner.join(timeout=60)
    return tally, revocations, server.counts.token_requests - before


def _share(tally: Tally) -> str:
    share = tally.rejected / tally.requests if tally.requests else 1.0
    text = f"{tally.rejected:,} ({share:.1%})"
    if tally.other:
        text += "; " + ", ".join(f"{n:,}x {o}" for o, n in sorted(tally.other.items()))
    return text


def _revocation_row(interval: float) -> list[str]:
    with server_process(grant_delay=GRANT_DELAY) as server:
        tally, revocations, grants = _run(server, DURATION, interval)
    share = tally.rejected / tally.requests if tally.requests else 1.0
    ok = share <= MAX_401_SHARE and abs(grants - (revocations + 1)) <= 1 and not tally.other
    return [
        f"revoked every {interval:g} s, {DURATION:g} s",
        f"{tally.requests:,}",
        _share(tally),
        str(revocations),
        str(grants),
        f"≤ {MAX_401_SHARE:.0%} 401s; grants = revocations + 1 (± 1)",
        "PASS" if ok else "FAIL",
    ]


def _storm_row(what: str, server: RemoteServer, *, secret: str | None = None) -> list[str]:
    tally, _, grants = _run(server, STORM_SECONDS, None, secret=secret)
    return [
        f"{what}, {STORM_SECONDS:g} s",
        f"{tally.requests:,}",
        _share(tally),
        "",
        str(grants),
        f"≤ {MAX_STORM_GRANTS} grants",
        "PASS" if grants <= MAX_STORM_GRANTS else "FAIL",
    ]


def revocation() -> Section:
    rows = [_revocation_row(interval) for interval in INTERVALS]
    with server_process(grant_delay=GRANT_DELAY) as server:
        server.call("fail_next", 10_000_000, 401, path=PROTECTED_PATH)
        rows.append(_storm_row("every token refused by the API", server))
    with server_process(grant_delay=GRANT_DELAY) as server:
        rows.append(_storm_row("every grant refused", server, secret="fake-secret-WRONG"))
    return section(
        f"13. Revocation: {THREADS} threads while the server revokes every token, and while it "
        "refuses everything",
        f"{THREADS} threads make GETs through one httpx.Client and one TokenAuth for a fixed "
        "time; the server revokes every token it issued at each multiple of the interval. A 401 "
        "reaches a caller only when TokenAuth's one replay does not mend it. Grants: the "
        "server's token requests. Token endpoint latency 50 ms.",
        HEADER,
        rows,
        [
            "A token accepted (a 2xx) and then refused is replaced at once, one grant for all "
            "threads. A token refused before it was ever accepted is replaced once and starts "
            "a 2 to 5 s cooldown, as a refused grant does: the refusing servers get one grant "
            "per cooldown, plus the first token's.",
        ],
    )
