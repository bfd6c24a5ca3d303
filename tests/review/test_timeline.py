"""Playback position <-> transcript line mapping and the merged call timeline (pure, no audio hardware)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assist.domain import CallRecord, Segment, WhisperRecord
from assist.review_schema import Bookmark, LineComment
from assist.timeline import (
    CueRow,
    FeedbackRow,
    TimelineKind,
    build_timeline,
    clock,
    line_at,
    play_from,
    seconds_since,
)

LINES = [(0.5, 2.0), (2.5, 4.0), (4.2, 9.0), (5.0, 6.0), (10.0, 11.0)]  # line 3 overlaps line 2


def test_the_line_being_spoken_is_highlighted() -> None:
    assert line_at(LINES, 0.0) is None  # before anyone speaks
    assert line_at(LINES, 0.5) == 0
    assert line_at(LINES, 1.99) == 0
    assert line_at(LINES, 2.2) == 0  # a pause keeps the line just spoken
    assert line_at(LINES, 2.5) == 1
    assert line_at(LINES, 5.5) == 3  # both talk: the one that started last
    assert line_at(LINES, 6.5) == 2  # the short interjection ended; the long line is still going
    assert line_at(LINES, 9.5) == 3  # pause after both: the latest started stays
    assert line_at(LINES, 99.0) == 4
    assert line_at([], 3.0) is None


def test_clicking_a_line_plays_from_just_before_it() -> None:
    assert play_from(2.5) == 2.2
    assert play_from(0.1) == 0.0
    # Playing from there highlights that very line once its start is reached.
    for index, (start, _end) in enumerate(LINES):
        assert line_at(LINES, start) == index
        assert line_at(LINES, play_from(start)) in (None, index - 1 if index else None, index)


@settings(database=None)  # no ./.hypothesis cache in the repository
@given(
    st.lists(st.tuples(st.floats(0, 1000), st.floats(0.1, 30)), min_size=1, max_size=30), st.floats(0, 1100)
)
def test_highlight_is_always_a_line_that_has_started(raw: list[tuple[float, float]], position: float) -> None:
    lines = sorted((s, s + d) for s, d in raw)
    index = line_at(lines, position)
    if position < lines[0][0]:
        assert index is None
    else:
        assert index is not None and lines[index][0] <= position


def test_timeline_merges_everything_at_the_right_moments() -> None:
    call = CallRecord("c1", "cust", started_at="2026-03-02T01:00:00+00:00")
    segments = [
        Segment("c1", "s0", "agent", 0.5, 2.0, "お電話ありがとうございます"),
        Segment("c1", "s1", "customer", 3.0, 6.0, "解約したいんですが"),
    ]
    items = build_timeline(
        call,
        segments,
        whispers=[
            WhisperRecord("w1", "c1", "lead", "引き止め手順を", "2026-03-02T01:00:04+00:00", "s1"),
            WhisperRecord("w2", "c1", "lead", "落ち着いて", "2026-03-02T01:00:10+00:00"),
        ],
        feedback=[
            FeedbackRow("kb-cancel", "shown", "2026-03-02T01:00:05+00:00", "解約の手続き"),
            FeedbackRow("kb-cancel", "used", "2026-03-02T01:00:07+00:00", "解約の手続き"),
            FeedbackRow("kb-cancel", "dismissed", "2026-03-02T01:00:08+00:00"),
        ],
        cues=[CueRow("s1", "frustration", "解約", "お困りなのですね", "2026-03-02T01:00:06+00:00")],
        bookmarks=[Bookmark("b1", "c1", 1.0, "s0", "greeting")],
        comments=[LineComment("m1", "c1", "もっと早く共感を", "s1", "lead")],
    )
    assert [(i.position, i.kind) for i in items] == [
        (0.5, TimelineKind.LINE),
        (1.0, TimelineKind.BOOKMARK),
        (3.0, TimelineKind.LINE),
        (3.0, TimelineKind.WHISPER),
        (3.0, TimelineKind.CUE),
        (3.0, TimelineKind.COMMENT),
        (5.0, TimelineKind.SUGGESTION_SHOWN),
        (7.0, TimelineKind.SUGGESTION_USED),
        (10.0, TimelineKind.WHISPER),
    ]
    assert items[6].text == "解約の手続き"


def test_time_helpers() -> None:
    assert seconds_since("2026-03-02T01:00:00+00:00", "2026-03-02T01:01:30+00:00") == 90
    assert seconds_since("", "2026-03-02T01:01:30+00:00") is None
    assert seconds_since("2026-03-02T01:00:00", "2026-03-02T01:01:30+00:00") is None
    assert clock(65) == "01:05" and clock(3725) == "1:02:05"
