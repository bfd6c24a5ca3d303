"""The end of a call: the transcription drained on the ``call-end`` worker (never on the desk worker, whose
queue the last lines are still reaching), the proposed wrap-up, the after-call pass with a bigger model, the
agent's wrap-up and quick notes saved (and shared with the team), card feedback and bookmarks."""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Future
from dataclasses import replace

from assist.after_call import apply_after_call
from audio.after_call import AfterCallPass, AfterCallResult
from desktop.agent.desk import core_views, saving, team
from desktop.agent.desk.desk_base import logged
from desktop.agent.desk.listener import Problem, SaveOutcome
from desktop.agent.desk.live_call import LiveCall
from desktop.agent.desk.team_link import TeamLink
from desktop.common.views import QuickNote, SuggestionView, WrapUpDraft
from sync.client import ConnectionState

log = logging.getLogger(__name__)


class CallEnd(TeamLink):
    """A call from its end to its saved wrap-up."""

    def end_call(self) -> None:
        call = self._call
        if call is None or call.finished:
            return
        self._finish_in_background(call, cut=True)

    def _finish_in_background(self, call: LiveCall, *, cut: bool) -> None:
        """End the call off the caller's thread: draining the transcription can take seconds."""
        with contextlib.suppress(RuntimeError):  # the call-end worker shut down: the app is closing
            self._ending.submit(logged("end call", lambda: self._finish(call, cut)))

    def _finish(self, call: LiveCall, cut: bool = True) -> None:
        """End the call: stop the audio (``cut``) or let a source that ended drain, and let the last finals
        through (they queue on the worker before the wrap-up)."""
        with self._lock:
            if call.finished:
                return
            call.finished = True
            while call.starting:  # its audio is still being started (CallFlow._begin): stop it once it runs
                self._started.wait()
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

    def _wrap_up(self, call: LiveCall) -> None:
        if self._erased_here(call):
            # The server forgot the call with her (its end would be refused): nothing more is sent about it.
            self.listener.on_call_finished(call.call_id, WrapUpDraft())
            self._forget_erased_call(call)
            self._apply_held_knowledge()
            return  # no after-call pass either: the recording is gone
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

    def _forget_erased_call(self, call: LiveCall) -> None:
        """The team erased the caller during the call (desk worker, after the drain): what the call wrote
        since (transcript lines, cues, whispers, the recording) goes the same way as the rest of her. The
        call stayed marked in the store since the erasure (an unknown caller's call, named by the erasure,
        too); erased again by its id, it is found and erased whole, and the mark goes. The agent is told why
        nothing of the call was kept."""
        self._erase_call_here(call)
        self.listener.on_problem(Problem.ERASED_DURING_CALL, call.call_id)

    def _erase_if_erased(self, call: LiveCall) -> None:
        if self._store is not None and self._erased_here(call):
            self._erase_call_here(call)

    def _erase_call_here(self, call: LiveCall) -> None:
        customer_id = call.erased_for
        if customer_id is not None:
            self._erase_here(customer_id, (call.call_id,))

    def _start_after_call_pass(self, call: LiveCall) -> None:
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

    def _save(self, call: LiveCall, draft: WrapUpDraft, notes: list[QuickNote]) -> SaveOutcome:
        if self._erased_here(call):
            # Erased while live or while the form was open: nothing is saved here nor sent to the team.
            self._forget_erased_call(call)
            return SaveOutcome(call.call_id, False, False, self.sync is not None)
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
