"""The things the team knows and shares: customers, notes, follow-ups, knowledge entries, calls.

One definition per concept, as frozen dataclasses with ``to_dict``/``from_dict`` so the store, the importers,
the sync change feed and the desktop all speak the same plain-data shapes. Times are ISO 8601 strings in UTC
(``utc_iso``); due dates are ISO dates (``YYYY-MM-DD``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from assist.wrapup import StructuredWrapUp

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class NoteKind(StrEnum):
    CONTEXT = "context"
    CAUTION = "caution"
    NEXT_ACTION = "next_action"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Disposition(StrEnum):
    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    ESCALATED = "escalated"
    UNRESOLVED = "unresolved"


class SuggestionKind(StrEnum):
    KNOWLEDGE = "knowledge"
    NOTE = "note"
    CALL = "call"
    FOLLOW_UP = "follow_up"


class FeedbackAction(StrEnum):
    SHOWN = "shown"
    USED = "used"
    DISMISSED = "dismissed"
    HELPED = "helped"
    NOT_RELEVANT = "not_relevant"


def _tuple(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable):
        raise TypeError(f"expected a string or a list of strings, got {type(value).__name__}")
    return tuple(str(v) for v in value)


T = TypeVar("T")


def _plain(obj: DataclassInstance) -> dict[str, object]:
    data = asdict(obj)
    for key, value in data.items():
        if isinstance(value, tuple):
            data[key] = list(value)
        elif isinstance(value, StrEnum):
            data[key] = value.value
    return data


def _known(
    cls: type[DataclassInstance], data: Mapping[str, object]
) -> dict[str, Any]:  # Any: row or JSON values, typed only when ``cls(**d)`` builds the dataclass
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True, slots=True)
class Note:
    """Something a teammate wrote about a customer; pinned notes and cautions are shown first."""

    id: str
    customer_id: str
    text: str
    author: str = ""
    created_at: str = ""
    kind: NoteKind = NoteKind.CONTEXT
    pinned: bool = False

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Note:
        d = _known(cls, data)
        d["kind"] = NoteKind(d.get("kind") or NoteKind.CONTEXT)
        d["pinned"] = bool(d.get("pinned", False))
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    kana: str = ""
    company: str = ""
    phones: tuple[str, ...] = ()
    email: str = ""
    tags: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()
    preferred_language: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Customer:
        d = _known(cls, data)
        for key in ("phones", "tags", "traits"):
            d[key] = _tuple(d.get(key))
        return cls(**d)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A promise made to a customer: what, by when, and whether it was kept."""

    id: str
    customer_id: str | None
    text: str
    due: str = ""
    status: FollowUpStatus = FollowUpStatus.OPEN
    call_id: str | None = None
    owner: str = ""
    created_at: str = ""

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FollowUp:
        d = _known(cls, data)
        d["status"] = FollowUpStatus(d.get("status") or FollowUpStatus.OPEN)
        return cls(**d)


@dataclass(frozen=True, slots=True)
class KnowledgeEntry:
    id: str
    title: str
    body: str = ""
    tags: tuple[str, ...] = ()
    language: str = ""
    aliases: tuple[str, ...] = ()
    updated_at: str = ""

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> KnowledgeEntry:
        d = _known(cls, data)
        for key in ("tags", "aliases"):
            d[key] = _tuple(d.get(key))
        return cls(**d)


@dataclass(frozen=True, slots=True)
class TriggerRule:
    """Phrases that, when a customer says them, bring up an entry or a script (「解約」 -> retention
    steps)."""

    id: str
    phrases: tuple[str, ...]
    entry_id: str | None = None
    script: str = ""
    language: str = ""

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TriggerRule:
        d = _known(cls, data)
        d["phrases"] = _tuple(d.get("phrases"))
        return cls(**d)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call as the team remembers it: who, when, how it ended, and the agent's summary."""

    id: str
    customer_id: str | None
    agent: str = ""
    started_at: str = ""
    ended_at: str = ""
    language: str = ""
    disposition: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    next_action: str = ""

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CallRecord:
        d = _known(cls, data)
        d["tags"] = _tuple(d.get("tags"))
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Segment:
    """A final transcript line of a call, already redacted."""

    call_id: str
    segment_id: str
    channel: str
    start: float
    end: float
    text: str
    confidence: float = 0.0
    corrections: tuple[str, ...] = ()
    """Words the domain lexicon put right in ``text``, each ``"heard -> word"`` (kept for review)."""
    source: str = ""
    """Which pass wrote the line: "" live, ``"after-call <model>"`` the after-call quality pass."""

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Segment:
        d = _known(cls, data)
        d["corrections"] = _tuple(d.get("corrections"))
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A card for the agent: what it is, why it is shown (matched terms, reason) and how strongly."""

    kind: SuggestionKind
    id: str
    title: str
    snippet: str
    score: float
    matched_terms: tuple[str, ...] = ()
    reason: str = ""
    # For a match by meaning: the entry's title or alias that what was said came closest to.
    close_to: str = ""
    # The thesaurus concept said in other words than the entry's ("解約 ← やめたい"; assist/thesaurus.py).
    same_meaning: str = ""

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Suggestion:
        d = _known(cls, data)
        d["kind"] = SuggestionKind(d["kind"])
        d["matched_terms"] = _tuple(d.get("matched_terms"))
        return cls(**d)


class CueKind(StrEnum):
    FRUSTRATION = "frustration"
    ANGER = "anger"
    ANXIETY = "anxiety"
    PROMISE = "promise"


@dataclass(frozen=True, slots=True)
class Cue:
    """A nudge for the agent: an empathy phrase to say, or a follow-up to confirm after a promise."""

    kind: CueKind
    segment_id: str
    trigger: str
    phrase: str = ""
    language: str = ""
    follow_up: FollowUp | None = None

    def to_dict(self) -> dict[str, object]:
        data = _plain(self)
        data["follow_up"] = self.follow_up.to_dict() if self.follow_up else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Cue:
        d = _known(cls, data)
        d["kind"] = CueKind(d["kind"])
        d["follow_up"] = FollowUp.from_dict(d["follow_up"]) if d.get("follow_up") else None
        return cls(**d)


@dataclass(frozen=True, slots=True)
class ContactSummary:
    call_id: str
    started_at: str
    agent: str
    summary: str
    disposition: str
    tags: tuple[str, ...] = ()


class ChangeKind(StrEnum):
    NOTE_ADDED = "note_added"
    FOLLOW_UP_ADDED = "follow_up_added"
    FOLLOW_UP_CLOSED = "follow_up_closed"
    PROFILE_UPDATED = "profile_updated"


@dataclass(frozen=True, slots=True)
class Change:
    """Something about the customer that is new since their last call (the desktop words it via tr())."""

    kind: ChangeKind
    ref_id: str
    at: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """Everything the agent should see the moment a known customer calls."""

    customer: Customer
    notes: tuple[Note, ...] = ()
    open_follow_ups: tuple[FollowUp, ...] = ()
    last_contacts: tuple[ContactSummary, ...] = ()
    changed_since_last_contact: tuple[Change, ...] = ()

    @property
    def traits(self) -> tuple[str, ...]:
        return self.customer.traits

    @property
    def tags(self) -> tuple[str, ...]:
        return self.customer.tags

    @property
    def preferred_language(self) -> str:
        return self.customer.preferred_language

    def to_dict(self) -> dict[str, object]:
        return {
            "customer": self.customer.to_dict(),
            "notes": [n.to_dict() for n in self.notes],
            "open_follow_ups": [f.to_dict() for f in self.open_follow_ups],
            "last_contacts": [_plain(c) for c in self.last_contacts],
            "changed_since_last_contact": [_plain(c) for c in self.changed_since_last_contact],
        }


class LookupStatus(StrEnum):
    KNOWN = "known"
    NEW_CALLER = "new_caller"
    AMBIGUOUS = "ambiguous"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class CallerLookup:
    """Who is calling: one customer, several sharing the number, or a new caller."""

    status: LookupStatus
    phone: str
    normalized: str
    customers: tuple[Customer, ...] = ()

    @property
    def customer(self) -> Customer | None:
        return self.customers[0] if self.customers else None

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "phone": self.phone,
            "normalized": self.normalized,
            "customers": [c.to_dict() for c in self.customers],
        }


@dataclass(frozen=True, slots=True)
class WrapUp:
    """The prefilled after-call form; the agent edits it, then ``CallSession.save`` stores it."""

    call_id: str
    customer_id: str | None
    summary: str
    issue: str = ""
    actions: str = ""
    promises: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    disposition: Disposition = Disposition.RESOLVED
    next_action: str = ""
    due: str = ""
    follow_ups: tuple[FollowUp, ...] = ()
    # The proposal line by line with the transcript lines each came from (assist.wrapup); None when typed in.
    structured: StructuredWrapUp | None = None

    def to_dict(self) -> dict[str, object]:
        structured = self.structured
        data = _plain(replace(self, structured=None))
        data["follow_ups"] = [f.to_dict() for f in self.follow_ups]
        data["structured"] = structured.to_dict() if structured is not None else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> WrapUp:
        d = _known(cls, data)
        d["disposition"] = Disposition(d.get("disposition") or Disposition.RESOLVED)
        d["promises"] = _tuple(d.get("promises"))
        d["tags"] = _tuple(d.get("tags"))
        d["follow_ups"] = tuple(FollowUp.from_dict(f) for f in d.get("follow_ups") or ())
        if d.get("structured"):
            from assist.wrapup import StructuredWrapUp

            d["structured"] = StructuredWrapUp.from_dict(d["structured"])
        else:
            d["structured"] = None
        return cls(**d)


@dataclass(frozen=True, slots=True)
class SuggestionFeedback:
    call_id: str
    kind: SuggestionKind
    target_id: str
    action: FeedbackAction
    at: str

    def to_dict(self) -> dict[str, object]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class WhisperRecord:
    """A supervisor's private advice as stored locally (the sync package owns the wire form)."""

    id: str
    call_id: str
    author: str
    text: str
    sent_at: str = ""
    segment_id: str | None = None
    delivered_at: str | None = None
    read_at: str | None = None

    def to_dict(self) -> dict[str, object]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> WhisperRecord:
        return cls(**_known(cls, data))


def unique(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))
