"""The one way the desktop works in the background: run the work on a worker, get its outcome on the main
thread.

Work goes to a :class:`~desktop.common.worker.SerialWorker` (or anything returning a
:class:`~concurrent.futures.Future`); :meth:`Background.deliver` then runs ``on_result(value)`` or
``on_error(exception)`` on the Qt main thread, through a queued signal that passes an
:class:`~desktop.common.lifetime.EmitGate`: an outcome that arrives after the window closed is dropped, never
delivered into a deleted object.

Store work has one executor: :class:`RunOnStore` is "run ``work(store)`` on the thread that owns the store".
In the agent's app that is the desk worker (``CallDesk.run_on_worker``), so the local database keeps one
writer and the UI thread never writes; a window opened without a desk (``agent-assist review``, tests) gets a
:class:`StoreWorker` of its own: one thread with its own connection to the same file.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, Signal

from assist.privacy import finish_left_erasures
from assist.store import Store
from desktop.common.lifetime import EmitGate
from desktop.common.worker import SerialWorker, one_off

log = logging.getLogger(__name__)

T = TypeVar("T")


class RunOnStore(Protocol):
    """Runs ``work(store)`` on the thread that owns the store and returns at once."""

    def __call__(self, work: Callable[[Store], T], /) -> Future[T]: ...


class StoreWorker:
    """For a window without a desk: one thread with its own connection to the store's file (opened there on
    first use, closed at shutdown); an in-memory store (tests) is used as it is, from that thread."""

    def __init__(
        self, store: Store | Path, name: str = "store-worker", recordings_root: Path | None = None
    ) -> None:
        self._path = store if isinstance(store, Path) else store.path
        self._shared = store if isinstance(store, Store) and self._path is None else None
        self._worker = SerialWorker(name)
        self._store: Store | None = None
        self._recordings_root = recordings_root

    def __call__(self, work: Callable[[Store], T], /) -> Future[T]:
        return self._worker.submit(lambda: work(self._open()))

    def _open(self) -> Store:
        if self._shared is not None:
            return self._shared
        if self._store is None:
            assert self._path is not None
            self._store = Store.open(self._path)
            self._finish_left_erasures(self._store)
        return self._store

    def _finish_left_erasures(self, store: Store) -> None:
        """An erasure an app left unfinished (killed during a call whose customer was erased) is finished
        before this window writes, unless that app is running (then it is the app's)."""
        try:
            report = finish_left_erasures(store, self._recordings_root)
        except Exception:  # the window still works; the marks stay for the next opening
            log.exception("finishing an interrupted erasure failed")
            return
        if report is not None:
            log.info("finished the erasure of %d call(s) left unfinished", len(report.call_ids))

    def shutdown(self) -> None:
        """Finish what was asked (a save in flight is kept), close the connection, end the thread."""
        if self._worker.thread.ident is not None:  # never used: no thread, no connection
            try:
                self._worker.submit(self._close)
            except RuntimeError:
                return  # already shut down
        self._worker.shutdown()

    def _close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


# An op's future and its handlers; the result type differs from op to op, so it is Any here.
_Pending = tuple[Future[Any], Callable[[Any], None], Callable[[Exception], None] | None]  # per op, see above


class Background(QObject):
    """Delivers the outcome of work running elsewhere to the main thread (see the module's docstring)."""

    _done = Signal(int)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._gate = EmitGate(self)
        self._tokens = itertools.count(1)
        # Each op's future and handlers, until its outcome is delivered (types vary per op).
        self._pending: dict[int, _Pending] = {}
        self._done.connect(self._finish)

    def deliver(
        self,
        future: Future[T],
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """When ``future`` is done: ``on_result(value)`` or ``on_error(exc)`` on the main thread (a failure
        without ``on_error`` is logged). Nothing runs once :meth:`close` was called or the owner is gone."""
        if not self._gate.is_open:
            return
        token = next(self._tokens)
        self._pending[token] = (future, on_result, on_error)
        future.add_done_callback(lambda _f: self._gate.emit(self._done, token))

    def in_thread(
        self,
        name: str,
        work: Callable[[], T],
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> Future[T]:
        """A one-off job that waits on something slow and outside (a server, a download) on a thread of its
        own named ``name``; its outcome is delivered like any other. Returns the job's future, for a caller
        that must wait for the job to end (a dialog that may not return before its download stopped)."""
        future = one_off(name, work)
        self.deliver(future, on_result, on_error)
        return future

    def close(self) -> None:
        """Deliver nothing more (the owner is closing); work still running finishes unseen."""
        self._gate.close()
        self._pending.clear()

    def _finish(self, token: int) -> None:
        pending = self._pending.pop(token, None)
        if pending is None:
            return
        future, on_result, on_error = pending
        if future.cancelled():
            return  # the worker was torn down with the app
        exc = future.exception()
        if exc is None:
            on_result(future.result())
        elif isinstance(exc, Exception) and on_error is not None:
            on_error(exc)
        else:
            log.warning("background work failed: %r", exc)


class StoreWrites:
    """A window's writes to the store: ``writes(work, done)`` runs ``work(store)`` on the store's thread (the
    given :class:`RunOnStore`, or a :class:`StoreWorker` of this window's own, made at the first write) and
    ``done(result)`` back on the main thread; a failure goes to ``failed(exception)`` there. Nothing typed is
    lost when a write fails: the widgets keep it."""

    def __init__(
        self,
        background: Background,
        store: Store,
        failed: Callable[[Exception], None],
        run_on_store: RunOnStore | None = None,
        name: str = "store-writes",
        recordings_root: Path | None = None,
    ) -> None:
        self._background = background
        self._recordings_root = recordings_root  # for the window's own store thread (StoreWorker)
        self._store = store
        self._failed = failed
        self._given = run_on_store
        self._own: StoreWorker | None = None
        self._name = name

    def __call__(
        self,
        work: Callable[[Store], T],
        done: Callable[[T], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run ``work`` on the store's thread, then ``done(result)``, or on failure ``failed(exception)``
        (the window's own handler when None), on the main thread."""
        failed = failed or self._failed
        run_on_store = self._given
        if run_on_store is None:
            if self._own is None:
                self._own = StoreWorker(self._store, self._name, self._recordings_root)
            run_on_store = self._own
        try:
            future = run_on_store(work)
        except RuntimeError as exc:  # the store's thread has shut down: the app is closing
            failed(exc)
            return
        self._background.deliver(future, done, failed)

    def finish(self) -> None:
        """Let the writes asked for finish and end this window's own store thread (the window is closing; a
        later write starts a new one)."""
        own, self._own = self._own, None
        if own is not None:
            own.shutdown()
