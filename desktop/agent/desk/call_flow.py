"""A call while it runs: who is calling (looked up on the desk worker), the session and the live
transcription, every line heard (masked, matched, cued, coached, shared), the recognizer's biasing kept in
step with the cards on screen, the audio status and the dead-air check."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

from assist.coaching import CoachSettings, HintKind
from assist.customers import customer_context, lookup_caller
from assist.domain import CustomerContext, KnowledgeEntry, Suggestion, SuggestionKind
from assist.domain_words import biasing_hotwords, biasing_prompt
from assist.session import CallSession
from assist.store import Store
from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription
from audio.models import ModelNotFoundError
from audio.source import AudioSource
from desktop.agent.desk import core_views, team
from desktop.agent.desk.call_end import CallEnd
from desktop.agent.desk.devices import NoDevice, call_source
from desktop.agent.desk.listener import Problem
from desktop.agent.desk.live_call import LiveCall
from desktop.agent.desk.team_link import SHARED_CUES
from desktop.common.views import CallSummary
from sync.protocol import SharedCustomer

log = logging.getLogger(__name__)


class CallFlow(CallEnd):
    """A call from its start to its end being asked for: the parts that run while the customer talks."""

    @property
    def in_call(self) -> bool:
        return self._call is not None and not self._call.finished

    def start_call(
        self, phone: str = "", *, replay: Path | None = None, source: AudioSource | None = None
    ) -> str:
        """Start a call now; returns its id. ``replay`` plays a recording through the live pipeline."""
        if self.in_call:
            raise RuntimeError("a call is already in progress")
        call = LiveCall(call_id=f"call-{uuid.uuid4().hex[:12]}", phone=phone.strip(), started=time.time())
        call.summary = CallSummary(call_id=call.call_id)
        self._call = call
        self.listener.on_call_started(call.call_id)
        self._submit("open call", lambda: self._open_call(call, replay, source))
        return call.call_id

    def _open_call(self, call: LiveCall, replay: Path | None, source: AudioSource | None) -> None:
        try:
            self._begin(call, replay, source)
        except Exception as exc:  # whatever failed, the agent gets a message and a usable screen back
            log.exception("starting call %s failed", call.call_id)
            self._abandon(call, exc)

    def _begin(self, call: LiveCall, replay: Path | None, source: AudioSource | None) -> None:
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
            call.starting = True
        # Started outside the lock: loading a model and opening devices take time, and may report a status to
        # the listener (no callback runs under the desk's lock). A call ended meanwhile waits for this.
        try:
            call.transcription.start()
        finally:
            with self._lock:
                call.starting = False
                self._started.notify_all()

    def _new_session(self, store: Store, call: LiveCall) -> CallSession:
        enabled = frozenset(k for k in HintKind if k.value not in self.config.coaching_off)
        return CallSession(
            store,
            call.call_id,
            call.customer_id,
            self.config.language,
            agent=self.agent_name,
            coaching=CoachSettings(enabled),
        )

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

    def _rebias(self, call: LiveCall, session: CallSession, suggestions: list[Suggestion]) -> None:
        """The knowledge cards on screen changed: the recognizer's prompt follows them (desk worker)."""
        ids = tuple(s.id for s in suggestions if s.kind is SuggestionKind.KNOWLEDGE)[:3]
        if ids == call.prompt_cards or call.transcription is None:
            return
        call.prompt_cards = ids
        entries = tuple(e for e in map(session.store.get_knowledge, ids) if e is not None)
        prompt = self._biasing_prompt(call.context, entries)
        call.transcription.set_biasing(prompt, biasing_hotwords(self.config.language, prompt))

    def _abandon(self, call: LiveCall, exc: Exception) -> None:
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

    def _heard(self, call: LiveCall, event: TranscriptEvent) -> None:
        if not self._closing.is_set():
            self._submit("feed", lambda: self._feed(call, event))

    def _feed(self, call: LiveCall, event: TranscriptEvent) -> None:
        session = call.session
        if session is None:
            return
        self._erased_here(call)  # erased on this PC since the last line: nothing more is sent from now on
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
        if self.sync is not None and call.erased_for is None:  # the team erased her: nothing more is sent
            self.sync.publish_transcript(shown)
            self._share(call)

    def _audio_status(self, call: LiveCall, status: AudioStatusEvent) -> None:
        self.listener.on_audio_status(status)
        if status.kind is AudioStatusKind.LEVEL and self._monotonic() - call.silence_checked >= 1.0:
            call.silence_checked = self._monotonic()
            self._submit_quietly("check silence", lambda: self._check_silence(call))
        if status.kind is AudioStatusKind.SOURCE_ENDED:
            # A replayed recording ran out: the call is over, as if the customer hung up. The last words are
            # still being transcribed: let them finish rather than cut them off.
            self._finish_in_background(call, cut=False)

    def _check_silence(self, call: LiveCall) -> None:
        """Dead air: nothing heard for a while. Audio time now = the last words' end + the time since."""
        session = call.session
        if session is None or call.finished or not call.heard_at:
            return
        hint = session.silence(call.heard_end + self._monotonic() - call.heard_at)
        if hint is not None:
            self.listener.on_coaching(core_views.coaching_view(session, (hint,)))
