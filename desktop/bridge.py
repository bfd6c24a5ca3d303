"""The one place where work on other threads reaches the Qt main thread.

The transcription engine, the call session worker and the team-server client all run on their own threads and
report through plain callbacks. Widgets must only be touched on the Qt main thread, so every callback lands
here and is re-emitted as a Qt signal. The bridge lives on the main thread, so Qt queues each emission from
another thread and delivers it on the main thread's event loop: no locks in widgets, no waiting in the UI.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from audio.events import AudioStatusEvent, TranscriptEvent
from desktop.views import (
    ConnectionState,
    CueView,
    CustomerView,
    SuggestionView,
    WhisperReceiptView,
    WhisperView,
)


class LiveCallBridge(QObject):
    """Thread-safe entry points (``post_*``) turned into queued signals for the UI.

    Signals:
        transcript(TranscriptEvent): a partial or final line, already redacted by the call session.
        audio_status(AudioStatusEvent): device lost/restored, recording stopped, source ended, level, lag.
        suggestions(list[SuggestionView]): the cards to show now (replaces the previous set).
        cue(CueView): an empathy/summary phrase or a proposed follow-up.
        customer(CustomerView): who is calling (or a new caller), with their context.
        whisper(WhisperView): a supervisor's whisper arrived (shown once per id).
        whisper_receipt(WhisperReceiptView): a whisper's delivery state changed (for the sender's view).
        connection(ConnectionState): the team server connection changed.
        call_finished(str): the call's audio source ended or the call was stopped (call id).
        problem(str): something the agent must know that is not tied to a panel (already translated).
    """

    transcript = Signal(object)
    audio_status = Signal(object)
    suggestions = Signal(object)
    cue = Signal(object)
    customer = Signal(object)
    whisper = Signal(object)
    whisper_receipt = Signal(object)
    connection = Signal(object)
    call_finished = Signal(str)
    problem = Signal(str)

    def post_transcript(self, event: TranscriptEvent) -> None:
        self.transcript.emit(event)

    def post_audio_status(self, event: AudioStatusEvent) -> None:
        self.audio_status.emit(event)

    def post_suggestions(self, cards: list[SuggestionView]) -> None:
        self.suggestions.emit(list(cards))

    def post_cue(self, cue: CueView) -> None:
        self.cue.emit(cue)

    def post_customer(self, customer: CustomerView) -> None:
        self.customer.emit(customer)

    def post_whisper(self, whisper: WhisperView) -> None:
        self.whisper.emit(whisper)

    def post_whisper_receipt(self, receipt: WhisperReceiptView) -> None:
        self.whisper_receipt.emit(receipt)

    def post_connection(self, state: ConnectionState) -> None:
        self.connection.emit(state)

    def post_call_finished(self, call_id: str) -> None:
        self.call_finished.emit(call_id)

    def post_problem(self, message: str) -> None:
        self.problem.emit(message)
