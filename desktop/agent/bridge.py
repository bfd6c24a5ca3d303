"""The one place where work on other threads reaches the Qt main thread.

The transcription engine, the desk worker (store, call session) and the team-server client all run on their
own threads and report through a plain :class:`~desktop.agent.desk.CallListener`. Widgets may only be touched
on the Qt main thread, so this listener re-emits every callback as a Qt signal. The bridge lives on the main
thread, so Qt queues each emission made from another thread and delivers it on the main thread's event loop:
no locks in widgets, and no thread ever waits for the UI. Emissions pass an
:class:`~desktop.common.lifetime.EmitGate`: a worker that reports after the app closed (a stop that timed out)
is ignored instead of touching a deleted object.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from audio.events import AudioStatusEvent, TranscriptEvent
from desktop.agent.desk import Problem, SaveOutcome
from desktop.common.lifetime import EmitGate
from desktop.common.views import (
    CoachingView,
    CueView,
    CustomerView,
    SuggestionView,
    WhisperReceiptView,
    WhisperView,
    WrapUpDraft,
)
from sync.client import ConnectionState


class LiveCallBridge(QObject):
    """A :class:`~desktop.agent.desk.CallListener` whose callbacks become queued signals.

    Signals:
        call_started(str): a call began (call id).
        transcript(TranscriptEvent): a partial or final line, already redacted by the call session.
        audio_status(AudioStatusEvent): device lost/restored, recording stopped, source ended, level, lag.
        customer(CustomerView): who is calling (or a new caller), with their context.
        suggestions(list[SuggestionView]): the cards to show now (replaces the previous set).
        cue(CueView): an empathy phrase or a proposed follow-up.
        coaching(CoachingView): the conversation so far (quiet figures) and new coaching hints.
        whisper(WhisperView): a supervisor's whisper arrived (each id once).
        whisper_receipt(WhisperReceiptView): a whisper's delivery state changed.
        connection(ConnectionState): the team-server connection changed.
        call_finished(str, WrapUpDraft): the call ended; the prefilled wrap-up.
        saved(SaveOutcome): the wrap-up was saved (locally; and queued for the server or not).
        problem(Problem, str): something the agent must know; the detail names the file/device/server.
    """

    call_started = Signal(str)
    transcript = Signal(object)
    audio_status = Signal(object)
    customer = Signal(object)
    suggestions = Signal(object)
    cue = Signal(object)
    coaching = Signal(object)
    whisper = Signal(object)
    whisper_receipt = Signal(object)
    connection = Signal(object)
    call_finished = Signal(str, object)
    saved = Signal(object)
    problem = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._gate = EmitGate(self)

    def close(self) -> None:
        """Report nothing more (the app is closing; workers that outlive it are ignored)."""
        self._gate.close()

    def on_call_started(self, call_id: str) -> None:
        self._gate.emit(self.call_started, call_id)

    def on_transcript(self, event: TranscriptEvent) -> None:
        self._gate.emit(self.transcript, event)

    def on_audio_status(self, event: AudioStatusEvent) -> None:
        self._gate.emit(self.audio_status, event)

    def on_customer(self, customer: CustomerView) -> None:
        self._gate.emit(self.customer, customer)

    def on_suggestions(self, cards: list[SuggestionView]) -> None:
        self._gate.emit(self.suggestions, list(cards))

    def on_cue(self, cue: CueView) -> None:
        self._gate.emit(self.cue, cue)

    def on_coaching(self, coaching: CoachingView) -> None:
        self.coaching.emit(coaching)

    def on_whisper(self, whisper: WhisperView) -> None:
        self._gate.emit(self.whisper, whisper)

    def on_whisper_receipt(self, receipt: WhisperReceiptView) -> None:
        self._gate.emit(self.whisper_receipt, receipt)

    def on_connection(self, state: ConnectionState) -> None:
        self._gate.emit(self.connection, state)

    def on_call_finished(self, call_id: str, draft: WrapUpDraft) -> None:
        self._gate.emit(self.call_finished, call_id, draft)

    def on_saved(self, outcome: SaveOutcome) -> None:
        self._gate.emit(self.saved, outcome)

    def on_problem(self, problem: Problem, detail: str) -> None:
        self._gate.emit(self.problem, problem, detail)
