"""Knowing, without a sleep, that threads are parked: blocked waiting to be woken.

A thread blocked in a threading wait (Future.result, Event.wait, Condition.wait) has
threading.Condition.wait as its innermost Python frame while it waits. A thread blocked on a bare
lock, in a socket call or still running has not. Tests use this to take their next step only once
every waiter really waits, instead of sleeping for a while and hoping they do.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence

# So that a broken implementation fails a test instead of hanging it; no test waits this long.
HANG_GUARD = 30.0


def parked(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or -1)
    return frame is not None and frame.f_code is threading.Condition.wait.__code__


def wait_until_parked(threads: Sequence[threading.Thread], count: int | None = None) -> None:
    """Return once `count` of `threads` (all of them by default) are parked."""
    wanted = len(threads) if count is None else count
    give_up = time.monotonic() + HANG_GUARD
    while sum(parked(thread) for thread in threads) < wanted:
        if time.monotonic() > give_up:
            raise AssertionError(f"fewer than {wanted} of {len(threads)} threads ever waited")
        time.sleep(0.001)  # a yield to the threads being watched, not a timing assumption
