"""Qt objects die on the Qt main thread, whatever the worker threads do.

A full test run once died with a segmentation fault in Qt's event processing: Python's cyclic garbage
collector, run by whichever thread allocated past its threshold (a team-server thread), destroyed an earlier
test's window on that thread; its timers stayed registered with the main thread's event dispatcher, which then
fired one on freed memory. The same happens in the app when a closed window is caught in a reference cycle
while the desk worker, a transcriber or the team-server client allocates. These tests go through exactly that:
real widgets with running timers, real worker threads, the real collector."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from audio.events import Channel, EventKind, TranscriptEvent
from desktop.agent.bridge import LiveCallBridge
from desktop.app import ensure_app


class _Window(QWidget):
    """A window with a running timer, caught in a reference cycle (as a lambda connected to its own signal
    that names ``self`` makes it)."""

    def __init__(self, deaths: list[str]) -> None:
        super().__init__()
        self.me = self
        self.ticks = 0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(5)
        self.destroyed.connect(
            lambda *_: deaths.append(threading.current_thread().name), Qt.ConnectionType.DirectConnection
        )

    def tick(self) -> None:
        self.ticks += 1


@pytest.fixture
def automatic_gc() -> Iterator[None]:
    """The interpreter's default (the suite itself collects on the main thread only): the app must cope."""
    gc.enable()
    try:
        yield
    finally:
        gc.disable()


def allocate_cycles(count: int) -> None:
    """What a busy worker does: allocate, including short-lived cycles, past the collector's thresholds."""
    for _ in range(count):
        node: dict[str, Any] = {}
        node["self"] = node


def test_a_closed_window_in_a_cycle_is_destroyed_on_the_main_thread_not_by_a_busy_worker(
    qtbot: QtBot, automatic_gc: None
) -> None:
    ensure_app()  # what every entry point of the app calls first
    deaths: list[str] = []
    windows = [_Window(deaths) for _ in range(5)]
    for window in windows:
        window.show()
    qtbot.waitUntil(lambda: min(w.ticks for w in windows) > 0)
    for window in windows:
        window.close()
    windows.clear()
    del window

    worker = threading.Thread(target=allocate_cycles, args=(200_000,), name="busy-worker")
    worker.start()
    worker.join()
    assert "busy-worker" not in deaths  # before the fix: destroyed there, timers and all

    qtbot.waitUntil(lambda: len(deaths) == 5, timeout=5000)  # the main thread's collector frees them
    assert set(deaths) == {threading.main_thread().name}
    qtbot.wait(30)  # their timers would have fired by now: nothing left to fire on freed memory


def test_a_worker_reporting_after_the_call_screen_closed_is_ignored(qtbot: QtBot) -> None:
    ensure_app()
    bridge = LiveCallBridge()
    shown: list[str] = []
    bridge.transcript.connect(lambda event: shown.append(event.text))
    line = TranscriptEvent("call-1", Channel.CUSTOMER, EventKind.FINAL, 0.0, 1.0, "hello", 0.9, "c1")

    errors: list[BaseException] = []

    def report() -> None:  # as the desk worker does, on its own thread
        try:
            bridge.on_transcript(line)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=report)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: shown == ["hello"])

    shiboken6.delete(bridge)  # the app closed; the worker's stop timed out and it reports once more
    worker = threading.Thread(target=report)
    worker.start()
    worker.join()
    assert errors == []  # before the fix: RuntimeError (or, racing the deletion, a crash)
    assert shown == ["hello"]


def test_workers_emitting_while_the_app_closes_never_touch_the_bridge_after(qtbot: QtBot) -> None:
    ensure_app()
    for _ in range(20):
        owner = QObject()
        bridge = LiveCallBridge(owner)
        stop = threading.Event()
        errors: list[BaseException] = []

        def flood(
            target: LiveCallBridge = bridge, done: threading.Event = stop, seen: list[BaseException] = errors
        ) -> None:
            while not done.is_set():
                try:
                    target.on_call_started("call-1")
                except BaseException as exc:
                    seen.append(exc)
                    return

        workers = [threading.Thread(target=flood) for _ in range(3)]
        for worker in workers:
            worker.start()
        qtbot.wait(5)
        # The app's way (AgentApp.shutdown, the console's close): the gate closes, then the window goes.
        # Deleting a bridge while workers still emit, without closing first, can crash inside PySide (seen
        # under load).
        bridge.close()
        shiboken6.delete(owner)
        qtbot.wait(5)
        stop.set()
        for worker in workers:
            worker.join()
        assert errors == []
