"""The pinned Prism mock server for contract tests: one process per OpenAPI document.

A pytest plugin (test modules load it with ``pytest_plugins = ["tests.prism"]``). The first test
that needs Prism starts one process per document at once, so the session pays for one Node.js
start-up rather than three; each document's fixture then waits only for its own process.
Without Node.js or Prism the tests skip locally but fail under CI, which must never skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs
import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
PRISM = REPO / "node_modules" / ".bin" / "prism"
# CI lays shared/ beside the clone, as the sessions have it beside /work/main.
REFERENCE = REPO.parent / "shared" / "reference"
DOCUMENTS: Mapping[str, Path] = {
    "ours": REPO / "openapi.yaml",
    "2.18": REFERENCE / "runai-2.18-tokens.json",
    "2.24": REFERENCE / "runai-2.24-tokens.json",
}
# Node.js starts Prism in about a second here; CI machines can be slower and busier.
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0


@attrs.frozen
class PrismServer:
    document: Path
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-4000:]


def require_prism() -> None:
    """Skip without Node.js or Prism; under CI (CI set) fail instead."""
    missing = []
    if shutil.which("node") is None:
        missing.append("Node.js (node on PATH)")
    if not PRISM.exists():
        missing.append(f"{PRISM.relative_to(REPO)} (run `make setup`)")
    if not missing:
        return
    reason = "the contract tests need " + " and ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run them, not skip them", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def launch(document: Path, log: Path) -> PrismServer:
    """Start Prism without waiting for it: callers start several, then wait for each."""
    port = free_port()
    with log.open("wb") as out:
        # --errors: a request that breaks the contract is answered with an error, not a 200.
        process = subprocess.Popen(
            [str(PRISM), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(document)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    return PrismServer(document, f"http://127.0.0.1:{port}", process, log)


def wait_until_ready(server: PrismServer, *, timeout: float = STARTUP_TIMEOUT) -> None:
    """Return once Prism answers HTTP (any status); fail with its output if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise PrismStartError(server, f"exited with status {server.process.returncode}")
        try:
            httpx.get(f"{server.url}/", timeout=1.0, trust_env=False)
        except httpx.TransportError:
            time.sleep(0.05)
        else:
            return
    stop(server)
    raise PrismStartError(server, f"did not answer within {timeout:.0f} s")


class PrismStartError(Exception):
    def __init__(self, server: PrismServer, what: str) -> None:
        super().__init__(
            f"Prism serving {server.document} on {server.url} {what}. Its output:\n"
            f"{server.output()}"
        )
        self.server = server


def stop(server: PrismServer) -> None:
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=STOP_TIMEOUT)


@attrs.define
class PrismPool:
    """Prism processes keyed like DOCUMENTS; a document that is missing is reported on use."""

    servers: dict[str, PrismServer]
    missing: dict[str, Path]
    ready: set[str] = attrs.field(factory=set)

    def url(self, key: str) -> str:
        if key in self.missing:
            pytest.fail(
                f"{self.missing[key]} is missing: the upstream contract tests need "
                f"shared/reference/ beside the repository ({REFERENCE})",
                pytrace=False,
            )
        server = self.servers[key]
        if key not in self.ready:
            try:
                wait_until_ready(server)
            except PrismStartError as error:
                pytest.fail(str(error), pytrace=False)
            self.ready.add(key)
        return server.url


@pytest.fixture(scope="session")
def prism_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismPool]:
    require_prism()
    logs = tmp_path_factory.mktemp("prism")
    servers: dict[str, PrismServer] = {}
    missing: dict[str, Path] = {}
    try:
        for key, document in DOCUMENTS.items():
            if document.is_file():
                servers[key] = launch(document, logs / f"prism-{key}.log")
            else:
                missing[key] = document
        yield PrismPool(servers, missing)
    finally:
        for server in servers.values():
            stop(server)


@pytest.fixture(scope="session")
def prism_ours(prism_pool: PrismPool) -> str:
    """Base URL of Prism serving the project's openapi.yaml."""
    return prism_pool.url("ours")


@pytest.fixture(scope="session")
def prism_2_18(prism_pool: PrismPool) -> str:
    """Base URL of Prism serving upstream's 2.18 document (it demands a bearer)."""
    return prism_pool.url("2.18")


@pytest.fixture(scope="session")
def prism_2_24(prism_pool: PrismPool) -> str:
    """Base URL of Prism serving upstream's 2.24 document (it demands a bearer)."""
    return prism_pool.url("2.24")
