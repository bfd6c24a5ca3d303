"""The review window by keyboard and screen reader, round two: Tab leaves the call list for the call, every
filter, date field, the timeline and the comment box have names, placeholders are not cut, search hits are
headed by who and when (not internal ids) with proper plurals, the summary editor has a real width, the seek
bar moves playback, a playback problem is one sentence in the UI language, and the insights read without a
colour key."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QWidget

from desktop.review.call_detail import CallDetail
from desktop.review.playback import PlaybackError
from desktop.review.window import ReviewWindow
from tests.review import test_review_window
from tests.review.test_review_window import FakeSoundDevice

window = test_review_window.window  # the review window on the test history, with a stand-in sound card


def test_tab_leaves_the_call_list_and_reaches_the_call(
    window: tuple[ReviewWindow, FakeSoundDevice], qtbot: Any
) -> None:
    w, _ = window
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    table = w.history.table
    table.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: w.focusWidget() is table)
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Return)  # Enter opens the call
    assert w.detail.call is not None
    reached: list[QWidget] = []
    for _ in range(12):
        focus = w.focusWidget()
        assert focus is not None
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
        now = w.focusWidget()
        assert now is not None
        reached.append(now)
        if w.detail.isAncestorOf(now):
            break
    assert reached[0] is not table  # one Tab leaves the list
    assert w.detail.isAncestorOf(reached[-1]), [type(x).__name__ for x in reached]


def test_every_filter_date_timeline_and_comment_box_has_a_name_and_whole_placeholders(
    window: tuple[ReviewWindow, FakeSoundDevice], qtbot: Any
) -> None:
    w, _ = window
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    h, d = w.history, w.detail
    named = (h.agent, h.tag, h.disposition, h.since, h.until, h.table, h.search_edit, d.timeline,
             d.comment_edit, d.comment_role, d.seek_bar, d.summary, d.tags, d.note_edit)  # fmt: skip
    names = [x.accessibleName() for x in named]
    assert all(names), names
    for edit in (h.since, h.until):
        assert isinstance(edit, QLineEdit)
        assert edit.width() >= edit.fontMetrics().horizontalAdvance(edit.placeholderText())


def test_search_hits_say_who_and_when_with_proper_plurals(
    window: tuple[ReviewWindow, FakeSoundDevice], qtbot: Any
) -> None:
    w, _ = window
    h = w.history
    h.search_edit.setText("請求書")
    qtbot.waitUntil(lambda: h.stack.currentWidget() is h.hits, timeout=3000)
    heads = [h.hits.itemWidget(h.hits.item(i)).text() for i in range(h.hits.count())]  # type: ignore[union-attr]
    assert heads and all("田中花子" in x and "2026-03" in x for x in heads)
    assert not any("call-" in x or "cust-" in x for x in heads)
    count = h.hits.count()
    assert h.message.text() == (f"{count} matches" if count != 1 else "1 match")
    h.search_edit.setText("zanzibarian")
    h.refresh()
    assert h.message.text() == "1 match"


def test_summary_editor_is_wide_and_the_seek_bar_moves_playback(
    window: tuple[ReviewWindow, FakeSoundDevice], qtbot: Any
) -> None:
    w, _ = window
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    d: CallDetail = w.detail
    d.show_call("call-ja-1")
    assert d.summary.width() >= 300
    assert d.seek_bar.isEnabled() and d.seek_bar.maximum() > 0
    d.seek_bar.setValue(95)  # 9.5 s, as the arrow keys or a click on the bar would
    assert d.player is not None and abs(d.player.position - 9.5) < 1e-3
    assert d.highlighted_line() == d.lines()[3]  # the line under that point is shown
    assert d.position_label.text() == "00:09"


def test_a_playback_problem_is_one_sentence_in_the_ui_language(
    window: tuple[ReviewWindow, FakeSoundDevice],
) -> None:
    w, _ = window
    d = w.detail
    d._playback_failed(PlaybackError("cannot play", "no_output", "PortAudio: Device unavailable"))
    assert d.status.text().startswith("This PC's sound output cannot play")
    assert "PortAudio" not in d.status.text() and "PortAudio" in d.status.toolTip()
