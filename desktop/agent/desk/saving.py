"""The domain rules of the end of a call: the agent's corrected wrap-up and quick notes stored with the call,
and the agent's verdict on a card taught to the matcher. Runs on the desk worker (the store's one writer)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from assist.domain import (
    CallRecord,
    Disposition,
    FeedbackAction,
    FollowUp,
    Note,
    NoteKind,
    new_id,
    system_clock,
    utc_iso,
)
from assist.redaction import redact
from assist.session import CallSession
from desktop.common import views


@dataclass(frozen=True, slots=True)
class SavedCall:
    call: CallRecord
    follow_ups: tuple[FollowUp, ...]
    notes: tuple[Note, ...]


def save_wrap_up(
    session: CallSession, draft: views.WrapUpDraft, notes: list[views.QuickNote], agent: str
) -> SavedCall:
    """Store the call with the agent's edited wrap-up; quick notes become notes on the customer (or, for a
    new caller, part of the summary). Returns what was written, for sharing with the team."""
    proposed = session.wrap_up()
    follow_ups = list(proposed.follow_ups)
    due = draft.follow_up_due
    if due and follow_ups:
        follow_ups[0] = replace(follow_ups[0], due=due)
    elif due:
        follow_ups.append(
            FollowUp(
                id=new_id("fu"),
                customer_id=session.customer_id,
                text=draft.next_action or draft.summary[:80],
                due=due,
                call_id=session.call_id,
                owner=agent,
                created_at=utc_iso(system_clock()),
            )
        )
    elif not due:
        follow_ups = []
    summary = draft.summary
    if notes and session.customer_id is None:
        summary = "\n".join([summary, *(n.text for n in notes)]).strip()
    try:
        disposition = Disposition(draft.disposition)
    except ValueError:
        disposition = proposed.disposition
    wrap = replace(
        proposed,
        summary=summary,
        tags=draft.tags,
        disposition=disposition,
        next_action=draft.next_action,
        due=due,
        follow_ups=tuple(follow_ups),
    )
    record = session.save(wrap)
    saved_notes: list[Note] = []
    if session.customer_id is not None:
        for quick in notes:
            note = Note(
                id=new_id("note"),
                customer_id=session.customer_id,
                text=redact(quick.text).text,
                author=agent,
                # When it was taken in the call, not when the wrap-up was saved: the notes of one call keep
                # their order and line up with the transcript.
                created_at=utc_iso(session.started_at + timedelta(seconds=max(0.0, quick.at_seconds))),
                kind=NoteKind.CONTEXT,
            )
            session.store.upsert_note(note)
            saved_notes.append(note)
    return SavedCall(
        record,
        tuple(session.store.follow_ups_for(session.customer_id) if session.customer_id else ()),
        tuple(saved_notes),
    )


def record_feedback(session: CallSession, card: views.SuggestionView, action: str) -> None:
    core_action = {
        "copied": FeedbackAction.USED,
        "opened": FeedbackAction.USED,
        "helped": FeedbackAction.HELPED,
        "not_relevant": FeedbackAction.NOT_RELEVANT,
    }.get(action)
    if core_action is not None:
        session.feedback(card.key, core_action)
