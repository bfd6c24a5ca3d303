"""The daily retention run: the saved retention policy applied now and every day while the app runs, on the
thread that owns the store (split from desktop.review.privacy_view, which edits the policy)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from assist.retention import apply_retention
from assist.store import Store
from desktop.common.background import Background, RunOnStore
from desktop.common.worker import SerialWorker

DAY_MS = 24 * 3600 * 1000
BUSY_RETRY_MS = 60 * 1000  # a run that found a call in progress looks again this much later
T = TypeVar("T")


def _on_own_connection(path: Path, work: Callable[[Store], T]) -> T:
    with Store.open(path) as store:
        return work(store)


class RetentionSchedule(QObject):
    """Applies the saved retention policy now and every day while the app runs, on the thread that owns the
    store (the desk worker in the app: the store keeps one writer, and the window never waits on the
    deletions).

    ``store`` is that thread's ``run(work) -> Future`` (``CallDesk.run_on_worker``), or a store file for a
    process with no desk (each run then opens its own connection). While ``busy()`` is true (a call in
    progress: its transcript goes through the same worker) a run waits and looks again a minute later.

    Signals:
    finished(object): a RetentionReport, or the exception that stopped the run.
    """

    finished = Signal(object)

    def __init__(
        self,
        store: RunOnStore | Path,
        parent: QObject | None = None,
        *,
        recordings_root: Path | None = None,
        interval_ms: int = DAY_MS,
        busy: Callable[[], bool] | None = None,
        busy_retry_ms: int = BUSY_RETRY_MS,
    ) -> None:
        super().__init__(parent)
        self._own: SerialWorker | None = None
        self._run_on_store: RunOnStore
        if isinstance(store, Path):
            # Without the desk: a thread of its own (ended by stop()); each run opens and closes a connection.
            own = self._own = SerialWorker("retention")
            path = store
            self._run_on_store = lambda work: own.submit(lambda: _on_own_connection(path, work))
        else:
            self._run_on_store = store
        self.recordings_root = recordings_root
        self._busy = busy or (lambda: False)
        self._running = False
        self._background = Background(self)  # the app may close while the store's thread still deletes
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.run_now)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(busy_retry_ms)
        self._retry.timeout.connect(self.run_now)

    def start(self) -> None:
        self.run_now()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._retry.stop()
        if self._own is not None:
            self._own.shutdown()  # a run in progress finishes first

    @property
    def running(self) -> bool:
        return self._running

    def run_now(self) -> None:
        if self._running:
            return  # still deleting: the next run finds whatever this one leaves
        if self._busy():
            self._retry.start()
            return
        recordings_root = self.recordings_root
        try:
            future = self._run_on_store(lambda store: apply_retention(store, recordings_root=recordings_root))
        except RuntimeError:  # the desk worker has shut down: the app is closing
            self.stop()
            return
        self._running = True
        self._background.deliver(future, self._done, self._done)

    def _done(self, result: object) -> None:
        """On the UI thread: a RetentionReport, or the exception that stopped the run."""
        self._running = False
        self.finished.emit(result)
