"""A serial worker: one thread that runs work in order (the desk worker owns the store and the call session).

Work is submitted from any thread and returns a :class:`~concurrent.futures.Future`. Work can also be due
later (``call_later``): a trailing publish to followers, say. It runs on the same thread when its time comes,
so a throttle needs no timer thread of its own and everything it touches stays on the worker.

``shutdown`` runs what was already submitted (a save in flight is never dropped), drops what was only due
later, and joins the thread; submitting afterwards raises :class:`RuntimeError`, as an executor does.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R_co = TypeVar("R_co", covariant=True)


class _Task(Generic[R_co]):
    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[], R_co]) -> None:
        self.fn: Callable[[], R_co] | None = fn
        self.future: Future[R_co] = Future()

    def cancel(self) -> None:
        self.future.cancel()

    def run(self) -> None:
        fn, self.fn = self.fn, None  # the closure is not kept once it ran
        if fn is None or not self.future.set_running_or_notify_cancel():
            return
        try:
            result = fn()
        except BaseException as exc:  # handed to whoever waits on the future
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)
        finally:
            del fn


class SerialWorker:
    """One named thread running submitted work first in, first out, and work due later at its time."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._ready: deque[_Task[object]] = deque()
        self._later: list[tuple[float, int, Callable[[], object]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)  # started by the first work

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        task = _Task(fn)
        with self._wake:
            if self._stopping:
                raise RuntimeError("the worker has shut down")
            self._ready.append(task)
            self._start()
            self._wake.notify()
        return task.future

    def call_later(self, delay: float, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the worker after ``delay`` seconds (of the worker's clock); dropped at shutdown."""
        with self._wake:
            if self._stopping:
                raise RuntimeError("the worker has shut down")
            heapq.heappush(self._later, (self._clock() + max(0.0, delay), next(self._order), fn))
            self._start()
            self._wake.notify()

    def shutdown(
        self, timeout: float | None = None, *, wait: bool = True, cancel_pending: bool = False
    ) -> None:
        """Finish what was submitted (or, with ``cancel_pending``, only what is running: the rest is
        cancelled), drop what was due later, and end the thread; ``wait`` joins it."""
        with self._wake:
            self._stopping = True
            self._later.clear()
            if cancel_pending:
                for task in self._ready:
                    task.cancel()
                self._ready.clear()
            self._wake.notify()
        if wait and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _start(self) -> None:
        if self._thread.ident is None:  # under the lock: started once
            self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def _next(self) -> _Task[object] | None:
        """The next task to run, waiting for one; None once shut down and drained."""
        with self._wake:
            while True:
                now = self._clock()
                while self._later and self._later[0][0] <= now:
                    _due, _n, fn = heapq.heappop(self._later)
                    self._ready.append(_Task(fn))
                if self._ready:
                    return self._ready.popleft()
                if self._stopping:
                    return None
                self._wake.wait(self._later[0][0] - now if self._later else None)

    def _run(self) -> None:
        while (task := self._next()) is not None:
            task.run()
            # Let go of the work at once, as an executor does: a closure may hold the last reference to a
            # window, which must then be freed by its owner on the main thread, never here later on.
            del task


def one_off(name: str, work: Callable[[], T]) -> Future[T]:
    """Run ``work`` once on a thread of its own named ``name`` (a wait on something slow and outside: a
    server, a download) and return its future; a failure is kept in the future, never lost in the thread.
    :meth:`desktop.common.background.Background.in_thread` delivers such a job's outcome to the main
    thread."""
    future: Future[T] = Future()

    def job() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(work())
        except Exception as exc:  # for whoever waits on the future
            future.set_exception(exc)

    threading.Thread(target=job, name=name, daemon=True).start()
    return future
