"""The base of the call desk: its state, the desk worker that owns the store and the call session, and the
helpers that queue work on it (split from desktop.agent.desk.call_desk; threads are described there)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from assist.domain import CustomerContext
from assist.domain_words import Word, domain_words
from assist.paths import data_dir, recordings_dir, store_path
from assist.privacy import app_lock, finish_erasures
from assist.semantic import BackgroundEmbedding
from assist.store import Store
from audio.after_call import AfterCallPass
from audio.live import SharedModel
from desktop.agent.desk.config import DeskConfig
from desktop.agent.desk.listener import CallListener, Problem
from desktop.agent.desk.live_call import LiveCall
from desktop.common.views import CallSummary
from desktop.common.worker import SerialWorker
from sync.client import ConnectionState, SyncClient

log = logging.getLogger(__name__)

T = TypeVar("T")


class DeskBase:
    """The desk's state and its two workers: the local store (opened on the desk worker, its only thread),
    the team-server client and the call in progress. The parts of :class:`~desktop.agent.desk.CallDesk`
    build on it, each on the one before: :class:`~desktop.agent.desk.team_link.TeamLink`,
    :class:`~desktop.agent.desk.call_end.CallEnd`, :class:`~desktop.agent.desk.call_flow.CallFlow`.
    """

    def __init__(
        self,
        listener: CallListener,
        config: DeskConfig,
        *,
        store_file: Path | None = None,
        sync_state_file: Path | None = None,
        recordings: Path | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.listener = listener
        self.config = config
        self._store_file = store_file
        self._sync_state_file = sync_state_file
        self._recordings = recordings
        self._monotonic = monotonic
        self._after_passes: list[AfterCallPass] = []
        self._worker = SerialWorker("desk-worker", monotonic)
        self._ending = SerialWorker(
            "call-end", monotonic
        )  # drains a call's transcription (see the docstring)
        self._store: Store | None = None
        self._app_lock: FileLock | None = None  # held while the store is open (assist.privacy.app_lock)
        # Knowledge written without `kb import` (the demo, a team sync) is embedded in the background.
        self._embedding: BackgroundEmbedding | None = None
        self._call: LiveCall | None = None
        self._lock = threading.Lock()
        self._started = threading.Condition(self._lock)  # a call's audio finished starting (CallFlow._begin)
        self._closing = threading.Event()
        self.sync: SyncClient | None = None
        self.connection = ConnectionState.LOCAL_ONLY
        self.role = (
            ""  # the signed-in user's role on the team server (agent | supervisor | admin), once known
        )
        self.whispers_seen: set[str] = set()
        # The team's erasures queued on the desk worker that the sync client has not yet seen run (its thread
        # only; see TeamLink._erasure_arrived), by customer and calls.
        self._erasures_queued: dict[tuple[str, tuple[str, ...]], Future[None]] = {}
        self.last_summary: CallSummary | None = None

    @property
    def store_file(self) -> Path:
        """The agent's local database (another connection may read it, e.g. the review window)."""
        return self._store_file or store_path()

    @property
    def agent_name(self) -> str:
        """Who takes the calls: the name the team server signed this token in as (whispers are addressed to
        it, the board shows it), else the name set in the preferences (local only, or not signed in yet)."""
        client = self.sync
        signed_in = client.user.user if client is not None and client.user is not None else None
        return str(signed_in or self.config.agent_name or "")

    @property
    def recordings(self) -> Path:
        return self._recordings or recordings_dir()

    @property
    def sync_state_file(self) -> Path:
        return self._sync_state_file or (data_dir() / "sync-client.sqlite3")

    def run_on_worker(self, fn: Callable[[Store], T]) -> Future[T]:
        """Run ``fn(store)`` on the desk worker (the store's only thread); for imports and tests."""
        return self._worker.submit(lambda: fn(self._open_store()))

    def _preload_model(self) -> None:
        try:
            SharedModel.preload(self.config.model, self.config.language)
        except Exception as exc:  # no weights: say so now, not when the first call starts
            self.listener.on_problem(Problem.MODEL, str(exc))

    def _open_store(self) -> Store:
        if self._store is None:
            try:
                store = Store.open(self.store_file)
            except Exception as exc:
                self.listener.on_problem(Problem.STORE, f"{self.store_file}: {exc}")
                raise
            alone = self._hold_app_lock()
            self._finish_erasures(store, alone)
            self._store = store
        return self._store

    def _hold_app_lock(self) -> bool:
        """Say that this app runs on the store (other programs then leave its live calls' erasures to it);
        False when another app already holds it."""
        lock = app_lock(self.store_file)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            log.warning("another Agent Assist app is using %s", self.store_file)
            return False
        except OSError as exc:  # a read-only folder: the app still works, other programs just cannot tell
            log.warning("could not lock %s: %s", lock.lock_file, exc)
            return True
        self._app_lock = lock
        return True

    def _finish_erasures(self, store: Store, alone: bool) -> None:
        """Before anything reads the store: an erasure the last session could not finish (the app was killed
        during a call whose customer was erased, or before a recording folder went) is finished: what the
        marked calls wrote since, and their recordings."""
        call = self._call
        try:
            report = finish_erasures(
                store, self.recordings, (call.call_id,) if call is not None else (), app_elsewhere=not alone
            )
        except Exception:  # the store stays usable; the marks stay for the next start
            log.exception("finishing an interrupted erasure failed")
            return
        if report is not None:
            log.info("finished the erasure of %d call(s) left by the last session", len(report.call_ids))

    def _embed_in_background(self) -> None:
        """Start embedding knowledge on a thread of its own (with its own connection, opened after the store
        exists so it cannot race the migrations) once the store holds knowledge; run it again after writing
        knowledge into an empty store. It then watches for further changes by itself."""
        store = self._open_store()
        if self._embedding is None and not self._closing.is_set() and store.count("knowledge"):
            self._embedding = BackgroundEmbedding(self.store_file)
            self._embedding.start()

    def _close_store(self) -> None:
        if self._embedding is not None:  # queued after _embed_in_background, so never one left running
            self._embedding.stop()
            self._embedding = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._app_lock is not None:
            self._app_lock.release()
            self._app_lock = None

    def _submit(self, what: str, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn`` on the desk worker; a failure is logged as ``what`` (and left in the future)."""
        return self._worker.submit(logged(what, fn))

    def _submit_quietly(self, what: str, fn: Callable[[], object]) -> None:
        """Queue ``fn`` unless the app is closing (then the work is moot)."""
        if self._closing.is_set():
            return
        with contextlib.suppress(RuntimeError):  # the worker shut down: the app is closing
            self._submit(what, fn)

    def _lexicon(self, store: Store, context: CustomerContext | None) -> list[Word] | None:
        # misheard support words, knowledge terms and names are put right by reading, the caller's name first
        try:
            return domain_words(store, context.customer if context is not None else None)
        except Exception:  # the call goes on without corrections rather than not at all
            log.exception("building the domain word list failed")
            return None


def logged(what: str, fn: Callable[[], T]) -> Callable[[], T]:
    def run() -> T:
        try:
            return fn()
        except Exception:
            log.exception("desk worker task %s failed", what)
            raise

    return run
