"""Turn the core's records (assist.domain) into what the call screen draws (desktop.common.views).

The one place that knows both shapes: when the core grows a field, only this module changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import assert_never

from assist.coaching import Hint
from assist.domain import (
    CallerLookup,
    CallRecord,
    Cue,
    CueKind,
    CustomerContext,
    Disposition,
    FeedbackAction,
    FollowUp,
    Note,
    NoteKind,
    Suggestion,
    WrapUp,
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


def suggestion_view(s: Suggestion) -> views.SuggestionView:
    return views.SuggestionView(
        key=f"{s.kind.value}:{s.id}",
        kind=s.kind.value,
        title=s.title,
        body=s.snippet,
        matched_terms=tuple(s.matched_terms),
        reason=s.reason,
        score=s.score,
        entry_id=s.id,
        close_to=s.close_to,
    )


def cue_style(kind: CueKind) -> views.CueStyle:
    """How the banner shows a cue of this kind: every feeling gets an empathy phrase, a promise a follow-up."""
    match kind:
        case CueKind.FRUSTRATION | CueKind.ANGER | CueKind.ANXIETY:
            return views.CueStyle.EMPATHY
        case CueKind.PROMISE:
            return views.CueStyle.FOLLOW_UP
        case _:
            assert_never(kind)


def cue_view(cue: Cue) -> views.CueView:
    style = cue_style(cue.kind)
    if style is views.CueStyle.FOLLOW_UP:
        text = (
            cue.follow_up.text
            if cue.follow_up is not None and cue.follow_up.text
            else (cue.phrase or cue.trigger)
        )
        due = cue.follow_up.due if cue.follow_up is not None else ""
        return views.CueView(style, text, due)
    return views.CueView(style, cue.phrase or cue.trigger)


def coaching_view(session: CallSession, hints: Sequence[Hint] = ()) -> views.CoachingView:
    """The conversation so far (assist.dynamics over the finals) with the hints that just came."""
    figures = session.live_dynamics()
    return views.CoachingView(
        agent_share=figures.agent_share,
        rate=figures.agent_rate,
        rate_unit=figures.rate_unit,
        overlaps=len(figures.overlaps),
        silences=len(figures.silences),
        hints=tuple(views.HintView(h.kind.value, h.reason, h.say) for h in hints),
    )


def shared_cue(cue: Cue) -> dict[str, str]:
    """A cue as followers are told about it (the supervisor board counts frustration and anger from these)."""
    return {"kind": cue.kind.value, "trigger": cue.trigger, "segment_id": cue.segment_id}


def customer_view(context: CustomerContext | None, phone: str = "") -> views.CustomerView:
    if context is None:
        return views.CustomerView(phone=phone)
    c = context.customer
    return views.CustomerView(
        customer_id=c.id,
        phone=phone or (c.phones[0] if c.phones else ""),
        name=c.name,
        kana=c.kana,
        company=c.company,
        tags=tuple(c.tags),
        traits=tuple(c.traits),
        follow_ups=tuple(f"{f.text} ({f.due})" if f.due else f.text for f in context.open_follow_ups),
        last_contacts=tuple(
            views.ContactView(when=x.started_at[:10], summary=x.summary, agent=x.agent)
            for x in context.last_contacts
        ),
        notes=tuple(
            views.NoteView(
                text=n.text, author=n.author, when=n.created_at[:10], kind=n.kind.value, pinned=n.pinned
            )
            for n in context.notes
        ),
        changes_since_last=tuple(
            views.ChangeView(kind=x.kind.value, text=x.text, when=x.at[:10])
            for x in context.changed_since_last_contact
        ),
    )


def lookup_customer_id(lookup: CallerLookup) -> str | None:
    customer = lookup.customer
    return customer.id if customer is not None else None


def wrap_up_draft(wrap: WrapUp) -> views.WrapUpDraft:
    lines = wrap.structured.lines() if wrap.structured is not None else []
    return views.WrapUpDraft(
        summary=wrap.summary,
        tags=tuple(wrap.tags),
        disposition=wrap.disposition.value,
        next_action=wrap.next_action,
        follow_up_due=wrap.due,
        lines=tuple(views.SummaryLine(line.text, line.sources) for _section, line in lines),
    )


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
                created_at=utc_iso(system_clock()),
                kind=NoteKind.CONTEXT,
            )
            session.store.upsert_note(note)
            saved_notes.append(note)
    return SavedCall(
        record,
        tuple(session.store.follow_ups_for(session.customer_id) if session.customer_id else ()),
        tuple(saved_notes),
    )


def shared_changes(saved: SavedCall) -> list[tuple[str, dict[str, object]]]:
    """What the team server should learn from a saved call: its summary, new notes, open follow-ups."""
    changes: list[tuple[str, dict[str, object]]] = [("call_summary", saved.call.to_dict())]
    changes += [("note", n.to_dict()) for n in saved.notes]
    changes += [("follow_up", f.to_dict()) for f in saved.follow_ups if f.call_id == saved.call.id]
    return changes


def record_feedback(session: CallSession, card: views.SuggestionView, action: str) -> None:
    core_action = {
        "copied": FeedbackAction.USED,
        "opened": FeedbackAction.USED,
        "helped": FeedbackAction.HELPED,
        "not_relevant": FeedbackAction.NOT_RELEVANT,
    }.get(action)
    if core_action is not None:
        session.feedback(card.key, core_action)
