"""A live call as the domain core sees it: the object the desktop feeds with transcript events.

For every event it redacts PII first (so the raw text goes no further than this method), stores finals,
updates the rolling conversation context, re-ranks suggestions and looks for cues. The card list is calm
by design: a confidence threshold, a card stays unless clearly beaten (and fades out only after the talk
moved on for a few lines), a dismissed card sleeps for a cooldown, and there are at most a handful.

Threading: a CallSession is used from one thread (the desktop's worker); the store it writes to serialises
writes for the whole process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from assist.coaching import (
    GLOSSARY_TAGS,
    Coach,
    CoachSettings,
    GlossaryError,
    Hint,
    glossary,
    hard_call,
    user_glossary_file,
)
from assist.cues import detect_language, emotion_cues, names_issue, promise_cue
from assist.domain import (
    CallRecord,
    Clock,
    Cue,
    CueKind,
    FeedbackAction,
    FollowUp,
    FollowUpStatus,
    Note,
    Segment,
    Suggestion,
    SuggestionFeedback,
    SuggestionKind,
    WrapUp,
    new_id,
    system_clock,
    unique,
    utc_iso,
)
from assist.dynamics import CallDynamics, lines_of, measure, measure_call
from assist.matching import MIN_SCORE, ConversationContext, Matcher, WeightedTerm
from assist.redaction import PiiKind, RedactionPolicy, Redactor, redact
from assist.scorecard import score_call
from assist.store import Store
from assist.wrapup import StructuredWrapUp, build_wrap_up, save_structured
from audio.events import Channel, EventKind, TranscriptEvent

log = logging.getLogger(__name__)

MAX_CARDS = 4
MAX_HISTORY_CARDS = 2  # of them at most this many from the customer's own history (see _calm_history)
# A new card replaces a shown one only when clearly stronger; shown cards swap places only on a clear margin.
REPLACE_MARGIN = 1.3
RELATIVE_FLOOR = 0.2  # a new card must reach a fifth of the best one: no weak cards beside a clear answer
FADE = 0.6  # per final line without support; a card goes when it falls below half the threshold
DISMISS_COOLDOWN = timedelta(minutes=3)
CUE_COOLDOWN_LINES = 4


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """What one transcript event changed: the redacted event to show, the cards to show now, new cues."""

    event: TranscriptEvent
    suggestions: tuple[Suggestion, ...]
    cues: tuple[Cue, ...] = ()
    redacted: tuple[PiiKind, ...] = ()
    hints: tuple[Hint, ...] = ()  # live coaching (assist.coaching)


class UnknownSuggestionError(KeyError):
    """dismiss()/feedback() named a card this call never showed."""


class CallSession:
    """One live call. ``feed`` every TranscriptEvent; ``wrap_up`` then ``save`` when the call ends."""

    def __init__(
        self,
        store: Store,
        call_id: str,
        customer_id: str | None = None,
        language: str = "",
        clock: Clock = system_clock,
        agent: str = "",
        policy: RedactionPolicy | None = None,
        max_cards: int = MAX_CARDS,
        coaching: CoachSettings | None = None,
        ui_language: str = "",
    ) -> None:
        self.store = store
        self.call_id = call_id
        self.customer_id = customer_id
        self.language = language
        self.agent = agent
        self._clock: Callable[[], datetime] = clock
        self._max_cards = max_cards
        self._redactor = Redactor(policy)
        self._matcher = Matcher(store)
        self._context = ConversationContext(self._matcher.cut)
        self._cards: list[Suggestion] = []
        self._ever_shown: dict[str, Suggestion] = {}
        self._dismissed: dict[str, datetime] = {}
        self._used: list[Suggestion] = []
        self._cues: list[Cue] = []
        self._last_cue: dict[tuple[CueKind, str], tuple[int, Cue]] = {}
        self._supported: set[str] = set()
        self._brought_by: dict[str, str] = {}  # card key -> the customer's line it first appeared after
        self._finals: list[Segment] = []
        self._lines = 0
        self.started_at = clock()
        existing = store.get_call(call_id)
        self._call = existing or CallRecord(
            id=call_id,
            customer_id=customer_id,
            agent=agent,
            started_at=utc_iso(self.started_at),
            language=language,
        )
        if existing is None:
            store.upsert_call(self._call)
        self._personal_loaded = False
        self._notes: list[Note] = []
        self._past_calls: list[CallRecord] = []
        self._open_follow_ups: list[FollowUp] = []
        # Pay the start-up reads before the first words, so the first card is as quick as the rest.
        self._matcher.warm_up()
        self._load_personal()
        self.coach = self._new_coach(coaching, ui_language)

    # --- feeding -----------------------------------------------------------------------------------------

    @property
    def suggestions(self) -> tuple[Suggestion, ...]:
        return tuple(self._cards)

    @property
    def cues(self) -> tuple[Cue, ...]:
        return tuple(self._cues)

    def feed(self, event: TranscriptEvent) -> SessionUpdate:
        final = event.kind is EventKind.FINAL
        result = self._redactor.redact(event.text, remember=final)
        safe = replace(event, text=result.text) if result.changed else event
        if not final:
            return SessionUpdate(safe, tuple(self._cards), (), result.kinds)
        if event.revised:
            self._revise(safe)
            return SessionUpdate(safe, tuple(self._cards), (), result.kinds)
        segment = Segment(
            call_id=self.call_id,
            segment_id=event.segment_id,
            channel=event.channel.value,
            start=event.start,
            end=event.end,
            text=safe.text,
            confidence=event.confidence,
            corrections=self._safe_corrections(event),
        )
        self.store.add_segment(segment)
        self._finals.append(segment)
        self._lines += 1
        speaker = "customer" if event.channel is Channel.CUSTOMER else "agent"
        self._context.add(speaker, safe.text)
        if speaker == "customer":
            # The agent's words only colour the context of the customer's next line: cards move when the
            # customer speaks, so the agent's own phrasing never brings up cards (and a greeting never does).
            self._rerank(safe.text)
        # After the re-ranking: an empathy phrase may name the issue from the cards that now fit.
        cues = self._cues_for(safe)
        hints = self.coach.heard(speaker, event.start, event.end, safe.text, event.segment_id)
        return SessionUpdate(safe, tuple(self._cards), tuple(cues), result.kinds, tuple(hints))

    # --- coaching -----------------------------------------------------------------------------------------

    def _new_coach(self, settings: CoachSettings | None, ui_language: str) -> Coach:
        customer = self.store.get_customer(self.customer_id) if self.customer_id else None
        tagged = [
            entry
            for (entry_id,) in self.store.conn.execute(
                "SELECT DISTINCT k.id FROM knowledge k, json_each(k.tags) t WHERE t.value IN (?, ?, ?)",
                tuple(GLOSSARY_TAGS),
            )
            if (entry := self.store.get_knowledge(entry_id)) is not None
        ]
        try:
            terms = glossary(tagged, user_glossary_file())
        except GlossaryError as exc:
            # A broken personal list must not cost the call its coaching: the shipped list still applies.
            log.warning("%s; using the shipped jargon list", exc)
            terms = glossary(tagged)
        return Coach(self.language, customer.traits if customer else (), terms, settings, ui_language)

    def silence(self, now: float) -> Hint | None:
        """A dead-air hint when nobody has spoken for a while (``now``: seconds of audio since the call
        began)."""
        return self.coach.silence(now)

    def after_call(self) -> Hint | None:
        """A pause suggestion when this was a hard call (the desk tells the team "needs a moment", no
        content)."""
        duration = max((s.end for s in self._finals), default=0.0)
        return self.coach.after_call(self._cues, duration)

    def live_dynamics(self) -> CallDynamics:
        """The conversation so far (talk share, overlaps, silences, the agent's pace), from the finals."""
        language = self.language or detect_language(" ".join(s.text for s in self._finals[-5:]) or "a")
        return measure(self.call_id, lines_of(self._finals), language)

    @property
    def needs_moment(self) -> bool:
        return hard_call(self._cues, max((s.end for s in self._finals), default=0.0))

    def _safe_corrections(self, event: TranscriptEvent) -> tuple[str, ...]:
        # what the recognizer wrote is personal data like the line itself: masked the same way
        return tuple(self._redactor.redact(c, remember=False).text for c in event.corrections)

    def _revise(self, event: TranscriptEvent) -> None:
        """The second pass over a finished turn: its first line takes the whole turn's text, the others are
        folded into it. Only the record changes: the words were already heard, so cards and cues stay."""
        if event.text.strip():
            segment = Segment(
                call_id=self.call_id,
                segment_id=event.segment_id,
                channel=event.channel.value,
                start=event.start,
                end=event.end,
                text=event.text,
                confidence=event.confidence,
                corrections=self._safe_corrections(event),
            )
            self.store.add_segment(segment)
            self._finals = [s for s in self._finals if s.segment_id != event.segment_id] + [segment]
            self._finals.sort(key=lambda s: s.start)
        elif event.merged_into:
            self.store.merge_segment(self.call_id, event.segment_id, event.merged_into)
            self._finals = [s for s in self._finals if s.segment_id != event.segment_id]

    def _cues_for(self, event: TranscriptEvent) -> list[Cue]:
        found: list[Cue] = []
        language = event.language or self.language
        if event.channel is Channel.CUSTOMER:
            found = emotion_cues(event.segment_id, event.text, language, self._topics())
        else:
            promise = promise_cue(
                event.segment_id, event.text, self._clock(), self.customer_id, self.call_id, self.agent
            )
            if promise is not None:
                found = [promise]
        fresh: list[Cue] = []
        for cue in found:
            # Per language: when the customer switches language, the phrase on screen no longer fits.
            last = self._last_cue.get((cue.kind, cue.language))
            recent = last is not None and self._lines - last[0] < CUE_COOLDOWN_LINES
            # Within the cooldown only a phrase that now names the issue may replace a plain one.
            upgrade = last is not None and not names_issue(last[1]) and names_issue(cue)
            if cue.kind is not CueKind.PROMISE and recent and not upgrade:
                continue
            self._last_cue[(cue.kind, cue.language)] = (self._lines, cue)
            fresh.append(cue)
            self.store.add_cue(
                self.call_id, cue.segment_id, cue.kind.value, cue.trigger, cue.phrase, utc_iso(self._clock())
            )
        self._cues.extend(fresh)
        return fresh

    def _topics(self) -> list[str]:
        """Titles of the knowledge cards the latest customer line still supports, best first, each followed by
        those of its aliases that share a word with what was said (an alias the customer did not touch may
        describe another symptom)."""
        topics: list[str] = []
        for card in sorted(self._cards, key=lambda c: c.score, reverse=True):
            if card.kind is not SuggestionKind.KNOWLEDGE or _key(card) not in self._supported:
                continue
            entry = self.store.get_knowledge(card.id)
            if entry is not None:  # a trigger rule's own script is a line to say, not a topic
                topics.append(entry.title)
                matched = set(self._matcher.cut(" ".join(card.matched_terms)))  # the words, cut as the index
                topics.extend(a for a in entry.aliases if matched.intersection(self._matcher.cut(a)))
        return topics

    def _load_personal(self) -> None:
        if self._personal_loaded or self.customer_id is None:
            return
        self._notes = self.store.notes_for(self.customer_id)
        self._past_calls = [
            c for c in self.store.calls_for(self.customer_id, limit=10) if c.id != self.call_id
        ]
        self._open_follow_ups = self.store.follow_ups_for(self.customer_id)
        self._personal_loaded = True
        # Their sentence vectors now, in one batch, not on the customer's first words.
        self._matcher.personal([], self._notes, self._past_calls, self._open_follow_ups, text="…")

    def _rerank(self, latest_customer_text: str) -> None:
        # Two views of the conversation: the rolling context (a topic built over several lines) and the latest
        # line alone (a new topic must not be drowned by the previous one). Each candidate keeps its best
        # score.
        weighted = self._context.weighted_terms()
        latest = [WeightedTerm(t, 1.0) for t in dict.fromkeys(self._matcher.cut(latest_customer_text))]
        candidates = self._matcher.knowledge(
            weighted,
            limit=8,
            text=latest_customer_text,
            also=[latest],
            context_text=self._context.customer_text(),
        )
        if self.customer_id is not None:
            self._load_personal()
            said = self._context.customer_text()
            for view, line in ((weighted, ""), (latest, latest_customer_text)):
                candidates += self._matcher.personal(
                    view, self._notes, self._past_calls, self._open_follow_ups, text=line, said=said
                )
        best_of: dict[str, Suggestion] = {}
        for candidate in candidates:
            known = best_of.get(_key(candidate))
            if known is None or candidate.score > known.score:
                best_of[_key(candidate)] = candidate
        candidates = _calm_history(list(best_of.values()))
        now = self._clock()
        best = max((c.score for c in candidates if c.kind is SuggestionKind.KNOWLEDGE), default=0.0)
        floor = max(MIN_SCORE, best * RELATIVE_FLOOR)
        fresh = {
            _key(c): c
            for c in sorted(candidates, key=lambda c: c.score, reverse=True)
            # The customer's own history is always worth a look when it fits at all.
            if c.score >= (floor if c.kind is SuggestionKind.KNOWLEDGE else MIN_SCORE)
            and not self._sleeping(_key(c), now)
        }
        self._supported = set(fresh)
        kept: list[Suggestion] = []
        for card in self._cards:
            update = fresh.pop(_key(card), None)
            if update is not None:
                kept.append(update)
            else:
                faded = replace(card, score=round(card.score * FADE, 4))
                if faded.score >= MIN_SCORE / 2:
                    kept.append(faded)
        for candidate in sorted(fresh.values(), key=lambda c: c.score, reverse=True):
            if len(kept) < self._max_cards:
                kept.append(candidate)
                continue
            weakest = min(range(len(kept)), key=lambda i: kept[i].score)
            if candidate.score > kept[weakest].score * REPLACE_MARGIN:
                kept[weakest] = candidate
        # Keep positions unless one card clearly outranks the one above it.
        for i in range(len(kept) - 1, 0, -1):
            if kept[i].score > kept[i - 1].score * REPLACE_MARGIN:
                kept[i - 1], kept[i] = kept[i], kept[i - 1]
        shown_before = {_key(c) for c in self._cards}
        for card in kept:
            if _key(card) not in shown_before:  # each appearance counts for "most shown" insights
                self._record(card, FeedbackAction.SHOWN)
                self._brought_by[_key(card)] = latest_customer_text
            self._ever_shown[_key(card)] = card
        self._cards = kept

    def _sleeping(self, key: str, now: datetime) -> bool:
        until = self._dismissed.get(key)
        return until is not None and now < until

    # --- the agent's reactions ----------------------------------------------------------------------------

    def _find(self, suggestion_id: str) -> Suggestion:
        for card in self._ever_shown.values():
            if card.id == suggestion_id or _key(card) == suggestion_id:
                return card
        raise UnknownSuggestionError(suggestion_id)

    def dismiss(self, suggestion_id: str) -> tuple[Suggestion, ...]:
        """Hide a card; it cannot come back for a cooldown. Returns the cards now shown."""
        card = self._find(suggestion_id)
        self._dismissed[_key(card)] = self._clock() + DISMISS_COOLDOWN
        self._cards = [c for c in self._cards if _key(c) != _key(card)]
        self._record(card, FeedbackAction.DISMISSED)
        return tuple(self._cards)

    def feedback(self, suggestion_id: str, action: FeedbackAction | str) -> None:
        """Record what the agent did with a card: used, dismissed, helped or not relevant."""
        chosen = FeedbackAction(action)
        if chosen is FeedbackAction.DISMISSED:
            self.dismiss(suggestion_id)
            return
        card = self._find(suggestion_id)
        if chosen in (FeedbackAction.USED, FeedbackAction.HELPED) and card not in self._used:
            self._used.append(card)
        if chosen is FeedbackAction.HELPED and card.kind is SuggestionKind.KNOWLEDGE:
            # The (masked) line that brought the card up becomes an example for its entry (see
            # Matcher._learned for why that cannot lower accuracy).
            said = self._brought_by.get(_key(card), "")
            if said and self._matcher.meaning is not None and self.store.get_knowledge(card.id) is not None:
                self._matcher.meaning.add_example(card.id, said, self.call_id)
        if chosen is FeedbackAction.NOT_RELEVANT:
            self._dismissed[_key(card)] = self._clock() + DISMISS_COOLDOWN * 10
            self._cards = [c for c in self._cards if _key(c) != _key(card)]
        self._record(card, chosen)

    def _record(self, card: Suggestion, action: FeedbackAction) -> None:
        self.store.add_feedback(
            SuggestionFeedback(self.call_id, card.kind, card.id, action, utc_iso(self._clock()))
        )

    # --- after the call -----------------------------------------------------------------------------------

    def wrap_up(self) -> WrapUp:
        """A prefilled after-call form written from the whole kept transcript (assist.wrapup): every issue,
        the facts, what was done, the supervisor's advice, each promise with its date and how to reach the
        customer."""
        structured = self.structured_wrap_up()
        now = self._clock()
        proposed = {c.segment_id: c.follow_up for c in self._cues if c.follow_up is not None}
        follow_ups: list[FollowUp] = []
        for promise in structured.promises:
            text = promise.what + (f" ({promise.contact})" if promise.contact else "")
            earlier = next((proposed[s] for s in promise.sources if s in proposed), None)
            follow_ups.append(
                replace(earlier, text=text, due=promise.due)
                if earlier is not None
                else FollowUp(
                    id=new_id("fu"),
                    customer_id=self.customer_id,
                    text=text,
                    due=promise.due,
                    call_id=self.call_id,
                    owner=self.agent,
                    created_at=now.isoformat(timespec="seconds"),
                )
            )
        promises = tuple(unique(f.text for f in follow_ups))
        return WrapUp(
            call_id=self.call_id,
            customer_id=self.customer_id,
            summary=structured.render(),
            issue=structured.main_issue,
            actions="; ".join(
                [*(e.text for e in structured.entries_used), *(a.text for a in structured.actions)]
            ),
            promises=promises,
            tags=structured.tags,
            disposition=structured.disposition,
            next_action=structured.promises[0].what if structured.promises else "",
            due=min((f.due for f in follow_ups if f.due), default=""),
            follow_ups=tuple(follow_ups),
            structured=structured,
        )

    def structured_wrap_up(self) -> StructuredWrapUp:
        language = self.language or detect_language(" ".join(s.text for s in self._finals) or "a")
        self._load_personal()
        customer = self.store.get_customer(self.customer_id) if self.customer_id else None
        used = [c.id for c in self._used if c.kind is SuggestionKind.KNOWLEDGE]
        return build_wrap_up(
            self._finals,
            language,
            self._clock().date(),
            classify=self._classify,
            entry=self.store.get_knowledge,
            used_entries=used,
            whispers=self.store.whispers_for(self.call_id),
            customer=customer,
            notes=self._notes,
        )

    def _classify(self, text: str) -> list[tuple[str, float]]:
        """Knowledge entries that fit one sentence on its own (the wrap-up groups sentences into issues)."""
        weighted = [WeightedTerm(t, 1.0) for t in dict.fromkeys(self._matcher.cut(text))]
        return [
            (c.id, c.score)
            # Words only: the wrap-up's "clearly ahead" rule was tuned on word scores, and by meaning the
            # neighbours of an entry come close behind it.
            for c in self._matcher.knowledge(weighted, limit=3, text=text, meaning=False)
            if c.kind is SuggestionKind.KNOWLEDGE and self.store.get_knowledge(c.id) is not None
        ]

    def save(self, wrap_up: WrapUp) -> CallRecord:
        """Store the call with the agent's (edited) wrap-up and its follow-ups. PII typed by the agent is
        redacted here too."""
        ended = utc_iso(self._clock())
        record = replace(
            self._call,
            agent=self._call.agent or self.agent,
            customer_id=wrap_up.customer_id if wrap_up.customer_id is not None else self.customer_id,
            ended_at=ended,
            disposition=wrap_up.disposition.value,
            summary=redact(wrap_up.summary).text,
            tags=wrap_up.tags,
            next_action=redact(wrap_up.next_action).text,
            language=self.language or self._call.language,
        )
        self.store.upsert_call(record)
        for follow_up in wrap_up.follow_ups:
            self.store.upsert_follow_up(
                replace(
                    follow_up,
                    customer_id=follow_up.customer_id or record.customer_id,
                    call_id=self.call_id,
                    owner=follow_up.owner or self.agent,
                    text=redact(follow_up.text).text,
                    status=follow_up.status or FollowUpStatus.OPEN,
                ),
                updated_at=ended,
            )
        self._call = record
        language = record.language or detect_language(" ".join(s.text for s in self._finals) or "a")
        measure_call(self.store, self.call_id, language)
        structured = wrap_up.structured.redacted(lambda t: redact(t).text) if wrap_up.structured else None
        if structured is not None:
            save_structured(self.store, self.call_id, structured)
        score_call(self.store, self.call_id, structured)
        return record


def _calm_history(candidates: list[Suggestion]) -> list[Suggestion]:
    """At most MAX_HISTORY_CARDS of the customer's own notes, calls and promises, and one of each text: a
    customer who called about the same thing ten times has ten past calls saying the same, and they must not
    push the knowledge cards off the screen."""
    allowed: set[str] = set()
    seen: set[tuple[SuggestionKind, str]] = set()
    for card in sorted(candidates, key=lambda c: c.score, reverse=True):
        if card.kind is SuggestionKind.KNOWLEDGE or (card.kind, card.snippet) in seen:
            continue
        seen.add((card.kind, card.snippet))
        if len(allowed) < MAX_HISTORY_CARDS:
            allowed.add(_key(card))
    return [c for c in candidates if c.kind is SuggestionKind.KNOWLEDGE or _key(c) in allowed]


def _key(card: Suggestion) -> str:
    return f"{card.kind.value}:{card.id}"
