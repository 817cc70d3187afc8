"""FakeRunaiServer's grant script: hold token requests at a gate, or answer them from a list.

A test decides when a grant completes (hold_grants) instead of sleeping, and makes a grant fail
in an exact way (script_grants) while every other request keeps the server's real behaviour.
"""

from __future__ import annotations

import threading

from ._routes import WireReply
from ._scripted import Reply


class Gate:
    """Holds token requests at the server until open(); `arrived` is set by the first one, and
    wait_held(n) waits for n of them to be held at once.

    A request held longer than `timeout` seconds is answered 500: a test that forgot to open
    the gate fails instead of hanging.
    """

    def __init__(self, timeout: float = 60.0) -> None:
        self.arrived = threading.Event()
        self.timeout = timeout
        self._open = threading.Event()
        self._held = 0
        self._changed = threading.Condition()

    def open(self) -> None:
        self._open.set()

    def wait_held(self, n: int, timeout: float | None = None) -> bool:
        """Whether n requests were held at the gate at once before timeout (the gate's own
        timeout by default): a test that needs n requests in flight together waits here."""
        with self._changed:
            limit = self.timeout if timeout is None else timeout
            return self._changed.wait_for(lambda: self._held >= n, limit)

    def pass_through(self) -> None:
        self.arrived.set()
        with self._changed:
            self._held += 1
            self._changed.notify_all()
        try:
            if not self._open.wait(self.timeout):
                raise RuntimeError("the test never opened the grant gate")
        finally:
            with self._changed:
                self._held -= 1


class GrantScript:
    """The hold_grants() and script_grants() methods of FakeRunaiServer."""

    def __init__(self) -> None:
        self._script_lock = threading.Lock()
        self._gate: Gate | None = None
        self._scripted: list[Reply] = []

    def hold_grants(self, *, timeout: float = 60.0) -> Gate:
        """Token requests from now on wait at the returned gate until it is opened (stop()
        opens it too, so that a request still held there finishes)."""
        gate = Gate(timeout)
        with self._script_lock:
            self._gate = gate
        return gate

    def script_grants(self, *replies: Reply) -> None:
        """Answer the next len(replies) token requests with these, in order, instead of the
        grant logic (after any hold_grants() gate; an injected fault still comes first)."""
        with self._script_lock:
            self._scripted.extend(replies)

    def _release_gate(self) -> None:
        with self._script_lock:
            gate = self._gate
        if gate is not None:
            gate.open()

    def _scripted_grant(self) -> WireReply | None:
        """Called for each token request: waits at the gate, then the scripted reply, if any."""
        with self._script_lock:
            gate = self._gate
        if gate is not None:
            gate.pass_through()
        with self._script_lock:
            return self._scripted.pop(0).wire() if self._scripted else None
