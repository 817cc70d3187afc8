"""The watchdog: one thread that rings the sync cutoffs' alarms (retry/_watchdog).

Events and counts only: an alarm that is due rings, a cancelled one never does, a sooner alarm
set after a later one still rings first, and the thread ends once nothing is pending.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from runai_tokens.retry import _watchdog
from runai_tokens.retry._watchdog import Watchdog

WAIT = 10.0  # seconds an event may take on a loaded machine; never a measure of speed


@pytest.fixture
def watchdog(monkeypatch: pytest.MonkeyPatch) -> Iterator[Watchdog]:
    monkeypatch.setattr(_watchdog, "LINGER", 0.05)
    yield Watchdog()


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "runai-tokens-cutoff"]


def test_a_due_alarm_rings_once(watchdog: Watchdog) -> None:
    rung = threading.Event()
    calls: list[str] = []

    def ring() -> None:
        calls.append("rung")
        rung.set()

    watchdog.set(0.0, ring)
    assert rung.wait(WAIT)
    assert calls == ["rung"]
    assert watchdog.pending == 0


def test_a_cancelled_alarm_never_rings(watchdog: Watchdog) -> None:
    calls: list[str] = []
    later = threading.Event()
    alarm = watchdog.set(0.05, lambda: calls.append("cancelled one"))
    watchdog.cancel(alarm)
    watchdog.cancel(alarm)  # twice is harmless
    watchdog.set(0.1, later.set)  # rings after the cancelled one's time
    assert later.wait(WAIT)
    assert calls == []
    assert watchdog.pending == 0


def test_a_sooner_alarm_set_later_wakes_the_thread(watchdog: Watchdog) -> None:
    order: list[str] = []
    soon = threading.Event()
    far = watchdog.set(3600.0, lambda: order.append("far"))  # the thread sleeps towards this

    def ring() -> None:
        order.append("soon")
        soon.set()

    watchdog.set(0.0, ring)
    assert soon.wait(WAIT)
    assert order == ["soon"]
    assert watchdog.pending == 1
    watchdog.cancel(far)


def test_the_thread_ends_when_nothing_is_pending(watchdog: Watchdog) -> None:
    before = set(_threads())
    alarms = [watchdog.set(3600.0, lambda: None) for _ in range(100)]
    ours = set(_threads()) - before
    assert len(ours) == 1  # one thread, however many alarms
    for alarm in alarms:
        watchdog.cancel(alarm)
    (thread,) = ours
    thread.join(WAIT)
    assert not thread.is_alive()
    rung = threading.Event()
    watchdog.set(0.0, rung.set)  # and a new alarm starts a new one
    assert rung.wait(WAIT)


def test_a_failing_action_does_not_stop_the_others(watchdog: Watchdog) -> None:
    def fail() -> None:
        raise RuntimeError("boom")

    rung = threading.Event()
    watchdog.set(0.0, fail)
    watchdog.set(0.01, rung.set)
    assert rung.wait(WAIT)
