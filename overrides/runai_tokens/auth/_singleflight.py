"""Single-flight: one call in progress, shared by any number of threads and asyncio tasks.

The flight is a concurrent.futures.Future, which both worlds can wait on: a thread with
.result(), a task on any event loop with asyncio.wrap_future(). The caller decides under `lock`
whether it needs the flight at all (its own state lives under the same lock), then claims it: the
first claimer leads and does the work; later ones wait for the leader's result or exception. The
lock is never held while the work runs, so nothing blocks across a yield or an await.

The future is marked running as soon as it exists. Otherwise a cancelled waiter would cancel it
through wrap_future's cancellation chaining and strand every other waiter.

A leader that is cancelled or interrupted (CancelledError, KeyboardInterrupt) has produced
nothing; its waiters get Abandoned and claim again, so one of them leads a fresh attempt.

After a fork the child has one thread, so a flight begun in the parent will never finish there:
os.register_at_fork resets every SingleFlight in the child (a new lock, no flight), and waits
are bounded by a timeout, so nothing in the child waits for the parent's threads.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..errors import ApiException

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")


class Abandoned(Exception):
    """The leader stopped without an outcome; whoever waited on it should try again."""


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._reset()
        _LIVE.add(self)

    def _reset(self) -> None:
        self.lock = threading.Lock()
        self._flight: Future[T] | None = None
        # The flight in progress and its leader's thread, to refuse a wait that would deadlock.
        self._leader: tuple[Future[T], int] | None = None

    @property
    def busy(self) -> bool:
        """Whether a flight is in progress. Read under `lock`."""
        return self._flight is not None

    def claim(self) -> tuple[Future[T], bool]:
        """Join the flight in progress, or start one: (flight, leads). Call under `lock`."""
        if self._flight is not None:
            return self._flight, False
        # Imported by the first flight, not with this module: connect() builds a TokenAuth
        # without ever fetching a token, and concurrent.futures is not among httpx's imports.
        from concurrent.futures import Future

        flight: Future[T] = Future()
        flight.set_running_or_notify_cancel()
        self._flight = flight
        self._leader = (flight, threading.get_ident())
        return flight, True

    def lead(
        self,
        flight: Future[T],
        work: Callable[[], T],
        commit: Callable[[T], None],
        fail: Callable[[Exception], None],
    ) -> T:
        """Run `work` as the leader. commit/fail run under `lock` before waiters wake."""
        try:
            value = work()
        except BaseException as exc:
            self._fail(flight, exc, fail)
            raise
        self._succeed(flight, value, commit)
        return value

    async def alead(
        self,
        flight: Future[T],
        work: Callable[[], Awaitable[T]],
        commit: Callable[[T], None],
        fail: Callable[[Exception], None],
    ) -> T:
        """lead() for an asyncio task: the work is awaited on the caller's event loop."""
        try:
            value = await work()
        except BaseException as exc:
            self._fail(flight, exc, fail)
            raise
        self._succeed(flight, value, commit)
        return value

    def _succeed(self, flight: Future[T], value: T, commit: Callable[[T], None]) -> None:
        try:
            with self.lock:
                try:
                    commit(value)
                finally:
                    self._flight = self._leader = None
        except BaseException as exc:
            flight.set_exception(exc if isinstance(exc, Exception) else Abandoned())
            raise
        flight.set_result(value)

    def _fail(
        self, flight: Future[T], exc: BaseException, fail: Callable[[Exception], None]
    ) -> None:
        try:
            with self.lock:
                try:
                    if isinstance(exc, Exception):
                        fail(exc)
                finally:
                    self._flight = self._leader = None
        finally:
            flight.set_exception(exc if isinstance(exc, Exception) else Abandoned())

    def wait(self, flight: Future[T], timeout: float | None = None) -> T:
        """The leader's result for a thread; raises its exception, or Abandoned.

        Past `timeout` seconds, ApiException: the leader is stuck beyond its own deadline.
        """
        leader = self._leader
        if leader is not None and leader[0] is flight and leader[1] == threading.get_ident():
            # Only an asyncio leader can be on our thread while we wait: blocking here would
            # stop the event loop it needs to finish.
            raise RuntimeError(
                "a blocking token wait inside the event loop whose task is fetching the token "
                "would deadlock; use the async API (aget_token, httpx.AsyncClient) there"
            )
        try:
            return flight.result(timeout)
        except TimeoutError:  # concurrent.futures.TimeoutError is this one since Python 3.11
            raise _waited_too_long(timeout) from None

    @staticmethod
    async def await_flight(flight: Future[T], timeout: float | None = None) -> T:
        """The leader's result for a task on any loop; cancelling it leaves the flight be."""
        import asyncio  # only a task needs it; a sync program never loads asyncio

        try:
            return await asyncio.wait_for(asyncio.wrap_future(flight), timeout)
        except TimeoutError:
            raise _waited_too_long(timeout) from None


def _waited_too_long(timeout: float | None) -> ApiException:
    return ApiException(
        None, f"gave up after {timeout:g}s waiting for another caller's token request"
    )


_LIVE: weakref.WeakSet[SingleFlight[Any]] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for flight in list(_LIVE):
        flight._reset()


os.register_at_fork(after_in_child=_reset_after_fork)
