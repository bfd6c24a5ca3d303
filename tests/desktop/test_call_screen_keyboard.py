"""The call screen as an agent meets it in a real call, round two: the supervisor's card on top, text size
that changes the open window, a "listening" state, what the screen does when the call ends (after-call work
time, meters down, the hint and unread whispers settled), and the keyboard: distinct button names, a sane Tab
order and F6 between panes. Real widgets offscreen, fed through the bridge from another thread as the desk
does."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind
from desktop.agent.desk import SaveOutcome
from desktop.common.appearance import MIN_DEFAULT_POINTS
from desktop.common.i18n import install_ui_language
from desktop.common.views import CueStyle, CueView, SuggestionView, WhisperView, WrapUpDraft
from tests.desktop.test_call_screen import event, from_worker


def card(key: str, title: str, pushed_by: str = "") -> SuggestionView:
    return SuggestionView(
        key, "knowledge", title, f"About {title}.", (), "pushed" if pushed_by else "knowledge", 1.0, key,
        pushed_by=pushed_by,
    )  # fmt: skip


def test_the_card_the_supervisor_pushes_is_pinned_at_the_top(agent: Any, qtbot: Any) -> None:
    panel = agent.window.suggestions
    matched = [card(f"k{n}", f"Matched entry {n}") for n in range(5)]
    from_worker(agent.bridge.on_suggestions, matched)
    qtbot.waitUntil(lambda: len(panel.cards()) == 5)
    panel.verticalScrollBar().setValue(panel.verticalScrollBar().maximum())

    pushed = card("knowledge:kb-1", "Loyalty discount", pushed_by="miki")
    from_worker(agent.bridge.on_suggestions, [*matched[:3], pushed, *matched[3:]])
    qtbot.waitUntil(lambda: len(panel.cards()) == 6)
    shown = panel.cards()
    assert shown[0].suggestion.key == "knowledge:kb-1"  # first in the list, whatever order it came in
    assert [c.suggestion.key for c in shown[1:]] == [f"k{n}" for n in range(5)]  # the others kept their place
    top = shown[0].mapTo(panel.widget(), shown[0].rect().topLeft()).y()
    assert top < shown[1].mapTo(panel.widget(), shown[1].rect().topLeft()).y()
    assert panel.verticalScrollBar().value() == 0  # scrolled to it: the agent does not have to look for it


def test_larger_text_changes_the_open_call_screen_and_the_default_is_readable(agent: Any, qtbot: Any) -> None:
    w = agent.window
    label = w.call_bar.customer
    assert label.font().pointSizeF() >= MIN_DEFAULT_POINTS
    assert w.transcript.list.font().pointSizeF() >= MIN_DEFAULT_POINTS
    before = label.font().pointSize()
    w.act_bigger.trigger()
    w.act_bigger.trigger()
    qtbot.waitUntil(lambda: label.font().pointSize() == before + 2)
    assert w.wrap_up.summary.font().pointSize() == before + 2
    assert w.call_bar.call_button.font().pointSize() == before + 2
    w.act_font_reset.trigger()
    qtbot.waitUntil(lambda: label.font().pointSize() == before)


def test_listening_then_the_call_ends_into_after_call_work(agent: Any, qtbot: Any) -> None:
    w = agent.window
    w.call_started(team=True)
    assert w.transcript.listening.isVisible() and "Listening" in w.transcript.listening.text()
    from_worker(agent.bridge.on_transcript, event("s1", Channel.CUSTOMER, EventKind.FINAL, "Hello?"))
    qtbot.waitUntil(lambda: not w.transcript.listening.isVisible())
    from_worker(
        agent.bridge.on_audio_status, AudioStatusEvent(AudioStatusKind.LEVEL, Channel.CUSTOMER, value=0.25)
    )
    qtbot.waitUntil(lambda: w.call_bar.customer_level.value() > 0)
    from_worker(agent.bridge.on_cue, CueView(CueStyle.EMPATHY, "I understand."))
    from_worker(agent.bridge.on_whisper, WhisperView("w1", "miki", "Offer the Lite plan", "10:42"))
    qtbot.waitUntil(lambda: w.cue_banner.isVisible() and bool(w.whispers.unread()))
    w.hand.toggle()
    assert "raised" in w.hand.status.text().lower()

    from_worker(agent.bridge.on_call_finished, "call-1", WrapUpDraft("Greeting only"))
    qtbot.waitUntil(lambda: w.left_tabs.currentWidget() is w.wrap_up)
    qtbot.waitUntil(lambda: w.call_bar.timer_label.text().startswith("ACW"))  # not back to 00:00
    assert w.call_bar.agent_level.value() == 0 and w.call_bar.customer_level.value() == 0
    assert not w.cue_banner.isVisible()
    assert not w.whispers.unread() and "unread" not in w.whispers.header.text()
    assert "not read during the call" in w.whispers.list.item(0).text()
    assert not w.hand.button.isEnabled() and "Raise hand" in w.hand.button.text()
    assert not w.transcript.listening.isVisible()
    # The wrap-up gets a real width, not the narrow column of the call.
    assert w.wrap_up.width() >= 480 and w.wrap_up.summary.width() >= 300

    # Saving stops the after-call work clock; the saved status follows a switch of UI language.
    agent._saved(SaveOutcome("call-1", True, False, False))
    stopped = w.call_bar.timer_label.text()
    assert stopped.startswith("ACW")
    assert "Saved on this PC" in w.wrap_up.status.text()
    app = QApplication.instance()
    try:
        install_ui_language(app, "ja")
        qtbot.waitUntil(lambda: "保存しました" in w.wrap_up.status.text())
        assert w.call_bar.timer_label.text() != "00:00"
    finally:
        install_ui_language(app, "en")
    qtbot.waitUntil(lambda: "Saved on this PC" in w.wrap_up.status.text())


def test_the_follow_up_hint_names_the_weekday(agent: Any, qtbot: Any) -> None:
    w = agent.window
    from_worker(agent.bridge.on_cue, CueView(CueStyle.FOLLOW_UP, "Call back about the refund", "2026-12-03"))
    qtbot.waitUntil(lambda: w.cue_banner.isVisible())
    assert "Thu" in w.cue_banner.label.text() and "2026-12-03" not in w.cue_banner.label.text()
    app = QApplication.instance()
    try:
        install_ui_language(app, "ja")
        qtbot.waitUntil(lambda: "（木）" in w.cue_banner.label.text())
    finally:
        install_ui_language(app, "en")


def test_each_cards_buttons_have_distinct_names_that_say_which_card(agent: Any, qtbot: Any) -> None:
    panel = agent.window.suggestions
    from_worker(agent.bridge.on_suggestions, [card("a", "Refund"), card("b", "Router restart")])
    qtbot.waitUntil(lambda: len(panel.cards()) == 2)
    names = [b.accessibleName() for c in panel.cards() for b in c.buttons()]
    assert len(names) == len(set(names)) == 8
    for shown in panel.cards():
        assert all(shown.suggestion.title in b.accessibleName() for b in shown.buttons())


def _pane(w: Any, widget: QWidget) -> str:
    for name, box in (
        ("call bar", w.call_bar),
        ("call bar", w.hand),
        ("transcript", w.transcript),
        ("cards", w.suggestions),
        ("whispers", w.whispers),
        ("wrap-up", w.left_tabs),
    ):
        if widget is box or box.isAncestorOf(widget):
            return name
    return f"other:{type(widget).__name__}"


def test_tab_goes_call_bar_transcript_cards_whispers_wrap_up_and_f6_jumps_between_panes(
    agent: Any, qtbot: Any
) -> None:
    w = agent.window
    w.call_started(team=True)
    from_worker(agent.bridge.on_suggestions, [card("a", "Refund"), card("b", "Router restart")])
    from_worker(agent.bridge.on_whisper, WhisperView("w1", "miki", "Offer the Lite plan", "10:42"))
    qtbot.waitUntil(lambda: len(w.suggestions.cards()) == 2 and w.whispers.list.count() == 1)
    w.left_tabs.setCurrentWidget(w.wrap_up)
    w.activateWindow()
    w.call_bar.call_button.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: w.focusWidget() is w.call_bar.call_button)

    seen: list[str] = []
    for _ in range(40):
        pane = _pane(w, w.focusWidget())
        if not seen or seen[-1] != pane:
            seen.append(pane)
        qtbot.keyClick(w.focusWidget(), Qt.Key.Key_Tab)
        if w.focusWidget() is w.call_bar.call_button:
            break
    first_visits = list(dict.fromkeys(seen))
    assert first_visits[:5] == ["call bar", "transcript", "cards", "whispers", "wrap-up"], seen
    assert seen.count("cards") == 1  # the cards are one stretch, not scattered through the window

    w.call_bar.call_button.setFocus(Qt.FocusReason.OtherFocusReason)
    visited = []
    for _ in range(5):
        qtbot.keyClick(w.focusWidget(), Qt.Key.Key_F6)
        visited.append(_pane(w, w.focusWidget()))
    assert visited == ["transcript", "cards", "whispers", "wrap-up", "call bar"]
    qtbot.keyClick(w.focusWidget(), Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    assert _pane(w, w.focusWidget()) == "wrap-up"
