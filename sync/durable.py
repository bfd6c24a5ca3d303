"""The team server's durable-log thread: group commit for whispers, the change feed and the audit log.

The issue requires ``synchronous=FULL`` for these tables, so every commit waits for an fsync (a few
milliseconds on an ordinary disk, tens on a busy one). Committing each whisper on its own makes a burst of
them wait for one fsync after another. This thread instead runs every call that arrived while it was busy in
ONE transaction (each call in its own savepoint, so a refused request undoes only its own writes) and commits
once: a burst costs one fsync, durability is unchanged, and no caller learns its result before the commit
holding its writes returned, so nothing is acknowledged that a crash could still take back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, Generic, ParamSpec, Protocol, TypeVar

from sync.backends import Database
from sync.store import TeamStore, User

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
A = TypeVar("A")
R = TypeVar("R")

# Calls committed together at most (SQLite; PostgreSQL commits each call alone, see
# sync/backends/postgres.py): bounds how long the first of a huge burst waits for its answer.
MAX_BATCH = 64
# A call that failed on a deadlock or serialization conflict with another instance is run again this often.
RETRIES = 3


class _Job(Protocol):
    """A queued call, whatever its function returns."""

    @property
    def write(self) -> bool: ...

    def attempt(self) -> Exception | None: ...

    def fail(self, exc: Exception) -> None: ...

    def settle(self) -> None: ...


@dataclass(slots=True)
class _Call(Generic[T]):
    fn: Callable[[], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop
    # A read runs outside any transaction (it sees everything committed before it started): no BEGIN,
    # savepoint or COMMIT round trips, and on SQLite no write lock taken for it.
    write: bool = True
    _outcome: tuple[T] | Exception | None = None

    def attempt(self) -> Exception | None:
        """Run the function on this thread; the exception it raised, if any. The outcome is kept for
        :meth:`settle` (a later attempt or :meth:`fail` replaces it)."""
        try:
            self._outcome = (self.fn(),)
        except Exception as exc:
            self._outcome = exc
            return exc
        return None

    def fail(self, exc: Exception) -> None:
        self._outcome = exc

    def settle(self) -> None:
        """Hand the outcome to the waiting coroutine, on its event loop."""
        with contextlib.suppress(RuntimeError):  # that event loop is closed, nobody is waiting any more
            self.loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        if self.future.cancelled():  # the request's connection went away meanwhile
            return
        outcome = self._outcome
        if isinstance(outcome, tuple):
            self.future.set_result(outcome[0])
        else:
            self.future.set_exception(outcome or RuntimeError("the call was never run"))


class DurableLogThread:
    """Owns a :class:`TeamStore` on its own thread; :meth:`call` runs a function of it there,
    group-committed."""

    def __init__(
        self,
        data_dir: Path | None,
        *,
        clock: Callable[[], float] = time.time,
        max_batch: int = MAX_BATCH,
        database: str | None = None,
    ) -> None:
        self._data_dir = data_dir
        self._database = database
        self._clock = clock
        self._max_batch = max_batch
        self._calls: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._ready: Future[TeamStore] = Future()
        self._thread = threading.Thread(target=self._run, name="team-db", daemon=True)
        self._store: TeamStore | None = None
        # How many calls and commits so far: calls / commits is the average group size.
        self.calls = 0
        self.commits = 0
        self.reads = 0  # calls run outside a transaction (resume replays)

    @property
    def store(self) -> TeamStore:
        """For functions passed to :meth:`call` (they run on this thread); never use it from another
        thread."""
        assert self._store is not None, "durable log not started"
        return self._store

    async def start(self) -> None:
        self._thread.start()
        self._store = await asyncio.wrap_future(self._ready)

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` on the durable-log thread; returns once the transaction holding its
        writes is committed (or raises what it raised, its writes undone)."""
        return await self._put(True, functools.partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn``, which only reads, on the durable-log thread between transactions: it sees every write
        acknowledged before it was asked for."""
        return await self._put(False, functools.partial(fn, *args, **kwargs))

    async def _put(self, write: bool, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put(_Call(fn, future, loop, write))
        return await future

    async def stop(self) -> None:
        """Finish what was asked, close the store, end the thread."""
        if not self._thread.is_alive():
            return
        self._calls.put(None)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)

    def _run(self) -> None:
        try:
            store = TeamStore(self._data_dir, clock=self._clock, database=self._database)
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(store)
        limit = max(1, min(self._max_batch, store.team_db.group_limit))
        try:
            carried: _Job | None = None
            while True:
                item = carried if carried is not None else self._calls.get()
                carried = None
                if item is None:
                    break
                if not item.write:
                    self.reads += 1
                    self._run_read(item)
                    continue
                batch = [item]
                stopping = False
                while len(batch) < limit:
                    try:
                        item = self._calls.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stopping = True
                        break
                    if not item.write:  # runs right after this batch's commit
                        carried = item
                        break
                    batch.append(item)
                self._run_batch(store.team_db, batch)
                if stopping:
                    break
        finally:
            store.close()

    @staticmethod
    def _run_read(call: _Job) -> None:
        call.attempt()
        call.settle()

    @staticmethod
    def _run_call(db: Database, call: _Job) -> None:
        for attempt in range(RETRIES + 1):
            db.execute("SAVEPOINT call")
            exc = call.attempt()
            if exc is not None:
                db.execute("ROLLBACK TO SAVEPOINT call")
                db.execute("RELEASE SAVEPOINT call")
                if attempt < RETRIES and db.is_retryable(exc):
                    continue
                return
            db.execute("RELEASE SAVEPOINT call")
            return

    @staticmethod
    def _run_alone(db: Database, call: _Job) -> None:
        """One call in its own transaction (PostgreSQL commits each call alone): no savepoint around it, two
        round trips fewer for every whisper, receipt and change."""
        for attempt in range(RETRIES + 1):
            db.begin()
            exc = call.attempt()
            if exc is not None:
                db.rollback()
                if attempt < RETRIES and db.is_retryable(exc):
                    continue
                return
            db.commit()
            return

    def _run_batch(self, db: Database, batch: list[_Job]) -> None:
        try:
            if len(batch) == 1 and db.group_limit == 1:
                self._run_alone(db, batch[0])
            else:
                db.begin()
                for call in batch:
                    self._run_call(db, call)
                db.commit()
        except Exception as exc:
            # The transaction itself failed (disk full, I/O error, database gone): none of the batch is
            # stored, all are told.
            log.exception("durable log: a transaction of %d calls failed", len(batch))
            if db.in_transaction:
                try:
                    db.rollback()
                except Exception:
                    log.exception("durable log: rollback failed")
            for call in batch:
                call.fail(exc)
        self.calls += len(batch)
        self.commits += 1
        for call in batch:
            call.settle()


class StorePool:
    """Threads with a :class:`TeamStore` each, for reads and single-row writes that need no ordering with one
    another: token checks, presence rows and resume replays on PostgreSQL. When an instance dies, hundreds of
    its clients arrive at another at once; one database thread doing three round trips for each of them
    became the queue they waited in. (SQLite keeps one writer at a time, so it does not use a pool.)"""

    def __init__(self, size: int, *, database: str, clock: Callable[[], float] = time.time) -> None:
        self._database = database
        self._clock = clock
        self._local = threading.local()
        self._stores: list[TeamStore] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="db-pool")
        # When an instance dies its clients arrive here by the hundred: their token checks and presence rows
        # go in a few trips of many rows each, not one trip each ahead of everyone's resume replay.
        self.authenticate = Batched(self, TeamStore.authenticate_many)
        self._connected: dict[str, Batched[tuple[str, User], bool]] = {}
        self._stops: list[Callable[[], Awaitable[None]]] = [self.authenticate.stop]

    async def connected(self, conn_id: str, instance: str, user: User) -> bool:
        """:meth:`TeamStore.connected`, written together with the other connections arriving meanwhile."""
        batch = self._connected.get(instance)
        if batch is None:
            batch = self._connected[instance] = Batched(self, functools.partial(_connected_many, instance))
            self._stops.append(batch.stop)
        return await batch((conn_id, user))

    def _store(self) -> TeamStore:
        store: TeamStore | None = getattr(self._local, "store", None)
        if store is None:
            store = TeamStore(database=self._database, clock=self._clock)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    async def run(self, fn: Callable[Concatenate[TeamStore, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(store, *args, **kwargs)`` on one of the pool's threads, with that thread's store."""

        def call() -> T:
            return fn(self._store(), *args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def stop(self) -> None:
        for stop in self._stops:
            await stop()
        await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown, True)
        with self._lock:
            stores, self._stores = self._stores, []
        for store in stores:
            store.close()


def _connected_many(instance: str, store: TeamStore, connections: list[tuple[str, User]]) -> list[bool]:
    return store.connected_many(instance, connections)


class Batched(Generic[A, R]):
    """Calls of ``fn(store, items)`` (one result per item) that coalesce: an item waits while the previous
    batch is on its way to the database, then goes with everything else that arrived meanwhile. One call
    alone costs one trip, as before; a burst of N costs a few trips instead of N."""

    def __init__(
        self, pool: StorePool, fn: Callable[[TeamStore, list[A]], list[R]], limit: int = 500
    ) -> None:
        self._pool = pool
        self._fn = fn
        self._limit = limit
        self._pending: list[tuple[A, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None
        self._inflight: list[tuple[A, asyncio.Future[R]]] = []
        self.trips = 0

    async def __call__(self, item: A) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="db-batch")
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._limit], self._pending[self._limit :]
                self._inflight = batch
                self.trips += 1
                try:
                    results = await self._pool.run(self._fn, [item for item, _ in batch])
                except Exception as exc:  # every caller of the batch learns it (DatabaseUnavailable: retry)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._task, self._inflight = None, []

    async def stop(self) -> None:
        waiting, task = [*self._inflight, *self._pending], self._task
        self._pending = []
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for _, future in waiting:
            future.cancel()
