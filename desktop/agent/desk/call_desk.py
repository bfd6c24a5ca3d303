"""Run the agent's calls: audio -> transcription -> call session -> screen and team server, off the UI thread.

The desktop window and the terminal demo both drive calls through :class:`CallDesk`, which is Qt-free: it
reports everything to a :class:`CallListener` (the Qt bridge re-emits it as queued signals; the headless demo
prints it). Threads:

- one *desk worker* (:class:`~desktop.common.worker.SerialWorker`) owns the local store and the call
  session: SQLite work, caller lookup, matching, wrap-up and saving all run there, in order, so the store
  has one writer and the UI never waits on disk; work due later (the trailing publish to followers) runs
  there too;
- the transcription engine's own threads call back with transcript and audio status events; transcript events
  are queued onto the desk worker (redaction happens there, before anything is shown, stored or sent);
- ending a call waits for the transcription to drain on a second serial worker, ``call-end`` (never on the
  desk worker, whose queue the last lines are still reaching); calls end one after another, in order;
- the team-server client runs its own asyncio thread; its callbacks go straight to the listener.

What the agent sees (the customer's context, the cards, the cues) is published for supervisors following the
call (``SyncClient.publish_call_info``) at call start and when it changes, at most every ``SHARE_INTERVAL_S``,
and again after a reconnect. A supervisor's whisper carrying a knowledge entry becomes a card of its own,
marked as theirs, above the matcher's cards until the call ends.

No server configured -> local only. Server unreachable -> the client's outbox keeps what must reach the team.
No audio device -> a clear problem with the way out (settings, or replaying a recording).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

from assist.after_call import apply_after_call
from assist.coaching import CoachSettings, HintKind
from assist.customers import customer_context, lookup_caller
from assist.domain import (
    CustomerContext,
    KnowledgeEntry,
    Suggestion,
    SuggestionKind,
    WhisperRecord,
    system_clock,
    utc_iso,
)
from assist.domain_words import Word, biasing_hotwords, biasing_prompt, domain_words
from assist.paths import data_dir, recordings_dir, store_path
from assist.privacy import ErasureError, erase_customer
from assist.redaction import redact
from assist.review_schema import ensure_review_schema
from assist.semantic import BackgroundEmbedding
from assist.session import CallSession
from assist.store import Store
from audio.after_call import AfterCallPass, AfterCallResult
from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription, SharedModel
from audio.models import ModelNotFoundError
from audio.recording import repair_recordings
from audio.source import AudioSource
from desktop.agent.desk import core_views, saving, team
from desktop.agent.desk.config import DeskConfig
from desktop.agent.desk.devices import NoDevice, call_source
from desktop.common.views import (
    CallSummary,
    CoachingView,
    CueView,
    CustomerView,
    QuickNote,
    SuggestionView,
    WhisperReceiptView,
    WhisperView,
    WrapUpDraft,
)
from desktop.common.worker import SerialWorker
from sync.client import ConnectionState, SyncClient
from sync.protocol import (
    CallInfo,
    Change,
    Erasure,
    RecordKind,
    SharedCue,
    SharedCustomer,
    Whisper,
    WhisperReceipt,
    from_json,
    to_json,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SHARE_INTERVAL_S = 0.3  # what the agent sees reaches followers at most ~3 times a second
SHARED_CUES = 20  # the latest cues a follower is told about

__all__ = ["CallDesk", "CallListener", "DeskConfig", "Problem", "SaveOutcome"]


class Problem(StrEnum):
    """What went wrong, for the UI to word in the agent's language (the detail names the file/device)."""

    NO_AUDIO_DEVICE = "no_audio_device"  # offer settings and file replay
    AUDIO_SOURCE = "audio_source"  # a file or device cannot be opened
    MODEL = "model"  # no Whisper weights
    STORE = "store"  # the local database cannot be opened or written
    SERVER_REFUSED = "server_refused"  # the team server rejected something from the outbox
    SAVE_FAILED = "save_failed"


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    call_id: str
    saved_locally: bool
    sent_to_server: bool  # queued in the outbox while online
    server_configured: bool


class CallListener(Protocol):
    """Everything a call produces. Called from worker threads: implementations must hand over and return."""

    def on_call_started(self, call_id: str) -> None: ...
    def on_transcript(self, event: TranscriptEvent) -> None: ...
    def on_audio_status(self, event: AudioStatusEvent) -> None: ...
    def on_customer(self, customer: CustomerView) -> None: ...
    def on_suggestions(self, cards: list[SuggestionView]) -> None: ...
    def on_cue(self, cue: CueView) -> None: ...
    def on_coaching(self, coaching: CoachingView) -> None: ...
    def on_whisper(self, whisper: WhisperView) -> None: ...
    def on_whisper_receipt(self, receipt: WhisperReceiptView) -> None: ...
    def on_connection(self, state: ConnectionState) -> None: ...
    def on_call_finished(self, call_id: str, draft: WrapUpDraft) -> None: ...
    def on_saved(self, outcome: SaveOutcome) -> None: ...
    def on_problem(self, problem: Problem, detail: str) -> None: ...


@dataclass(slots=True)
class _Call:
    call_id: str
    phone: str
    started: float
    session: CallSession | None = None
    customer_id: str | None = None
    transcription: LiveTranscription | None = None
    finished: bool = False
    summary: CallSummary = field(default_factory=lambda: CallSummary(call_id=""))
    finals: int = 0
    agent_lines: int = 0
    customer_lines: int = 0
    cards_seen: set[str] = field(default_factory=set)
    cues: int = 0
    bookmarks: set[str] = field(default_factory=set)
    # What the agent sees, kept so followers can be told (desk worker only).
    matched_cards: list[SuggestionView] = field(default_factory=list)
    pushed_cards: list[SuggestionView] = field(default_factory=list)
    shared_customer: SharedCustomer = field(default_factory=SharedCustomer)
    shared_cues: list[SharedCue] = field(default_factory=list)
    last_shared: CallInfo | None = None
    last_shared_at: float = 0.0
    share_pending: bool = False
    # For dead air: the audio time of the last words heard, when they were heard, the last silence check.
    heard_end: float = 0.0
    heard_at: float = 0.0
    silence_checked: float = 0.0
    # The recognizer's biasing prompt: who is calling, and the knowledge cards it was last built with.
    context: CustomerContext | None = None
    prompt_cards: tuple[str, ...] = ()


class CallDesk:
    """One agent's desk: the local store, the model, the team-server link and the call in progress.

    Public methods are called from the UI thread and return at once; the work happens on the desk worker.
    ``monotonic`` is the clock of the throttle and the dead-air check (injected by tests).
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
        # Knowledge written without `kb import` (the demo, a team sync) is embedded in the background.
        self._embedding: BackgroundEmbedding | None = None
        self._call: _Call | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.sync: SyncClient | None = None
        self.connection = ConnectionState.LOCAL_ONLY
        self.role = (
            ""  # the signed-in user's role on the team server (agent | supervisor | admin), once known
        )
        self.whispers_seen: set[str] = set()
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

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self, preload_model: bool = True) -> None:
        """Open the store (on the worker), begin loading the model (background) and connect to the server."""
        self._submit("open the store", self._open_store)
        self._submit("recover after restart", self._recover_after_restart)
        self._submit("embed knowledge in the background", self._embed_in_background)
        if preload_model:
            self._preload_model()
        self.connect_server(self.config.server_url, self.config.server_token)

    def shutdown(self) -> None:
        self._closing.set()
        for after in list(self._after_passes):
            after.cancel()
            after.join(timeout=10.0)
        call = self._call
        if call is not None and call.transcription is not None:
            call.transcription.stop()
            call.transcription.wait(timeout=10.0)
        self._ending.shutdown(timeout=15.0)  # a drain in progress sees the audio stopped and the app closing
        if self.sync is not None:
            try:
                self.sync.stop(timeout=3.0)
            except Exception:  # the app is closing: a stuck socket must not keep it open
                log.exception("stopping the team-server client failed")
            self.sync = None
        self._worker.submit(self._close_store)
        self._worker.shutdown()

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
                self._store = Store.open(self.store_file)
            except Exception as exc:
                self.listener.on_problem(Problem.STORE, f"{self.store_file}: {exc}")
                raise
        return self._store

    def _recover_after_restart(self) -> None:
        """Work left from a previous session, done off the UI thread before the first call: recordings of a
        session that was killed get their headers repaired, and the review tables and indexes exist before the
        agent first opens History (building an index on a large store takes seconds)."""
        try:
            repaired = repair_recordings(self.recordings)
        except OSError as exc:
            log.warning("could not check recordings in %s for repair: %s", self.recordings, exc)
        else:
            if repaired:
                log.info("repaired %d recording(s) left by an interrupted session", len(repaired))
        ensure_review_schema(self._open_store())
        self._apply_held_knowledge()  # team knowledge changes a call was holding when the app was cut off

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

    def _submit(self, what: str, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn`` on the desk worker; a failure is logged as ``what`` (and left in the future)."""
        return self._worker.submit(_logged(what, fn))

    def _submit_quietly(self, what: str, fn: Callable[[], object]) -> None:
        """Queue ``fn`` unless the app is closing (then the work is moot)."""
        if self._closing.is_set():
            return
        with contextlib.suppress(RuntimeError):  # the worker shut down: the app is closing
            self._submit(what, fn)

    # -- team server ----------------------------------------------------------------------------------------
    def connect_server(self, url: str, token: str) -> None:
        if self.sync is not None:
            self.sync.stop(timeout=3.0)
            self.sync = None
        self.config.server_url, self.config.server_token = url, token
        if not url:
            self._set_connection(ConnectionState.LOCAL_ONLY)
            return
        client = SyncClient(url, token, self.sync_state_file)
        client.on_whisper = self._whisper_arrived
        client.on_whisper_status = self._whisper_status
        client.on_connection_state = self._connection_changed
        client.on_erasure = self._erasure_arrived
        client.on_change = self._change_arrived
        client.on_request_error = lambda e: self.listener.on_problem(
            Problem.SERVER_REFUSED, f"{e.code}: {e.message}"
        )
        self.sync = client
        self._set_connection(ConnectionState.CONNECTING)
        client.start()

    def _erasure_arrived(self, erasure: Erasure) -> None:
        """A supervisor erased a customer for the team (sync client thread): this PC's copy goes too, on the
        desk worker (the store's one thread), as ``review delete-customer`` would erase it."""
        customer_id = erasure.customer_id
        if customer_id:
            self._submit_quietly("erase for the team", lambda: self._erase_here(customer_id))

    def _change_arrived(self, change: Change) -> None:
        """A change of the team's shared data (sync client thread). A knowledge entry a supervisor added,
        edited or deleted is applied to this PC's knowledge base on the desk worker, so the next call
        matches it, no restart needed. During a call it waits for the call to end: re-reading a large
        knowledge base (its word statistics, its meaning index) would hold up the live cards for seconds."""
        if change.kind is RecordKind.KNOWLEDGE:
            self._submit_quietly("apply a team knowledge change", lambda: self._apply_knowledge(change))

    def _apply_knowledge(self, change: Change) -> None:
        call = self._call
        if call is not None and call.session is not None and not call.finished:
            # Kept in the store, not in memory: the sync client counts the change as received, so a crash
            # before the call ends must not lose it (the next start applies it).
            store = self._open_store()
            store.hold_team_changes([*store.held_team_changes(), to_json(change)])
            return
        self._apply_knowledge_now(change)

    def _apply_held_knowledge(self) -> None:
        """Apply the team knowledge changes held during a call (or left by one that was cut off). Applying one
        twice is harmless, so they are cleared only after all were applied."""
        store = self._open_store()
        held = store.held_team_changes()
        if not held:
            return
        for text in held:
            try:
                change = from_json(text, Change)
            except ValueError as exc:
                log.warning("a held team knowledge change could not be read and is dropped: %s", exc)
                continue
            self._apply_knowledge_now(change)
        store.hold_team_changes([])

    def _apply_knowledge_now(self, change: Change) -> None:
        store = self._open_store()
        known = store.get_knowledge(change.record_id)
        try:
            entry = team.knowledge_entry(change.record_id, change.record, known)
        except ValueError as exc:
            log.warning("team knowledge change %s is not a knowledge entry: %s", change.record_id, exc)
            return
        if entry is None:
            if not store.delete_knowledge(change.record_id):
                return
        elif known is not None and replace(entry, updated_at=known.updated_at) == known:
            return  # replayed after a reconnect: nothing to do (the matcher keeps its index)
        else:
            store.upsert_knowledge([entry])
        # The matcher re-reads the knowledge base at its next search; the vectors of new or edited entries
        # are embedded meanwhile off the worker.
        if self._embedding is None:
            self._embed_in_background()
        else:
            self._embedding.notify()

    def _erase_here(self, customer_id: str) -> None:
        try:
            report = erase_customer(self._open_store(), customer_id, self.recordings)
        except ErasureError:
            return  # this PC never held them
        log.info(
            "erased %s for the team: %d calls, %d rows", customer_id, len(report.call_ids), report.total_rows
        )

    def _connection_changed(self, state: ConnectionState, reason: str) -> None:
        if state is ConnectionState.CONNECTED:
            client = self.sync
            self.role = client.user.role.value if client is not None and client.user is not None else ""
            call = self._call
            if call is not None and not call.finished:
                # What was shared while offline was dropped: followers get the current state again.
                self._submit_quietly("share again", lambda: self._share_again(call))
            self._set_connection(ConnectionState.CONNECTED, force=True)
        elif state is ConnectionState.CONNECTING and reason == "starting":
            self._set_connection(ConnectionState.CONNECTING)
        else:
            # Retrying after a failure is, for the agent, being offline: work is kept and sent later.
            if "token" in reason:
                self.listener.on_problem(Problem.SERVER_REFUSED, reason)
            self._set_connection(ConnectionState.OFFLINE)

    def _set_connection(self, state: ConnectionState, force: bool = False) -> None:
        if state is self.connection and state is not ConnectionState.CONNECTING and not force:
            return  # retries report the same state again and again: tell the screen once
        self.connection = state
        self.listener.on_connection(state)

    def _whisper_arrived(self, received: Whisper) -> None:
        whisper = team.whisper_view(received)
        if not whisper.whisper_id or whisper.whisper_id in self.whispers_seen:
            return
        self.whispers_seen.add(whisper.whisper_id)
        call = self._call
        if call is not None:
            call.summary = replace(call.summary, whispers=call.summary.whispers + 1)
        self.listener.on_whisper(whisper)
        sent_at = team.whisper_sent_at(received)
        self._submit_quietly("keep whisper", lambda: self._keep_whisper(call, whisper, sent_at))
        card = team.pushed_card(whisper, received.attachment)
        if (
            card is not None
            and call is not None
            and not call.finished
            and whisper.call_id in ("", call.call_id)
        ):
            self._submit_quietly("pin pushed card", lambda: self._pin_pushed(call, card))

    def _keep_whisper(self, call: _Call | None, whisper: WhisperView, sent_at: str) -> None:
        """The whisper becomes part of the call's record (desk worker): text (masked like the transcript),
        author, when it was sent and arrived, the line it points at. Review, exports and insights read it."""
        call_id = whisper.call_id or (call.call_id if call is not None else "")
        if not call_id:
            log.info("whisper %s is not about a call: shown, not kept with a call", whisper.whisper_id)
            return
        self._open_store().upsert_whisper(
            WhisperRecord(
                id=whisper.whisper_id,
                call_id=call_id,
                author=whisper.sender,
                text=redact(whisper.text).text,
                sent_at=sent_at,
                segment_id=whisper.anchor_segment or None,
                delivered_at=utc_iso(system_clock()),
            )
        )

    def _pin_pushed(self, call: _Call, card: SuggestionView) -> None:
        """A card the supervisor sent stays on top of the matcher's cards until the call ends."""
        call.pushed_cards = [card, *(c for c in call.pushed_cards if c.key != card.key)]
        call.cards_seen.add(card.key)
        self.listener.on_suggestions(self._cards_now(call))
        self._share(call)

    def _cards_now(self, call: _Call) -> list[SuggestionView]:
        pushed = {c.key for c in call.pushed_cards}
        return [*call.pushed_cards, *(c for c in call.matched_cards if c.key not in pushed)]

    # -- what a following supervisor sees -------------------------------------------------------------------
    def _share(self, call: _Call) -> None:
        """Publish what the agent sees (customer, cards, cues) if it changed; at most every SHARE_INTERVAL_S,
        with a trailing publish so the last change is never lost. Desk worker only."""
        client = self.sync
        if client is None or client.state is not ConnectionState.CONNECTED:
            return  # dropped while offline anyway; sent again on reconnecting
        info = team.call_info(
            call.shared_customer,
            self._cards_now(call),
            call.shared_cues,
            call.session is not None and call.session.needs_moment,
        )
        if info == call.last_shared:
            return
        wait = call.last_shared_at + SHARE_INTERVAL_S - self._monotonic()
        if wait > 0:
            if not call.share_pending:
                call.share_pending = True
                with contextlib.suppress(RuntimeError):  # the worker shut down: the app is closing
                    self._worker.call_later(
                        wait, _logged("trailing share", lambda: self._share_pending(call))
                    )
            return
        client.publish_call_info(call.call_id, info)
        call.last_shared, call.last_shared_at = info, self._monotonic()

    def _share_pending(self, call: _Call) -> None:
        call.share_pending = False
        if not call.finished:
            self._share(call)

    def _share_again(self, call: _Call) -> None:
        call.last_shared = None
        self._share(call)

    def _whisper_status(self, receipt: WhisperReceipt) -> None:
        self.listener.on_whisper_receipt(team.receipt_view(receipt))

    def raise_hand(self, reason: str = "", raised: bool = True) -> bool:
        """Ask the team's supervisors for help on the call in progress (or lower the hand); False when there
        is no call or no team server to ask. The reason is masked by the caller (one line)."""
        call = self._call
        client = self.sync
        if call is None or call.finished or client is None:
            return False
        # On the worker, behind the call's start: the server must know the call before its hand.
        self._submit_quietly("raise hand", lambda: client.raise_hand(call.call_id, reason, raised))
        return True

    def mark_whisper_read(self, whisper_id: str) -> None:
        if self.sync is not None:
            self.sync.mark_whisper_read(whisper_id)
        read_at = utc_iso(system_clock())
        self._submit_quietly(
            "mark whisper read", lambda: self._open_store().mark_whisper_read(whisper_id, read_at)
        )

    # -- a call ---------------------------------------------------------------------------------------------
    @property
    def in_call(self) -> bool:
        return self._call is not None and not self._call.finished

    def start_call(
        self, phone: str = "", *, replay: Path | None = None, source: AudioSource | None = None
    ) -> str:
        """Start a call now; returns its id. ``replay`` plays a recording through the live pipeline."""
        if self.in_call:
            raise RuntimeError("a call is already in progress")
        call = _Call(call_id=f"call-{uuid.uuid4().hex[:12]}", phone=phone.strip(), started=time.time())
        call.summary = CallSummary(call_id=call.call_id)
        self._call = call
        self.listener.on_call_started(call.call_id)
        self._submit("open call", lambda: self._open_call(call, replay, source))
        return call.call_id

    def _open_call(self, call: _Call, replay: Path | None, source: AudioSource | None) -> None:
        try:
            self._begin(call, replay, source)
        except Exception as exc:  # whatever failed, the agent gets a message and a usable screen back
            log.exception("starting call %s failed", call.call_id)
            self._abandon(call, exc)

    def _begin(self, call: _Call, replay: Path | None, source: AudioSource | None) -> None:
        store = self._open_store()
        lookup = lookup_caller(store, call.phone) if call.phone else None
        call.customer_id = core_views.lookup_customer_id(lookup) if lookup is not None else None
        context = customer_context(store, call.customer_id) if call.customer_id else None
        call.context = context
        customer_view = core_views.customer_view(context, call.phone)
        self.listener.on_customer(customer_view)
        call.shared_customer = team.shared_customer(customer_view)
        self._apply_held_knowledge()  # left by a call whose wrap-up failed
        call.session = self._new_session(store, call)
        if self.sync is not None:
            customer = (
                SharedCustomer(id=call.customer_id, name=context.customer.name)
                if context is not None and call.customer_id
                else None
            )
            self.sync.call_started(call.call_id, customer, call.started)
            self._share(call)
        source = source or call_source(self.config, replay)
        prompt = self._biasing_prompt(context)
        call.transcription = LiveTranscription(
            source,
            call_id=call.call_id,
            language=self.config.language,
            model=self.config.model,
            record_dir=self.recordings if self.config.record else None,
            on_event=lambda event: self._heard(call, event),
            on_status=lambda status: self._audio_status(call, status),
            prompt=prompt,
            hotwords=biasing_hotwords(self.config.language, prompt),
            lexicon=self._lexicon(store, context),
        )
        with self._lock:
            if call.finished:
                return  # the agent ended the call while it was being set up
            call.transcription.start()

    def _new_session(self, store: Store, call: _Call) -> CallSession:
        enabled = frozenset(k for k in HintKind if k.value not in self.config.coaching_off)
        return CallSession(
            store,
            call.call_id,
            call.customer_id,
            self.config.language,
            agent=self.agent_name,
            coaching=CoachSettings(enabled),
        )

    def _lexicon(self, store: Store, context: CustomerContext | None) -> list[Word] | None:
        # misheard support words, knowledge terms and names are put right by reading, the caller's name first
        try:
            return domain_words(store, context.customer if context is not None else None)
        except Exception:  # the call goes on without corrections rather than not at all
            log.exception("building the domain word list failed")
            return None

    def _biasing_prompt(
        self, context: CustomerContext | None, cards: tuple[KnowledgeEntry, ...] = ()
    ) -> str | None:
        # The caller's name, the knowledge cards on screen and their open promises name what the call is
        # about; assist.domain_words.biasing_prompt says what else goes in (measured in bench_support_ja).
        return biasing_prompt(
            self.config.language,
            caller=context.customer if context is not None else None,
            cards=cards,
            notes=[f.text for f in context.open_follow_ups[:3]] if context is not None else (),
        )

    def _rebias(self, call: _Call, session: CallSession, suggestions: list[Suggestion]) -> None:
        """The knowledge cards on screen changed: the recognizer's prompt follows them (desk worker)."""
        ids = tuple(s.id for s in suggestions if s.kind is SuggestionKind.KNOWLEDGE)[:3]
        if ids == call.prompt_cards or call.transcription is None:
            return
        call.prompt_cards = ids
        entries = tuple(e for e in map(session.store.get_knowledge, ids) if e is not None)
        prompt = self._biasing_prompt(call.context, entries)
        call.transcription.set_biasing(prompt, biasing_hotwords(self.config.language, prompt))

    def _abandon(self, call: _Call, exc: Exception) -> None:
        if isinstance(exc, NoDevice):
            problem = Problem.NO_AUDIO_DEVICE
        elif isinstance(exc, ModelNotFoundError):
            problem = Problem.MODEL
        elif isinstance(exc, OSError | RuntimeError | ValueError) and call.session is not None:
            problem = Problem.AUDIO_SOURCE
        else:
            problem = Problem.STORE if call.session is None else Problem.AUDIO_SOURCE
        self.listener.on_problem(problem, str(exc))
        self._finish(call)

    def _heard(self, call: _Call, event: TranscriptEvent) -> None:
        if not self._closing.is_set():
            self._submit("feed", lambda: self._feed(call, event))

    def _feed(self, call: _Call, event: TranscriptEvent) -> None:
        session = call.session
        if session is None:
            return
        update = session.feed(event)
        shown = update.event
        self.listener.on_transcript(shown)
        if shown.kind is EventKind.FINAL and shown.text.strip() and not shown.revised:
            call.finals += 1
            if shown.channel is Channel.AGENT:
                call.agent_lines += 1
            else:
                call.customer_lines += 1
        cards = [core_views.suggestion_view(s) for s in update.suggestions]
        self._rebias(call, session, list(update.suggestions))
        call.cards_seen.update(c.key for c in cards)
        call.matched_cards = cards
        self.listener.on_suggestions(self._cards_now(call))
        for cue in update.cues:
            call.cues += 1
            self.listener.on_cue(core_views.cue_view(cue))
            call.shared_cues = [*call.shared_cues, team.shared_cue(cue)][-SHARED_CUES:]
        call.heard_end, call.heard_at = max(call.heard_end, shown.end), self._monotonic()
        if shown.kind is EventKind.FINAL and not shown.revised:
            self.listener.on_coaching(core_views.coaching_view(session, update.hints))
        if self.sync is not None:
            self.sync.publish_transcript(shown)
            self._share(call)

    def _audio_status(self, call: _Call, status: AudioStatusEvent) -> None:
        self.listener.on_audio_status(status)
        if status.kind is AudioStatusKind.LEVEL and self._monotonic() - call.silence_checked >= 1.0:
            call.silence_checked = self._monotonic()
            self._submit_quietly("check silence", lambda: self._check_silence(call))
        if status.kind is AudioStatusKind.SOURCE_ENDED:
            # A replayed recording ran out: the call is over, as if the customer hung up. The last words are
            # still being transcribed: let them finish rather than cut them off.
            self._finish_in_background(call, cut=False)

    def _check_silence(self, call: _Call) -> None:
        """Dead air: nothing heard for a while. Audio time now = the last words' end + the time since."""
        session = call.session
        if session is None or call.finished or not call.heard_at:
            return
        hint = session.silence(call.heard_end + self._monotonic() - call.heard_at)
        if hint is not None:
            self.listener.on_coaching(core_views.coaching_view(session, (hint,)))

    def end_call(self) -> None:
        call = self._call
        if call is None or call.finished:
            return
        self._finish_in_background(call, cut=True)

    def _finish_in_background(self, call: _Call, *, cut: bool) -> None:
        """End the call off the caller's thread: draining the transcription can take seconds."""
        with contextlib.suppress(RuntimeError):  # the call-end worker shut down: the app is closing
            self._ending.submit(_logged("end call", lambda: self._finish(call, cut)))

    def _finish(self, call: _Call, cut: bool = True) -> None:
        """End the call: stop the audio (``cut``) or let a source that ended drain, and let the last finals
        through (they queue on the worker before the wrap-up)."""
        with self._lock:
            if call.finished:
                return
            call.finished = True
        transcription = call.transcription
        if transcription is not None:
            if cut:
                transcription.stop()
            if not transcription.wait(timeout=120.0):
                transcription.stop()
                transcription.wait(timeout=10.0)
        if self._closing.is_set():
            return  # the app is closing: the call stays stored as it was; no wrap-up screen to show
        try:
            self._submit("wrap up", lambda: self._wrap_up(call))
        except RuntimeError:  # the worker shut down between the check and the submit
            log.info("call %s ended while the app was closing", call.call_id)

    def _wrap_up(self, call: _Call) -> None:
        draft = WrapUpDraft()
        if call.session is not None:
            draft = core_views.wrap_up_draft(call.session.wrap_up())
            pause = call.session.after_call()
            if pause is not None:
                self.listener.on_coaching(core_views.coaching_view(call.session, (pause,)))
        if self.sync is not None:
            self.sync.call_ended(call.call_id)
        call.summary = replace(
            call.summary,
            finals=call.finals,
            agent_lines=call.agent_lines,
            customer_lines=call.customer_lines,
            suggestions=len(call.cards_seen),
            cues=call.cues,
        )
        self.last_summary = call.summary
        self.listener.on_call_finished(call.call_id, draft)
        self._apply_held_knowledge()
        self._start_after_call_pass(call)

    def _start_after_call_pass(self, call: _Call) -> None:
        """Transcribe the saved recording again with the chosen bigger model, in the background at low
        priority; its lines then replace the call's (marked) for review, search and wrap-up."""
        model = self.config.after_call_model
        recordings = call.transcription.recordings if call.transcription is not None else {}
        if not model or not recordings or call.session is None:
            return
        words = self._lexicon(call.session.store, None)
        after = AfterCallPass(
            recordings,
            model=model,
            language=self.config.language,
            lexicon=words,
            on_done=lambda result: self._after_call_done(call.call_id, after, result),
            on_error=lambda exc: self._after_call_failed(after, exc),
        )
        self._after_passes.append(after)
        after.start()

    def _after_call_done(self, call_id: str, after: AfterCallPass, result: AfterCallResult) -> None:
        def apply() -> None:
            count = apply_after_call(self._open_store(), call_id, result)
            log.info("after-call pass (%s) replaced %d lines of %s", result.source, count, call_id)

        self._forget_after_pass(after)
        if not result.cancelled and not self._closing.is_set():
            with contextlib.suppress(RuntimeError):  # the worker shut down: the app is closing
                self._submit("apply after-call pass", apply)

    def _after_call_failed(self, after: AfterCallPass, exc: BaseException) -> None:
        self._forget_after_pass(after)
        log.warning("after-call pass failed; the live transcript stays: %s", exc)

    def _forget_after_pass(self, after: AfterCallPass) -> None:
        with contextlib.suppress(ValueError):
            self._after_passes.remove(after)

    def save_wrap_up(self, draft: WrapUpDraft, notes: list[QuickNote] | None = None) -> Future[SaveOutcome]:
        call = self._call
        if call is None:
            raise RuntimeError("no call to wrap up")
        chosen = list(notes or ())
        return self._submit("save", lambda: self._save(call, draft, chosen))

    def _save(self, call: _Call, draft: WrapUpDraft, notes: list[QuickNote]) -> SaveOutcome:
        try:
            session = call.session
            if session is None:
                raise RuntimeError("the call never started: there is nothing to save")
            agent = self.agent_name
            if not session.agent:
                session.agent = agent  # the call started before the server said who signed in
            record = saving.save_wrap_up(session, draft, notes, agent)
        except Exception as exc:
            self.listener.on_problem(Problem.SAVE_FAILED, str(exc))
            raise
        sent = False
        if self.sync is not None:
            for kind, payload in team.shared_changes(record):
                self.sync.push_change(kind, payload)
            sent = self.connection is ConnectionState.CONNECTED
        outcome = SaveOutcome(call.call_id, True, sent, self.sync is not None)
        call.summary = replace(call.summary, saved=True, synced=sent)
        self.last_summary = call.summary
        self.listener.on_saved(outcome)
        return outcome

    def suggestion_feedback(self, card: SuggestionView, action: str) -> None:
        call = self._call
        session = call.session if call is not None else None
        if session is None or card.pushed_by:
            return  # a pushed card is not the matcher's: its ranking has nothing to learn from it
        self._submit("card feedback", lambda: saving.record_feedback(session, card, action))

    def bookmark(self, segment_id: str, on: bool) -> None:
        call = self._call
        if call is not None:
            (call.bookmarks.add if on else call.bookmarks.discard)(segment_id)


def _logged(what: str, fn: Callable[[], T]) -> Callable[[], T]:
    def run() -> T:
        try:
            return fn()
        except Exception:
            log.exception("desk worker task %s failed", what)
            raise

    return run
