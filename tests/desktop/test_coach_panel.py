"""Coaching on the call screen: the conversation so far in one quiet line and the latest hints with their
reasons, fed through the Qt bridge from a worker thread as the desk feeds them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from audio.events import Channel, EventKind
from desktop.agent.agent_app import desk_config
from desktop.agent.settings_dialog import SettingsDialog
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from desktop.common.views import CoachingView, HintView, SummaryLine, WrapUpDraft
from tests.desktop.test_call_screen import event, from_worker


def test_figures_and_hints_show_quietly_and_close(agent: Any, qtbot: Any) -> None:
    w = agent.window
    panel = w.coach
    pace = HintView("pace", "Speaking at 212 words a minute (aim for 190 or less). Slow down a little.")
    from_worker(agent.bridge.on_coaching, CoachingView(0.62, 212.0, "wpm", 1, 0, (pace,)))
    qtbot.waitUntil(lambda: "pace" in panel.figures.text())
    assert panel.figures.text() == "You 62% · customer 38% · pace 212 words/min · overlaps 1 · silences 0"
    assert "Slow down a little" in panel.hints_label.text() and panel.hints_label.isVisible()
    jargon = HintView("jargon", "“SSID” is a technical term.", "the Wi-Fi name")
    backtrack = HintView("backtrack", "The customer spoke for 12 seconds.", "So, just to check: …")
    from_worker(agent.bridge.on_coaching, CoachingView(0.6, 200.0, "wpm", 1, 0, (jargon, backtrack)))
    qtbot.waitUntil(lambda: "Sum it up" in panel.hints_label.text())
    # At most two hints: the oldest (pace) made room.
    assert "Slow down" not in panel.hints_label.text() and "the Wi-Fi name" in panel.hints_label.text()
    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    assert panel.hints == [] and not panel.hints_label.isVisible()
    assert "pace" in panel.figures.text()  # the quiet line stays
    from_worker(agent.bridge.on_coaching, CoachingView(0.4, 7.2, "morae/s", 0, 2))
    qtbot.waitUntil(lambda: "7.2 morae/s" in panel.figures.text())


def test_each_hint_can_be_switched_off_in_the_settings(qtbot: Any) -> None:
    ensure_app()
    dialog = SettingsDialog(Preferences(coaching_off="pace,dead_air"))
    qtbot.addWidget(dialog)
    switches = dialog.coaching.switches
    assert not switches["pace"].isChecked() and not switches["dead_air"].isChecked()
    assert switches["jargon"].isChecked() and switches["pause"].isChecked()
    switches["jargon"].setChecked(False)
    prefs = dialog.chosen()
    assert prefs.coaching_off == "pace,jargon,dead_air"
    # The desk's sessions get exactly those hints switched off.
    assert desk_config(prefs).coaching_off == ("pace", "jargon", "dead_air")


def test_each_wrap_up_line_leads_to_the_transcript_line_it_came_from(agent: Any, qtbot: Any) -> None:
    w = agent.window
    for n, (channel, text) in enumerate(
        [(Channel.AGENT, "How can I help?"), (Channel.CUSTOMER, "My internet keeps dropping every evening.")]
    ):
        from_worker(
            agent.bridge.on_transcript, event(f"s{n}", channel, EventKind.FINAL, text, start=float(n))
        )
    qtbot.waitUntil(lambda: len(w.transcript.lines()) == 2)
    draft = WrapUpDraft(
        "Issues:\n- The internet keeps dropping every evening.",
        lines=(SummaryLine("The internet keeps dropping every evening.", ("s1",)),),
    )
    from_worker(agent.bridge.on_call_finished, "call-1", draft)
    qtbot.waitUntil(lambda: w.wrap_up.sources.count() == 1)
    row = w.wrap_up.sources.item(0)
    assert row.text().startswith("The internet keeps dropping")
    w.wrap_up.sources.itemClicked.emit(row)
    current = w.transcript.list.currentItem()
    assert current is not None and "keeps dropping" in current.text()
    assert not w.transcript.follows_live
