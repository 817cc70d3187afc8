"""The pinned Prism mock server for contract tests: one process per OpenAPI document.

A pytest plugin (test modules load it with ``pytest_plugins = ["tests.helpers.prism"]``). The
documents are openapi.yaml and the seven upstream excerpts in tests/upstream/, one per
control-plane version (tests/helpers/versions.py). Once collection shows that some test needs
Prism, one process per document is started at once, so the session pays for one Node.js start-up
rather than eight in a row, and pays it while the tests before the contract tests run; each
document's fixture then waits only for its own process.
Without Node.js or Prism the tests skip locally but fail under CI, which must never skip.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from tests.helpers import node
from tests.helpers.node import STARTUP_TIMEOUT
from tests.helpers.versions import DOCUMENTS, REPO

PRISM = REPO / "node_modules" / ".bin" / "prism"


@attrs.frozen
class PrismServer:
    document: Path
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-4000:]


def prism_missing() -> list[str]:
    """What is missing to run Prism: Node.js, Prism itself, or nothing."""
    return node.missing(PRISM)


def require_prism() -> None:
    """Skip without Node.js or Prism; under CI (CI set) fail instead."""
    node.require(prism_missing(), "the contract tests")


def launch(document: Path, log: Path) -> PrismServer:
    """Start Prism without waiting for it: callers start several, then wait for each."""
    port = node.free_port()
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
    failure = node.not_answering(server.process, f"{server.url}/", timeout=timeout)
    if failure is not None:
        raise PrismStartError(server, failure)


class PrismStartError(Exception):
    def __init__(self, server: PrismServer, what: str) -> None:
        super().__init__(
            f"Prism serving {server.document} on {server.url} {what}. Its output:\n"
            f"{server.output()}"
        )
        self.server = server


def stop(server: PrismServer) -> None:
    node.stop(server.process)


@attrs.define
class PrismPool:
    """Prism processes keyed like DOCUMENTS, each launched at the latest on its first use and
    waited for then."""

    logs: Path
    servers: dict[str, PrismServer] = attrs.field(factory=dict)
    ready: set[str] = attrs.field(factory=set)

    def launch(self, key: str) -> None:
        if key not in self.servers:
            self.servers[key] = launch(DOCUMENTS[key], self.logs / f"prism-{key}.log")

    def url(self, key: str) -> str:
        self.launch(key)
        server = self.servers[key]
        if key not in self.ready:
            try:
                wait_until_ready(server)
            except PrismStartError as error:
                pytest.fail(str(error), pytrace=False)
            self.ready.add(key)
        return server.url


POOL = pytest.StashKey[PrismPool]()


def start_pool(config: pytest.Config, *, launch_all: bool) -> PrismPool:
    """The session's pool, with one Prism per document launched at once if launch_all."""
    pool = config.stash[POOL] = PrismPool(Path(tempfile.mkdtemp(prefix="prism-")))
    if launch_all:
        for key in DOCUMENTS:
            pool.launch(key)
    return pool


def in_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start Prism as soon as it is known to be needed, not when the first such test runs.

    Node.js then starts while the tests collected before the contract tests run, so the
    session hardly waits for it. A pytest-xdist worker collects every test but runs only some
    (--dist loadfile: whole modules): there each document's Prism starts on its first use, so
    only the worker that runs a module's tests starts the processes they need, while the other
    worker keeps the cores busy.
    """
    if prism_missing() or POOL in session.config.stash or in_xdist_worker(session.config):
        return
    if any("prism_pool" in getattr(item, "fixturenames", ()) for item in session.items):
        start_pool(session.config, launch_all=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    pool = session.config.stash.get(POOL, None)
    if pool is not None:
        for server in pool.servers.values():
            stop(server)
        shutil.rmtree(pool.logs, ignore_errors=True)
        del session.config.stash[POOL]


@pytest.fixture(scope="session")
def prism_pool(pytestconfig: pytest.Config) -> PrismPool:
    require_prism()
    pool = pytestconfig.stash.get(POOL, None)
    if pool is None:
        pool = start_pool(pytestconfig, launch_all=not in_xdist_worker(pytestconfig))
    return pool


@pytest.fixture(scope="session")
def prism_ours(prism_pool: PrismPool) -> str:
    """Base URL of Prism serving the project's openapi.yaml."""
    return prism_pool.url("ours")


@pytest.fixture(scope="session")
def prism_upstream(prism_pool: PrismPool) -> Callable[[str], str]:
    """Base URL of Prism serving upstream's document for a version ("2.18" ... "2.24").

    Every upstream document demands a bearer, on the token operations too.
    """
    return prism_pool.url
