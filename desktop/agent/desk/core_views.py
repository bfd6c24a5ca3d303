"""Turn the core's records (assist.domain) into what the call screen draws (desktop.common.views).

The one place that knows both shapes: when the core grows a field, only this module changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from assist.coaching import Hint
from assist.domain import CallerLookup, Cue, CueKind, CustomerContext, Suggestion, WrapUp
from assist.session import CallSession
from desktop.common import views


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
        same_meaning=s.same_meaning,
    )


def cue_style(kind: CueKind) -> views.CueStyle:
    """How the banner shows a cue of this kind: every feeling gets an empathy phrase, a promise a
    follow-up."""
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
