"""What the desk reads from and writes to the team server, in the shapes the server speaks today (dicts).

Kept in one module so the typed wire payloads (sync.protocol) replace it in one place: a whisper's body as the
agent's :class:`WhisperView`, a supervisor's knowledge attachment as a card, and what followers are told about
the call (customer, cards, cues) and what a saved call changes for the team.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from assist.domain import Cue
from desktop.agent.desk.saving import SavedCall
from desktop.common.views import CustomerView, SuggestionView, WhisperReceiptView, WhisperView

# A wire payload as the client hands it over; typed by the wire lane (sync.protocol).
Body = Mapping[str, Any]  # explicit Any: JSON values off the wire, until sync.protocol types them


def whisper_view(body: Body) -> WhisperView:
    attachment = body.get("attachment")
    return WhisperView(
        whisper_id=str(body.get("whisper_id") or body.get("id") or ""),
        sender=str(body.get("sender") or body.get("from") or ""),
        text=str(body.get("text", "")),
        sent_at=clock_text(body.get("created_at") or body.get("sent_at")),
        call_id=str(body.get("call_id") or ""),
        anchor_segment=str(body.get("anchor_segment_id") or ""),
        kind=str(attachment.get("kind") or "") if isinstance(attachment, dict) else "",
    )


def whisper_sent_at(body: Body) -> str:
    """When the supervisor sent it, as the store's UTC ISO text."""
    return iso_time(body.get("created_at") or body.get("sent_at"))


def receipt_view(body: Body) -> WhisperReceiptView:
    return WhisperReceiptView(str(body.get("whisper_id", "")), str(body.get("status", "")))


def pushed_card(whisper: WhisperView, attachment: object) -> SuggestionView | None:
    """The suggestion card a supervisor's knowledge attachment becomes, or None for any other whisper."""
    if (
        not isinstance(attachment, dict)
        or attachment.get("kind") != "knowledge"
        or not attachment.get("title")
    ):
        return None
    entry_id = str(attachment.get("entry_id") or "")
    tags = attachment.get("tags")
    return SuggestionView(
        key=f"knowledge:{entry_id}" if entry_id else f"pushed:{whisper.whisper_id}",
        kind="knowledge",
        title=str(attachment["title"]),
        body=str(attachment.get("body") or ""),
        matched_terms=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        reason="pushed",
        entry_id=entry_id,
        pushed_by=whisper.sender or "?",
    )


def shared_card(card: SuggestionView) -> dict[str, object]:
    return {
        "key": card.key,
        "kind": card.kind,
        "title": card.title,
        "body": card.body,
        "matched_terms": list(card.matched_terms),
        "reason": card.reason,
        "entry_id": card.entry_id,
        "pushed_by": card.pushed_by,
    }


def shared_customer(customer: CustomerView) -> dict[str, object]:
    if customer.is_new:
        return {"phone": customer.phone} if customer.phone else {}
    return {
        "id": customer.customer_id,
        "name": customer.name,
        "phone": customer.phone,
        "company": customer.company,
        "tags": list(customer.tags),
        "traits": list(customer.traits),
        "follow_ups": list(customer.follow_ups),
        "notes": [
            {"text": n.text, "author": n.author, "when": n.when, "kind": n.kind, "pinned": n.pinned}
            for n in customer.notes
        ],
    }


def shared_cue(cue: Cue) -> dict[str, str]:
    """A cue as followers are told about it (the supervisor board counts frustration and anger from these)."""
    return {"kind": cue.kind.value, "trigger": cue.trigger, "segment_id": cue.segment_id}


def call_info(
    customer: dict[str, object],
    cards: Sequence[SuggestionView],
    cues: Sequence[dict[str, str]],
    needs_moment: bool,
) -> dict[str, object]:
    """What a following supervisor sees of the call (``publish_call_info``)."""
    return {
        "customer": customer,
        "cards": [shared_card(c) for c in cards],
        "cues": list(cues),
        # A hard call (anger, repeated frustration, long): the supervisors see only that (docs/protocol.md).
        "needs_moment": needs_moment,
    }


def shared_changes(saved: SavedCall) -> list[tuple[str, dict[str, object]]]:
    """What the team server should learn from a saved call: its summary, new notes, open follow-ups."""
    changes: list[tuple[str, dict[str, object]]] = [("call_summary", saved.call.to_dict())]
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
