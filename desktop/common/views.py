"""What the call screen shows, as small frozen values.

The widgets draw these and nothing else, so they do not depend on how the core packages shape their own
records; ``desktop.agent.desk.core_views`` translates core results into them in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# One way to write a list of tags in every window (docs/glossary.md): "billing, refund". Typing accepts the
# Japanese comma and semicolons too, so a list pasted from elsewhere is split the same way.
TAG_SEPARATOR = ", "
_TAG_SPLIT = re.compile(r"[,、;；，]")


def join_tags(tags: tuple[str, ...] | list[str]) -> str:
    return TAG_SEPARATOR.join(tags)


def split_tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in _TAG_SPLIT.split(text) if t.strip())


@dataclass(frozen=True, slots=True)
class NoteView:
    text: str
    author: str = ""
    when: str = ""
    kind: str = "context"  # context | caution | next_action
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class ContactView:
    when: str
    summary: str
    agent: str = ""


@dataclass(frozen=True, slots=True)
class ChangeView:
    kind: str  # note_added | follow_up_added | follow_up_closed | profile_updated
    text: str = ""
    when: str = ""


@dataclass(frozen=True, slots=True)
class CustomerView:
    """A matched customer, or a new caller when ``customer_id`` is empty."""

    customer_id: str = ""
    phone: str = ""
    name: str = ""
    kana: str = ""
    company: str = ""
    tags: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    last_contacts: tuple[ContactView, ...] = ()
    notes: tuple[NoteView, ...] = ()
    changes_since_last: tuple[ChangeView, ...] = ()

    @property
    def is_new(self) -> bool:
        return not self.customer_id


@dataclass(frozen=True, slots=True)
class SuggestionView:
    key: str  # stable across updates, so a card stays in place instead of flickering
    kind: str  # knowledge | note | call | follow_up
    title: str
    body: str
    matched_terms: tuple[str, ...] = ()
    reason: str = ""
    score: float = 0.0
    entry_id: str = ""
    close_to: str = ""  # matched by meaning: the title or alias what was said came close to
    same_meaning: str = ""  # a thesaurus concept said in other words: "supervisor ← team leader"
    pushed_by: str = (
        ""  # a supervisor sent this card with a whisper (their name); empty: the matcher found it
    )


class CueStyle(StrEnum):
    """How the cue banner presents a cue: its heading and whether it offers "Add to wrap-up".

    Not the core's ``assist.domain.CueKind`` (what the customer or agent said: frustration, anger, anxiety,
    a promise): several kinds share one style. ``desktop.agent.desk.core_views.cue_style`` is the one mapping.
    """

    EMPATHY = "empathy"  # the customer sounds upset: a phrase to say
    SUMMARY = "summary"  # show the customer they were heard (nothing in the core produces it yet)
    FOLLOW_UP = "follow_up"  # the agent promised something: a follow-up to take into the wrap-up


@dataclass(frozen=True, slots=True)
class CueView:
    style: CueStyle
    text: str
    due: str = ""  # ISO date of a proposed follow-up


@dataclass(frozen=True, slots=True)
class HintView:
    """A coaching hint (assist.coaching): its kind, why it is shown, words the agent may say."""

    kind: str
    reason: str
    say: str = ""


@dataclass(frozen=True, slots=True)
class CoachingView:
    """What the coach shows during the call: the conversation so far, quietly, and any new hints."""

    agent_share: float = 0.0  # 0..1 of the talking time
    rate: float = 0.0
    rate_unit: str = ""  # "morae/s" or "wpm"
    overlaps: int = 0
    silences: int = 0
    hints: tuple[HintView, ...] = ()


@dataclass(frozen=True, slots=True)
class WhisperView:
    whisper_id: str
    sender: str
    text: str
    sent_at: str = ""
    call_id: str = ""
    anchor_segment: str = ""
    kind: str = ""  # "coming": the supervisor answers a raised hand by coming over; "" for any other whisper


@dataclass(frozen=True, slots=True)
class WhisperReceiptView:
    whisper_id: str
    state: str  # sent | delivered | read


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One line of the proposed wrap-up and the transcript lines (segment ids) it was written from."""

    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WrapUpDraft:
    summary: str = ""
    tags: tuple[str, ...] = ()
    disposition: str = ""
    next_action: str = ""
    follow_up_due: str = ""  # ISO date or empty
    lines: tuple[
        SummaryLine, ...
    ] = ()  # the proposal line by line with its sources (not edited by the agent)


@dataclass(frozen=True, slots=True)
class QuickNote:
    at_seconds: float
    text: str


@dataclass(frozen=True, slots=True)
class CallSummary:
    """What the headless demo and the status bar report when a call ends."""

    call_id: str
    finals: int = 0
    agent_lines: int = 0
    customer_lines: int = 0
    suggestions: int = 0
    cues: int = 0
    whispers: int = 0
    saved: bool = False
    synced: bool = False
