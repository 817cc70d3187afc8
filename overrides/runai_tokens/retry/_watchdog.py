"""One thread that rings every Cutoff's alarm at its time, instead of a thread per request.

A thread per token request (threading.Timer), started and joined, would cost more CPU than the
request itself. Here alarms wait in a heap, soonest first, for one daemon thread; set()
and cancel() are a heap push and a flag under a lock, and wake the thread only for an alarm
sooner than it would wake anyway. It never sleeps longer than LINGER, and ends once nothing has
been pending for a whole LINGER, so a program that stops making token requests is soon left with
no thread of ours. A cancelled alarm stays in the heap, inert (it drops its callback), until its
turn or a compaction.

After a fork the child has no watchdog thread and may have inherited a held lock:
os.register_at_fork gives it a fresh, empty watchdog.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("runai_tokens.retry")

# The longest the thread sleeps at a time, and how long it waits idle before it ends.
LINGER = 1.0


class Alarm:
    """One alarm's action: what to call when it rings (None: rung or cancelled). Its time sits
    beside it in the heap, in a tuple that compares in C: set() is on every token request's path,
    and a Python __lt__ would be a large part of it."""

    __slots__ = ("action",)

    def __init__(self, action: Callable[[], object]) -> None:
        self.action: Callable[[], object] | None = action


class Watchdog:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Empty, with no thread: at start, and in a forked child."""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        # (time on time.monotonic, order set, alarm): the order breaks ties, first set first.
        self._heap: list[tuple[float, int, Alarm]] = []
        self._pending = 0
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # when the thread, waiting, next looks at the heap

    def set(self, seconds: float, action: Callable[[], object]) -> Alarm:
        """Call action (on the watchdog's thread) once `seconds` have passed, unless cancelled."""
        at = time.monotonic() + seconds
        alarm = Alarm(action)
        with self._lock:  # the Condition's own lock: `with` on it directly skips two calls
            heapq.heappush(self._heap, (at, next(self._order), alarm))
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="runai-tokens-cutoff")
                self._thread.daemon = True
                self._thread.start()
            elif at < self._wakes_at:
                self._changed.notify()
        return alarm

    def cancel(self, alarm: Alarm) -> None:
        """The alarm will not ring; does nothing if it has rung already."""
        with self._lock:
            if alarm.action is None:
                return
            alarm.action = None
            self._pending -= 1
            if len(self._heap) > 64 and self._pending < len(self._heap) // 4:
                self._heap = [entry for entry in self._heap if entry[2].action is not None]
                heapq.heapify(self._heap)

    @property
    def pending(self) -> int:
        """Alarms set and neither rung nor cancelled."""
        with self._changed:
            return self._pending

    def _run(self) -> None:
        while (action := self._next()) is not None:
            try:
                action()
            except Exception:  # the thread must live on for the other alarms
                logger.exception("a retry deadline's cutoff failed")

    def _next(self) -> Callable[[], object] | None:
        """The next action whose time has come, once it has; None when the thread should end."""
        idle = False
        with self._changed:
            while True:
                while self._heap and self._heap[0][2].action is None:
                    heapq.heappop(self._heap)
                now = time.monotonic()
                if self._heap and self._heap[0][0] <= now:
                    alarm = heapq.heappop(self._heap)[2]
                    action, alarm.action = alarm.action, None
                    self._pending -= 1
                    self._wakes_at = math.inf
                    return action
                if self._pending == 0 and idle:
                    self._heap.clear()  # only cancelled alarms are left
                    self._thread, self._wakes_at = None, math.inf
                    return None
                idle = self._pending == 0
                self._wakes_at = min(self._heap[0][0] if self._heap else math.inf, now + LINGER)
                self._changed.wait(self._wakes_at - now)


WATCHDOG = Watchdog()
os.register_at_fork(after_in_child=WATCHDOG.reset)
