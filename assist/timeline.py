"""One call laid out on one time axis: transcript lines, whispers, suggestions shown and used, cues, bookmarks
and comments, and the arithmetic between playback positions and lines.

Pure Python (no Qt, no audio) so the mapping a reviewer relies on — "click a line, hear that line; the line
being heard is the highlighted one" — is tested exactly, without sound hardware.

Where things sit: anything tied to a transcript line (a cue, a whisper anchored to a line, a comment) sits at
that line's start; a whisper or suggestion without a line sits at its wall-clock time since the call started;
a bookmark at its own position.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from assist.domain import CallRecord, Segment, WhisperRecord
from assist.dynamics import CallDynamics, load_dynamics
from assist.review_schema import Bookmark, LineComment, ReviewNotes
from assist.store import Store

LEAD_IN = 0.3  # seconds played before a clicked line, so its first syllable is not clipped


class TimelineKind(StrEnum):
    LINE = "line"
    WHISPER = "whisper"
    SUGGESTION_SHOWN = "suggestion_shown"
    SUGGESTION_USED = "suggestion_used"
    CUE = "cue"
    BOOKMARK = "bookmark"
    COMMENT = "comment"
    OVERLAP = "overlap"  # both speaking for 1 s or more (assist.dynamics)
    SILENCE = "silence"  # nobody speaking for 3 s or more


_ORDER = {kind: n for n, kind in enumerate(TimelineKind)}


@dataclass(frozen=True, slots=True)
class TimelineItem:
    position: float  # seconds from the start of the recording
    kind: TimelineKind
    text: str
    segment_id: str = ""
    channel: str = ""
    end: float | None = None
    ref_id: str = ""  # whisper, entry, bookmark or comment id; cue kind
    author: str = ""
    read_at: str = ""  # a whisper: when the agent marked it read ("" never)


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    target_id: str
    action: str  # shown | used | dismissed ...
    at: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class CueRow:
    segment_id: str
    kind: str
    trigger: str
    phrase: str
    at: str


def seconds_since(start: str, moment: str) -> float | None:
    """Seconds from ``start`` to ``moment`` (ISO times), or None when either is missing or unreadable."""
    try:
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return None
    if (a.tzinfo is None) != (b.tzinfo is None):
        return None
    return (b - a).total_seconds()


def build_timeline(
    call: CallRecord,
    segments: Sequence[Segment],
    *,
    whispers: Iterable[WhisperRecord] = (),
    feedback: Iterable[FeedbackRow] = (),
    cues: Iterable[CueRow] = (),
    bookmarks: Iterable[Bookmark] = (),
    comments: Iterable[LineComment] = (),
    dynamics: CallDynamics | None = None,
) -> list[TimelineItem]:
    starts: Mapping[str, float] = {s.segment_id: s.start for s in segments}
    items = [
        TimelineItem(s.start, TimelineKind.LINE, s.text, s.segment_id, s.channel, s.end, s.segment_id)
        for s in segments
    ]

    def place(segment_id: str | None, at: str) -> float:
        if segment_id and segment_id in starts:
            return starts[segment_id]
        offset = seconds_since(call.started_at, at)
        return max(0.0, offset) if offset is not None else 0.0

    for w in whispers:
        items.append(
            TimelineItem(
                place(w.segment_id, w.sent_at),
                TimelineKind.WHISPER,
                w.text,
                w.segment_id or "",
                ref_id=w.id,
                author=w.author,
                read_at=w.read_at or "",
            )
        )
    for f in feedback:
        kind = {"shown": TimelineKind.SUGGESTION_SHOWN, "used": TimelineKind.SUGGESTION_USED}.get(f.action)
        if kind is not None:
            items.append(TimelineItem(place(None, f.at), kind, f.title or f.target_id, ref_id=f.target_id))
    for c in cues:
        items.append(
            TimelineItem(
                place(c.segment_id, c.at),
                TimelineKind.CUE,
                c.phrase or c.trigger,
                c.segment_id,
                ref_id=c.kind,
            )
        )
    for b in bookmarks:
        items.append(
            TimelineItem(
                b.position, TimelineKind.BOOKMARK, b.label, b.segment_id, ref_id=b.id, author=b.author
            )
        )
    for m in comments:
        items.append(
            TimelineItem(
                place(m.segment_id, ""),
                TimelineKind.COMMENT,
                m.text,
                m.segment_id,
                ref_id=m.id,
                author=m.author,
            )
        )
    if dynamics is not None:
        for o in dynamics.overlaps:
            items.append(
                TimelineItem(o.start, TimelineKind.OVERLAP, f"{o.seconds:.1f} s", end=o.end, ref_id=o.by)
            )
        for q in dynamics.silences:
            items.append(TimelineItem(q.start, TimelineKind.SILENCE, f"{q.seconds:.1f} s", end=q.end))
    # Stable: lines keep their order; annotations follow the line they belong to.
    return sorted(items, key=lambda i: (i.position, _ORDER[i.kind]))


def feedback_rows(store: Store, call_id: str) -> list[FeedbackRow]:
    """The suggestions shown, used or dismissed during a call, in the order they happened, with the entry's
    title when the knowledge entry still exists."""
    return [
        FeedbackRow(*r)
        for r in store.conn.execute(
            "SELECT f.target_id, f.action, f.at, COALESCE(k.title, '') FROM suggestion_feedback f "
            "LEFT JOIN knowledge k ON k.id = f.target_id WHERE f.call_id = ? ORDER BY f.rowid",
            (call_id,),
        )
    ]


def cue_rows(store: Store, call_id: str) -> list[CueRow]:
    """The cues raised during a call, in the order they were raised."""
    return [
        CueRow(*r)
        for r in store.conn.execute(
            "SELECT segment_id, kind, trigger, phrase, at FROM call_cues WHERE call_id = ? ORDER BY rowid",
            (call_id,),
        )
    ]


def load_timeline(store: Store, call: CallRecord) -> list[TimelineItem]:
    """Everything stored about ``call`` on one time axis (what the review window's call detail shows)."""
    review = ReviewNotes(store)
    return build_timeline(
        call,
        store.segments_for(call.id),
        whispers=store.whispers_for(call.id),
        feedback=feedback_rows(store, call.id),
        cues=cue_rows(store, call.id),
        bookmarks=review.bookmarks(call.id),
        comments=review.comments(call.id),
        dynamics=load_dynamics(store, call.id),
    )


def play_from(line_start: float, lead_in: float = LEAD_IN) -> float:
    """Where playback starts when a line starting at ``line_start`` is clicked."""
    return max(0.0, line_start - lead_in)


def line_at(lines: Sequence[tuple[float, float]], position: float) -> int | None:
    """Index of the line to highlight at ``position``: of the lines sorted by start as (start, end), the one
    being spoken (the latest started, when both sides talk at once); in a pause, the line just spoken stays
    highlighted until the next begins; None before the first line."""
    if not lines:
        return None
    starts = [start for start, _ in lines]
    index = bisect.bisect_right(starts, position) - 1
    if index < 0:
        return None
    # Overlap: an earlier line may still be running while a later one has started; the later one wins, but a
    # line that has ended must not win over an earlier one still being spoken.
    if lines[index][1] <= position:
        for earlier in range(index - 1, max(-1, index - 8), -1):
            start, end = lines[earlier]
            if start <= position < end:
                return earlier
    return index


def clock(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"
