"""Qt objects live and die on the Qt main thread, even though worker threads report into them.

Two ways a worker thread could otherwise destroy or touch a dead Qt object, both seen as a segmentation fault
in Qt's event processing (timers or socket notifiers of an object freed on another thread still registered
with the main thread's event dispatcher):

- Python's cyclic garbage collector runs on whichever thread happens to allocate past its threshold: the desk
  worker, a transcriber, the team-server client. A closed window or an app object caught in a reference cycle
  (a lambda connected to a signal that names ``self`` is enough) is then destroyed on that thread, timers and
  all. :func:`collect_garbage_on_main_thread` turns the automatic collector off and runs it from a timer on
  the main thread instead (the same thresholds, so memory behaves as before).
- A worker that emits a signal of a bridge object while the main thread deletes it. :class:`EmitGate` lets
  a worker emit only while the object lives: the object's ``destroyed`` closes the gate, under the same lock
  the emitting thread holds, so an emission either finishes before the deletion or never starts.
"""

from __future__ import annotations

import gc
import threading

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, SignalInstance

COLLECT_INTERVAL_MS = 500


class _MainThreadCollector(QObject):
    """Runs the generations the automatic collector would have run, from the main thread's event loop."""

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self.thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(COLLECT_INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return


_collector: _MainThreadCollector | None = None


def collect_garbage_on_main_thread(app: QCoreApplication) -> None:
    """From now on only the Qt main thread collects reference cycles (idempotent; call it on that thread)."""
    global _collector
    if _collector is None or not shiboken6.isValid(_collector) or _collector.parent() is not app:
        assert QThread.currentThread() is app.thread(), "call this on the Qt main thread"
        _collector = _MainThreadCollector(app)
    gc.disable()


class EmitGate:
    """Worker threads emit ``owner``'s signals through :meth:`emit`; once ``owner`` is being destroyed (or
    :meth:`close` was called) nothing more is emitted and :meth:`emit` returns False.

    PySide marks the owner's Python side deleted just before its C++ destructor emits ``destroyed``: an
    emission in that gap is refused by PySide (an exception, caught here), and one that passed PySide's check
    finishes before ``destroyed`` (which waits for this gate's lock) lets the deletion go on. That gap is
    PySide's own and not fully closed by this gate (a test deleting a bridge on its own mid-flood saw one
    crash in about 140 deletions): :meth:`close` the gate before the owner goes, as the app's windows do.
    """

    def __init__(self, owner: QObject) -> None:
        self._lock = threading.Lock()
        self._open = True
        self._home = threading.get_ident()  # the thread the owner lives on (where it is created and deleted)
        owner.destroyed.connect(self.close, Qt.ConnectionType.DirectConnection)

    @property
    def is_open(self) -> bool:
        return self._open

    def close(self, *_: object) -> None:
        with self._lock:
            self._open = False

    def emit(self, signal: SignalInstance, *args: object) -> bool:
        if threading.get_ident() == self._home:
            # The owner is deleted on this very thread, never during this call: no lock, so slots that run
            # directly here may wait for a worker that is emitting meanwhile.
            if self._open:
                signal.emit(*args)
            return self._open
        with self._lock:  # held for a queued post only: the slots run later, on the owner's thread
            if not self._open:
                return False
            try:
                signal.emit(*args)
            except (RuntimeError, TypeError):  # PySide refuses a source whose deletion has begun
                self._open = False
                return False
            return True
