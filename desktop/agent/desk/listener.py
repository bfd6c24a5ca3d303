"""What the desk reports: the listener every call talks to (the Qt bridge re-emits it as signals, the headless
demo prints it), the problems it names and the outcome of a save."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from audio.events import AudioStatusEvent, TranscriptEvent
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


class Problem(StrEnum):
    """What went wrong, for the UI to word in the agent's language (the detail names the file/device)."""

    NO_AUDIO_DEVICE = "no_audio_device"  # offer settings and file replay
    AUDIO_SOURCE = "audio_source"  # a file or device cannot be opened
    MODEL = "model"  # no Whisper weights
    STORE = "store"  # the local database cannot be opened or written
    SERVER_REFUSED = "server_refused"  # the team server rejected something from the outbox
    SAVE_FAILED = "save_failed"
    # Not a failure: the team erased the caller during the call, so the ended call was not kept (a notice).
    ERASED_DURING_CALL = "erased_during_call"


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
