"""The call in progress as the desk keeps it: its session and transcription, what the agent sees (kept so
followers can be told), the counts for the call's summary and the state of the dead-air check."""

from __future__ import annotations

from dataclasses import dataclass, field

from assist.domain import CustomerContext
from assist.session import CallSession
from audio.live import LiveTranscription
from desktop.common.views import CallSummary, SuggestionView
from sync.protocol import CallInfo, SharedCue, SharedCustomer


@dataclass(slots=True)
class LiveCall:
    """One call of the desk, from its start to its saved wrap-up (fields written on the desk worker, apart
    from ``finished`` and ``starting``, kept under the desk's lock)."""

    call_id: str
    phone: str
    started: float
    session: CallSession | None = None
    customer_id: str | None = None
    transcription: LiveTranscription | None = None
    finished: bool = False
    # The customer the team erased while the call ran (the erasure named her or this call): the call may go
    # on, but nothing of it is kept on this PC nor sent to the team once it ends (CallEnd).
    erased_for: str | None = None
    starting: bool = False  # its transcription is being started, outside the desk's lock
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
