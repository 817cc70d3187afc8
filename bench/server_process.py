"""FakeRunaiServer in a process of its own: the one server every benchmark talks to.

A benchmark measures the client, so the server's threads, GIL and memory stay out of the
client's process. server_process() starts FakeRunaiServer(**options) in a child made with
multiprocessing's spawn, registers the benchmarks' identity (as a client for client_credentials,
and as an app for runapy's app_token grant), and yields a RemoteServer that drives it over a
pipe: call() reads an attribute or calls a method (counts, token_requests, fail_next, ...), and
run() calls a module-level function with the server in the child, for work that would cost a
round trip per step (queueing thousands of faults, checking many tokens).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import attrs
from runai_tokens.testing import Counts, FakeRunaiServer

T = TypeVar("T")


@attrs.frozen
class Target:
    """Where a client under test goes, and who it is."""

    url: str
    client_id: str
    client_secret: str = attrs.field(repr=False)


BENCH_CLIENT = ("bench-client", "fake-secret-bench-0123456789")


class RemoteServer:
    """A FakeRunaiServer in another process; every call is one round trip over the pipe."""

    def __init__(self, conn: Connection, url: str, client: tuple[str, str]) -> None:
        self._conn = conn
        self.url = url
        self.target = Target(url, *client)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """server.<name>(*args, **kwargs), or the attribute's value when it is not callable."""
        return self._ask(("call", name, args, kwargs))

    def run(self, function: Callable[..., T], *args: Any) -> T:
        """function(server, *args) in the server's process (a module-level function)."""
        result: T = self._ask(("run", function, args, {}))
        return result

    @property
    def counts(self) -> Counts:
        result: Counts = self.call("counts")
        return result

    def _ask(self, question: tuple[str, Any, tuple[Any, ...], dict[str, Any]]) -> Any:
        self._conn.send(question)
        ok, answer = self._conn.recv()
        if not ok:
            raise RuntimeError(f"the server process failed: {answer}")
        return answer


def _serve(conn: Connection, client: tuple[str, str], options: dict[str, Any]) -> None:
    """The child: a FakeRunaiServer answering the parent's questions until told to stop."""
    with FakeRunaiServer(**options) as server:
        server.add_client(*client)
        server.add_app(*client)
        conn.send(server.url)
        while (question := conn.recv()) is not None:
            kind, what, args, kwargs = question
            try:
                if kind == "run":
                    answer = what(server, *args)
                else:
                    answer = getattr(server, what)
                    answer = answer(*args, **kwargs) if callable(answer) else answer
            except Exception as exc:
                conn.send((False, f"{type(exc).__name__}: {exc}"))
            else:
                conn.send((True, answer))


@contextlib.contextmanager
def server_process(
    *, client: tuple[str, str] = BENCH_CLIENT, **options: Any
) -> Iterator[RemoteServer]:
    """FakeRunaiServer(**options) in a spawned child, until the block ends."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, client, options), daemon=True)
    process.start()
    child.close()  # the child's end is the child's: this process keeps only its own
    try:
        yield RemoteServer(parent, parent.recv(), client)
        parent.send(None)
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
        parent.close()
