"""What the supervisor console knows, kept apart from its widgets (Qt-free): the whispers sent on calls with
their states, the team's knowledge entries from the feed, and the shared call info as the common views draw
it. The console feeds these from the bridge's signals and draws what they answer."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from desktop.common.views import CustomerView, NoteView, SuggestionView
from sync.protocol import Change, KnowledgeRecord, RecordKind, SharedCard, SharedCustomer, Whisper, convert

STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}


@dataclass(frozen=True, slots=True)
class SentWhisper:
    """A whisper on the followed call as this console knows it."""

    whisper_id: str
    call_id: str
    text: str
    status: str  # queued | sent | delivered | read | refused
    sender: str = ""
    created_at: float = 0.0
    anchor_segment_id: str = ""
    attachment_title: str = ""
    problem: str = ""

    def advanced(self, status: str, created_at: float | None = None) -> SentWhisper:
        """Statuses only move forward: a late 'sent' never hides a 'read' that overtook it."""
        dated = self if created_at is None else replace(self, created_at=created_at)
        if self.status == "refused" or STATUS_RANK.get(status, -1) < STATUS_RANK.get(self.status, -1):
            return dated
        return replace(dated, status=status)

    @classmethod
    def from_server(cls, whisper: Whisper) -> SentWhisper:
        return cls(
            whisper_id=whisper.whisper_id,
            call_id=whisper.call_id or "",
            text=whisper.text,
            status=whisper.status.value,
            sender=whisper.sender,
            created_at=whisper.created_at or time.time(),
            anchor_segment_id=whisper.anchor_segment_id or "",
            attachment_title=whisper.attachment.title if whisper.attachment is not None else "",
        )


class WhisperLedger:
    """Every whisper this console has sent or been told of, by id, with the refusals the server sent (a
    refusal may arrive before the whisper's own "queued" entry: both come from other threads)."""

    def __init__(self) -> None:
        self._whispers: dict[str, SentWhisper] = {}
        self._refused: dict[str, str] = {}

    def merge(self, whisper: SentWhisper) -> SentWhisper:
        """Record ``whisper`` (its status only moves forward; a refusal wins) and return it as now known."""
        known = self._whispers.get(whisper.whisper_id)
        if known is not None:
            whisper = known.advanced(whisper.status)
        problem = self._refused.get(whisper.whisper_id)
        if problem is not None:
            whisper = replace(whisper, status="refused", problem=problem)
        self._whispers[whisper.whisper_id] = whisper
        return whisper

    def receipt(self, whisper_id: str, status: str, row: Whisper | None) -> SentWhisper | None:
        """A receipt for ``whisper_id`` (with the server's row when it sent one); None if unknown."""
        known = self._whispers.get(whisper_id)
        if known is None and row is not None:
            known = SentWhisper.from_server(row)
        if known is None:
            return None
        created = (row.created_at or known.created_at) if row is not None else known.created_at
        return self.merge(known.advanced(status, created_at=created))

    def refuse(self, whisper_id: str, message: str) -> SentWhisper | None:
        """The server refused this whisper; the whisper as now known, or None if not seen yet."""
        self._refused[whisper_id] = message
        known = self._whispers.get(whisper_id)
        return None if known is None else self.merge(known)

    def on_call(self, call_id: str | None) -> list[SentWhisper]:
        return [w for w in self._whispers.values() if w.call_id == call_id]

    def status(self, whisper_id: str) -> str:
        known = self._whispers.get(whisper_id)
        return "" if known is None else known.status


class KnowledgeShelf:
    """The team's knowledge entries as the feed last told them (newest change of each record wins)."""

    def __init__(self) -> None:
        self._records: dict[str, KnowledgeRecord] = {}
        self._seqs: dict[str, int] = {}  # record id -> the newest change seen of it
        self.seq = 0  # the newest change seen: the feed is read on from here

    def apply(self, change: Change) -> bool:
        """Take one change from the feed; True when the entries changed."""
        if change.kind is not RecordKind.KNOWLEDGE:
            return False
        seq, record_id = change.seq, change.record_id
        known = self._seqs.get(record_id)
        if known is not None and known >= seq:
            return False
        self.seq = max(self.seq, seq)
        self._seqs[record_id] = seq
        try:
            record = convert(change.record, KnowledgeRecord)
        except ValueError:
            return False  # not a knowledge entry this app can offer
        if record.deleted:
            self._records.pop(record_id, None)
        else:
            self._records[record_id] = record
        return True

    def get(self, entry_id: str) -> KnowledgeRecord | None:
        return self._records.get(entry_id)

    def entries(self) -> list[tuple[str, str]]:
        """(id, title) of every entry, by title."""
        return sorted(((rid, r.title or rid) for rid, r in self._records.items()), key=lambda e: e[1])


def customer_view(customer: SharedCustomer) -> CustomerView | None:
    """The agent's customer record as the shared context panel draws it."""
    if customer == SharedCustomer():
        return None
    return CustomerView(
        customer_id=customer.id,
        phone=customer.phone,
        name=customer.name,
        company=customer.company,
        tags=customer.tags,
        traits=customer.traits,
        follow_ups=customer.follow_ups,
        notes=tuple(
            NoteView(text=n.text, author=n.author, when=n.when, kind=n.kind, pinned=n.pinned)
            for n in customer.notes
            if n.text
        ),
    )


def suggestion_view(card: SharedCard) -> SuggestionView:
    return SuggestionView(
        key=card.key or card.entry_id or card.title,
        kind=card.kind or "knowledge",
        title=card.title,
        body=card.body,
        matched_terms=card.matched_terms,
        reason=card.reason,
        entry_id=card.entry_id,
    )
