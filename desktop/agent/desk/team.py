"""What the desk reads from and writes to the team server, in the typed wire payloads of sync.protocol.

A received whisper as the agent's :class:`WhisperView`, a supervisor's knowledge attachment as a card, what
followers are told about the call (customer, cards, cues) and what a saved call changes for the team.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from assist.domain import Cue, KnowledgeEntry
from desktop.agent.desk.saving import SavedCall
from desktop.common.views import CustomerView, SuggestionView, WhisperReceiptView, WhisperView
from sync.protocol import (
    Attachment,
    CallInfo,
    JsonObject,
    KnowledgeRecord,
    SharedCard,
    SharedCue,
    SharedCustomer,
    SharedNote,
    Whisper,
    WhisperReceipt,
    convert,
)


def whisper_view(whisper: Whisper) -> WhisperView:
    return WhisperView(
        whisper_id=whisper.whisper_id,
        sender=whisper.sender,
        text=whisper.text,
        sent_at=clock_text(whisper.created_at),
        call_id=whisper.call_id or "",
        anchor_segment=whisper.anchor_segment_id or "",
        kind=whisper.attachment.kind if whisper.attachment is not None else "",
    )


def whisper_sent_at(whisper: Whisper) -> str:
    """When the supervisor sent it, as the store's UTC ISO text."""
    return iso_time(whisper.created_at)


def receipt_view(receipt: WhisperReceipt) -> WhisperReceiptView:
    return WhisperReceiptView(receipt.whisper_id, receipt.status.value)


def pushed_card(whisper: WhisperView, attachment: Attachment | None) -> SuggestionView | None:
    """The suggestion card a supervisor's knowledge attachment becomes, or None for any other whisper."""
    if attachment is None or attachment.kind != "knowledge" or not attachment.title:
        return None
    entry_id = attachment.entry_id
    return SuggestionView(
        key=f"knowledge:{entry_id}" if entry_id else f"pushed:{whisper.whisper_id}",
        kind="knowledge",
        title=attachment.title,
        body=attachment.body,
        matched_terms=attachment.tags,
        reason="pushed",
        entry_id=entry_id,
        pushed_by=whisper.sender or "?",
    )


def knowledge_entry(
    record_id: str, record: JsonObject, known: KnowledgeEntry | None
) -> KnowledgeEntry | None:
    """The local knowledge entry a team knowledge change makes: None when the team deleted it. What the
    record leaves out (a supervisor's edit made by a client that sends no aliases) is kept from ``known``.
    Raises ValueError for a record that is no knowledge entry."""
    shared = convert(record, KnowledgeRecord)
    if shared.deleted:
        return None
    return KnowledgeEntry(
        id=record_id,
        title=shared.title,
        body=shared.body,
        tags=shared.tags,
        language=shared.language or (known.language if known is not None else ""),
        aliases=shared.aliases if "aliases" in record or known is None else known.aliases,
    )


def shared_card(card: SuggestionView) -> SharedCard:
    return SharedCard(
        key=card.key, kind=card.kind, title=card.title, body=card.body,
        matched_terms=tuple(card.matched_terms), reason=card.reason, entry_id=card.entry_id,
        pushed_by=card.pushed_by,
    )  # fmt: skip


def shared_customer(customer: CustomerView) -> SharedCustomer:
    if customer.is_new:
        return SharedCustomer(phone=customer.phone)
    return SharedCustomer(
        id=customer.customer_id,
        name=customer.name,
        phone=customer.phone,
        company=customer.company,
        tags=tuple(customer.tags),
        traits=tuple(customer.traits),
        follow_ups=tuple(customer.follow_ups),
        notes=tuple(
            SharedNote(text=n.text, author=n.author, when=n.when, kind=n.kind, pinned=n.pinned)
            for n in customer.notes
        ),
    )


def shared_cue(cue: Cue) -> SharedCue:
    """A cue as followers are told about it (the supervisor board counts frustration and anger from these)."""
    return SharedCue(kind=cue.kind.value, trigger=cue.trigger, segment_id=cue.segment_id)


def call_info(
    customer: SharedCustomer,
    cards: Sequence[SuggestionView],
    cues: Sequence[SharedCue],
    needs_moment: bool,
) -> CallInfo:
    """What a following supervisor sees of the call (``publish_call_info``)."""
    return CallInfo(
        customer=customer,
        cards=tuple(shared_card(c) for c in cards),
        cues=tuple(cues),
        needs_moment=needs_moment,
    )


def shared_changes(saved: SavedCall) -> list[tuple[str, JsonObject]]:
    """What the team server should learn from a saved call: its summary, new notes, open follow-ups (the
    records' own stored form: the team keeps them as the agent's app does)."""
    changes: list[tuple[str, JsonObject]] = [("call_summary", saved.call.to_dict())]
    changes += [("note", n.to_dict()) for n in saved.notes]
    changes += [("follow_up", f.to_dict()) for f in saved.follow_ups if f.call_id == saved.call.id]
    return changes


def iso_time(value: object) -> str:
    """A wire timestamp (epoch seconds, or already ISO text) as the store's UTC ISO text."""
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(float(value), UTC).isoformat(timespec="seconds")
    return value if isinstance(value, str) else ""


def clock_text(value: object) -> str:
    if isinstance(value, int | float) and value > 0:
        return time.strftime("%H:%M", time.localtime(float(value)))
    if isinstance(value, str) and len(value) >= 16:
        return value[11:16]
    return ""
