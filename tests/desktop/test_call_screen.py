"""The call screen's behaviour as the agent sees it, fed through the Qt bridge from a worker thread the way
the engine and the desk feed it (queued signals), with real widgets offscreen."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt

from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
from desktop.agent.agent_app import AgentApp
from desktop.agent.desk import CallDesk, DeskConfig, Problem
from desktop.app import ensure_app
from desktop.common.preferences import Preferences, app_settings
from desktop.common.views import (
    CueStyle,
    CueView,
    CustomerView,
    NoteView,
    SuggestionView,
    WhisperView,
    WrapUpDraft,
)
from sync.client import ConnectionState
from tests.conftest import ROOT
from tests.listeners import QuietListener


def event(segment: str, channel: Channel, kind: EventKind, text: str, start: float = 1.0) -> TranscriptEvent:
    return TranscriptEvent("call-1", channel, kind, start, start + 1, text, 0.9, segment)


def from_worker(fn: Any, *args: Any) -> None:
    """Call like the engine does: from another thread."""
    thread = threading.Thread(target=fn, args=args)
    thread.start()
    thread.join()


def test_partial_is_provisional_and_replaced_in_place_by_its_final(agent: Any, qtbot: Any) -> None:
    view = agent.window.transcript
    from_worker(agent.bridge.on_transcript, event("s1", Channel.CUSTOMER, EventKind.PARTIAL, "my internet"))
    qtbot.waitUntil(lambda: len(view.lines()) == 1)
    first = view.lines()[0]
    assert not first.final and not first.right_side
    assert view.list.item(0).font().italic() and view.list.item(0).text().endswith("…")

    from_worker(agent.bridge.on_transcript, event("s2", Channel.AGENT, EventKind.FINAL, "Let me check.", 3.0))
    from_worker(
        agent.bridge.on_transcript,
        event("s1", Channel.CUSTOMER, EventKind.FINAL, "My internet keeps dropping."),
    )
    qtbot.waitUntil(lambda: view.lines()[0].final)
    lines = view.lines()
    assert [x.segment_id for x in lines] == ["s1", "s2"]  # replaced where it was, not appended
    assert lines[0].text == "My internet keeps dropping." and not lines[0].right_side
    assert lines[1].right_side and lines[1].channel is Channel.AGENT
    assert "Customer" in view.list.item(0).text() and "You" in view.list.item(1).text()

    # A late partial never overwrites a final; an empty final retracts a line that was not speech.
    from_worker(agent.bridge.on_transcript, event("s1", Channel.CUSTOMER, EventKind.PARTIAL, "my inter"))
    from_worker(agent.bridge.on_transcript, event("s3", Channel.CUSTOMER, EventKind.PARTIAL, "hmm"))
    qtbot.waitUntil(lambda: len(view.lines()) == 3)
    from_worker(agent.bridge.on_transcript, event("s3", Channel.CUSTOMER, EventKind.FINAL, ""))
    qtbot.waitUntil(lambda: len(view.lines()) == 2)
    assert view.lines()[0].text == "My internet keeps dropping."


def test_the_second_pass_folds_a_turn_into_its_first_line_and_keeps_the_agent_s_bookmark(
    agent: Any, qtbot: Any
) -> None:
    view = agent.window.transcript
    marks: list[tuple[str, bool]] = []
    view.bookmark_toggled.connect(lambda seg, on: marks.append((seg, on)))
    view.show_event(event("t1", Channel.CUSTOMER, EventKind.FINAL, "My internet", 1.0))
    view.show_event(event("t2", Channel.CUSTOMER, EventKind.FINAL, "keeps drop in.", 2.5))
    view.show_event(event("a1", Channel.AGENT, EventKind.FINAL, "I see.", 5.0))
    second = view.list.item(1)
    qtbot.mouseClick(
        view.list.viewport(), Qt.MouseButton.LeftButton, pos=view.list.visualItemRect(second).center()
    )
    assert view.lines()[1].bookmarked

    revised = TranscriptEvent(
        "call-1",
        Channel.CUSTOMER,
        EventKind.FINAL,
        1.0,
        3.5,
        "My internet keeps dropping.",
        0.9,
        "t1",
        revised=True,
    )
    from_worker(agent.bridge.on_transcript, revised)
    from_worker(
        agent.bridge.on_transcript,
        TranscriptEvent(
            "call-1",
            Channel.CUSTOMER,
            EventKind.FINAL,
            2.5,
            3.5,
            "",
            0.0,
            "t2",
            revised=True,
            merged_into="t1",
        ),
    )
    qtbot.waitUntil(lambda: len(view.lines()) == 2)
    lines = view.lines()
    assert [(x.segment_id, x.text) for x in lines] == [
        ("t1", "My internet keeps dropping."),
        ("a1", "I see."),
    ]
    assert lines[0].bookmarked and marks[-1] == ("t1", True)


def test_click_bookmarks_and_scrolling_up_offers_jump_to_live(agent: Any, qtbot: Any) -> None:
    view = agent.window.transcript
    for i in range(60):
        view.show_event(
            event(
                f"s{i}",
                Channel.CUSTOMER if i % 2 else Channel.AGENT,
                EventKind.FINAL,
                f"line number {i} with enough words to take some room",
                float(i),
            )
        )
    qtbot.waitUntil(lambda: view.list.verticalScrollBar().maximum() > 0)
    bar = view.list.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    assert view.follows_live and view.jump_button.isHidden()

    bar.setValue(0)  # the agent scrolls up to read
    assert not view.follows_live and view.jump_button.isVisible()
    view.show_event(event("new", Channel.CUSTOMER, EventKind.FINAL, "a new line while reading back", 61.0))
    assert bar.value() == 0  # reading is not interrupted
    qtbot.mouseClick(view.jump_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    assert view.follows_live and view.jump_button.isHidden()

    marks: list[tuple[str, bool]] = []
    view.bookmark_toggled.connect(lambda seg, on: marks.append((seg, on)))
    item = view.list.item(view.list.count() - 1)
    rect = view.list.visualItemRect(item)
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert marks == [("new", True)]
    assert view.lines()[-1].bookmarked and item.text().startswith("★")


def test_cards_stay_put_highlight_matches_and_dismissed_cards_go(agent: Any, qtbot: Any) -> None:
    panel = agent.window.suggestions
    a = SuggestionView(
        "knowledge:a",
        "knowledge",
        "Refund for a double charge",
        "File a refund request.",
        ("refund", "double charge"),
        "knowledge",
        2.0,
        "a",
    )
    b = SuggestionView(
        "knowledge:b",
        "knowledge",
        "Internet drops in the evening",
        "Restart the router.",
        (),
        "knowledge",
        1.5,
        "b",
        close_to="wifi keeps dropping",
        same_meaning="no internet ← connection keeps dropping",
    )
    from_worker(agent.bridge.on_suggestions, [a, b])
    qtbot.waitUntil(lambda: len(panel.cards()) == 2)
    card_a = panel.cards()[0]
    # A card found by meaning says which title or alias the customer's words came close to.
    assert "close in meaning to: wifi keeps dropping" in panel.cards()[1].reason.text()
    # And a word of the support thesaurus said in other words names both.
    assert "same meaning: no internet ← connection keeps dropping" in panel.cards()[1].reason.text()
    assert "<b style" in card_a.title.text() and "double charge" in card_a.title.text()
    assert "you heard: Refund, double charge" in card_a.reason.text()  # the words as written on the card

    # A re-ranked update that still holds card a keeps the same widget (no flicker).
    from_worker(agent.bridge.on_suggestions, [b, a])
    qtbot.wait(10)
    assert panel.cards()[0] is card_a

    actions: list[tuple[str, str]] = []
    panel.feedback.connect(lambda card, action: actions.append((card.key, action)))
    qtbot.mouseClick(card_a.helped_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(card_a.dismiss_button, Qt.MouseButton.LeftButton)
    assert actions == [("knowledge:a", "helped"), ("knowledge:a", "not_relevant")]
    assert [c.suggestion.key for c in panel.cards()] == ["knowledge:b"]
    panel.show_suggestions([a, b])  # the core may still rank it: it does not come back during this call
    assert [c.suggestion.key for c in panel.cards()] == ["knowledge:b"]


def test_whisper_flashes_once_per_id_and_f8_marks_it_read(agent: Any, qtbot: Any) -> None:
    inbox = agent.window.whispers
    read: list[str] = []
    inbox.marked_read.connect(lambda w: read.append(w.whisper_id))
    whisper = WhisperView("w1", "miki", "Offer the Lite plan", "10:42")
    from_worker(agent.bridge.on_whisper, whisper)
    from_worker(agent.bridge.on_whisper, whisper)  # delivered twice (at-least-once): shown once
    qtbot.waitUntil(lambda: inbox.unread() == [whisper])
    assert inbox.list.count() == 1
    assert "1 unread" in inbox.header.text() and "NEW" in inbox.list.item(0).text()
    qtbot.waitUntil(lambda: inbox.property("flash") is True)
    agent.window.activateWindow()
    qtbot.keyClick(agent.window, Qt.Key.Key_F8)
    assert read == ["w1"] and inbox.unread() == []
    assert "NEW" not in inbox.list.item(0).text()


def test_context_cue_status_and_wrap_up(agent: Any, qtbot: Any) -> None:
    w = agent.window
    customer = CustomerView(
        customer_id="c1",
        phone="090-1234-5678",
        name="佐藤 花子",
        company="佐藤デザイン",
        traits=("prefers short answers",),
        follow_ups=("call back about the refund (2026-11-24)",),
        notes=(
            NoteView("old note", "Ken", "2026-01-01"),
            NoteView("charged twice before", "Ken", "2026-11-10", "caution", True),
        ),
    )
    from_worker(agent.bridge.on_customer, customer)
    qtbot.waitUntil(lambda: "佐藤 花子" in w.context_panel.text())
    text = w.context_panel.text()
    assert text.index("charged twice before") < text.index("old note")  # pinned first
    assert "caution" in text and "call back about the refund" in text
    assert "佐藤 花子" in w.call_bar.customer.text()
    from_worker(agent.bridge.on_customer, CustomerView(phone="03-0000-0000"))
    qtbot.waitUntil(lambda: "New caller" in w.call_bar.customer.text())

    from_worker(agent.bridge.on_cue, CueView(CueStyle.FOLLOW_UP, "Call back about the refund", "2026-11-23"))
    qtbot.waitUntil(lambda: w.cue_banner.isVisible())
    assert "promise" in w.cue_banner.label.text() and w.cue_banner.accept_button.isVisible()
    qtbot.mouseClick(w.cue_banner.accept_button, Qt.MouseButton.LeftButton)
    assert w.wrap_up.draft().follow_up_due == "2026-11-23"

    from_worker(agent.bridge.on_connection, ConnectionState.OFFLINE)
    qtbot.waitUntil(lambda: "offline" in w.call_bar.server.text())
    from_worker(
        agent.bridge.on_audio_status, AudioStatusEvent(AudioStatusKind.LEVEL, Channel.CUSTOMER, value=0.25)
    )
    from_worker(
        agent.bridge.on_audio_status,
        AudioStatusEvent(AudioStatusKind.DEVICE_LOST, Channel.AGENT, message="USB headset"),
    )
    qtbot.waitUntil(lambda: w.call_bar.customer_level.value() == 50)
    qtbot.waitUntil(lambda: "USB headset" in w.statusBar().currentMessage())

    from_worker(
        agent.bridge.on_call_finished,
        "call-1",
        WrapUpDraft("Issue: refund", ("billing",), "follow_up", "Call back", "2026-11-24"),
    )
    qtbot.waitUntil(lambda: w.left_tabs.currentWidget() is w.wrap_up)
    draft = w.wrap_up.draft()
    assert draft == WrapUpDraft("Issue: refund", ("billing",), "follow_up", "Call back", "2026-11-24")


def test_what_the_customer_said_decides_how_the_banner_shows_the_cue(agent: Any, qtbot: Any) -> None:
    """The core's cue kinds (feelings, promises) reach the banner as its presentation: every feeling as an
    empathy phrase to say, a promise as a follow-up the agent can take into the wrap-up."""
    from assist.cues import emotion_cues, promise_cue
    from assist.domain import CueKind
    from desktop.agent.desk import core_views

    assert {core_views.cue_style(kind) for kind in CueKind} == {CueStyle.EMPATHY, CueStyle.FOLLOW_UP}
    w = agent.window
    angry = emotion_cues("s1", "this is unacceptable, I want to speak to a manager", "en")
    assert [c.kind for c in angry] == [CueKind.ANGER]
    from_worker(agent.bridge.on_cue, core_views.cue_view(angry[0]))
    qtbot.waitUntil(lambda: w.cue_banner.isVisible())
    assert "sounds upset" in w.cue_banner.label.text() and not w.cue_banner.accept_button.isVisible()

    promise = promise_cue(
        "s2",
        "I'll call you back tomorrow about the refund",
        datetime(2026, 11, 23, 10, tzinfo=UTC),
        None,
        "call-1",
    )
    assert promise is not None and promise.kind is CueKind.PROMISE
    from_worker(agent.bridge.on_cue, core_views.cue_view(promise))
    qtbot.waitUntil(lambda: "promise" in w.cue_banner.label.text())
    assert "Tue 24 Nov 2026" in w.cue_banner.label.text() and w.cue_banner.accept_button.isVisible()


def test_problems_are_worded_for_the_agent_and_name_the_device(agent: Any, qtbot: Any) -> None:
    from_worker(agent.bridge.on_problem, Problem.NO_AUDIO_DEVICE, "no input devices")
    qtbot.waitUntil(lambda: "no input devices" in agent.window.statusBar().currentMessage())
    assert "replay a recording" in agent.window.statusBar().currentMessage()


def test_a_call_erased_by_the_team_is_explained_calmly_in_the_wrap_up_form(agent: Any, qtbot: Any) -> None:
    w = agent.window
    w.act_ja.trigger()
    qtbot.waitUntil(lambda: w.call_bar.call_button.text() == "通話開始")
    try:
        from_worker(agent.bridge.on_call_finished, "call-1", WrapUpDraft())
        from_worker(agent.bridge.on_problem, Problem.ERASED_DURING_CALL, "call-1")
        told = "通話中にこのお客様の情報が消去されたため、この通話の記録は残していません。"
        qtbot.waitUntil(lambda: w.wrap_up.status.text() == told)
        assert not w.wrap_up.save_button.isEnabled()  # nothing to save: the call was not kept
        assert w.statusBar().currentMessage() == told
    finally:
        w.act_en.trigger()
        qtbot.waitUntil(lambda: w.call_bar.call_button.text() == "Start call")


def test_switching_to_japanese_retranslates_the_open_window(agent: Any, qtbot: Any) -> None:
    w = agent.window
    assert w.call_bar.call_button.text() == "Start call"
    w.act_ja.trigger()
    qtbot.waitUntil(lambda: w.call_bar.call_button.text() == "通話開始")
    assert w.left_tabs.tabText(2) == "後処理"
    assert app_settings().value("prefs/ui_language") == "ja"
    w.act_en.trigger()
    qtbot.waitUntil(lambda: w.call_bar.call_button.text() == "Start call")


def test_layout_and_preferences_are_remembered(agent: Any, qtbot: Any) -> None:
    w = agent.window
    w.resize(760, 540)
    w.splitter.setSizes([200, 500, 400])
    sizes = w.splitter.sizes()
    w.close()
    agent.prefs.theme = "dark"
    agent.prefs.save(app_settings())
    again = AgentApp(ensure_app(), desk=CallDesk(QuietListener(), DeskConfig()))
    qtbot.addWidget(again.window)
    try:
        assert again.prefs.theme == "dark"
        again.window.show()
        qtbot.waitExposed(again.window)
        assert again.window.size().height() == 540
        assert again.window.splitter.sizes() == sizes
    finally:
        again.shutdown()


def test_every_main_action_has_a_shortcut_and_controls_have_accessible_names(agent: Any) -> None:
    w = agent.window
    for action in (
        w.act_call,
        w.act_read_whisper,
        w.act_note,
        w.act_live,
        w.act_save,
        w.act_replay,
        w.act_settings,
    ):
        assert not action.shortcut().isEmpty(), action.text()
    for widget in (
        w.call_bar.call_button,
        w.call_bar.phone,
        w.transcript.list,
        w.whispers.list,
        w.suggestions,
        w.context_panel.view,
        w.notes.input,
    ):
        assert widget.accessibleName(), widget.objectName()


def test_quick_notes_are_stamped_with_the_call_time(agent: Any, qtbot: Any) -> None:
    w = agent.window
    w.call_started()
    w.act_note.trigger()
    qtbot.keyClicks(w.notes.input, "wants SMS updates")
    qtbot.keyClick(w.notes.input, Qt.Key.Key_Return)
    assert [n.text for n in w.notes.notes] == ["wants SMS updates"]
    assert w.notes.list.item(0).text().startswith("00:0")


def test_without_a_display_the_app_explains_how_to_run(tmp_path: Any) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AGENT_ASSIST_HOME": str(tmp_path / "home")}
    code = "import sys; from desktop.cli import main; sys.exit(main([]))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--headless" in result.stderr and "xvfb-run" in result.stderr and "offscreen" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_recording_that_cannot_be_read_is_named_and_the_screen_recovers(
    agent: Any, qtbot: Any, tmp_path: Any
) -> None:
    broken = tmp_path / "call.wav"
    broken.write_bytes(b"this is not audio")
    agent.desk.start(preload_model=False)
    agent.start_call("090-1234-5678", replay=broken)
    qtbot.waitUntil(lambda: "call.wav" in agent.window.statusBar().currentMessage(), timeout=15000)
    assert "Cannot use the audio input" in agent.window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not agent.desk.in_call and not agent.window.call_bar.in_call, timeout=15000)
    assert agent.window.call_bar.call_button.text() == "Start call"


def test_settings_keep_every_choice_and_apply_it(agent: Any, qtbot: Any) -> None:
    from desktop.agent.settings_dialog import SettingsDialog

    prefs = Preferences(
        ui_language="en",
        theme="light",
        agent_device="USB Headset (not plugged in)",
        call_language="en",
        model="tiny.en",
        server_url="ws://127.0.0.1:9/",
        server_token="t0k",
        agent_name="alex",
        font_size=12,
        softphone_port=0,
    )
    dialog = SettingsDialog(prefs, agent.window)
    qtbot.addWidget(dialog)
    # A remembered device that is unplugged right now stays chosen (by name), it is not silently replaced.
    assert dialog.chosen() == prefs
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.ui_language.setCurrentIndex(dialog.ui_language.findData("ja"))
    dialog.server_url.setText("")
    chosen = dialog.chosen()
    agent.apply_preferences(chosen)
    assert Preferences.load() == chosen
    qtbot.waitUntil(lambda: agent.window.call_bar.call_button.text() == "通話開始")
    assert agent.app.palette().color(agent.app.palette().ColorRole.Window).lightness() < 100
    qtbot.waitUntil(lambda: agent.window.call_bar.server.property("state") == "local_only")
    assert agent.desk.config.language == "en" and agent.desk.config.model == "tiny.en"


def test_matched_words_are_highlighted_whole_in_japanese_and_english() -> None:
    from desktop.common.suggestion_cards import highlight

    mark = "<b style='background-color: rgba(255, 200, 0, 90)'>"
    ja = highlight("夜になるとインターネットが切れる", ("イン", "ンタ", "ター", "ーネ", "ネッ", "ット", "切"))
    assert ja == f"夜になると{mark}インターネット</b>が{mark}切</b>れる"
    en = highlight("Charged twice <seven> evenings", ("charg", "even"))
    assert en == f"{mark}Charged</b> twice &lt;seven&gt; {mark}evenings</b>"


def test_a_dead_team_server_is_shown_and_the_app_works_locally(qtbot: Any, tmp_path: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    config = DeskConfig(language="en", server_url=f"ws://127.0.0.1:{port}/", server_token="x")
    desk = CallDesk(
        QuietListener(),
        config,
        store_file=tmp_path / "store.sqlite3",
        sync_state_file=tmp_path / "sync.sqlite3",
    )
    agent = AgentApp(ensure_app(), prefs=Preferences(ui_language="en", softphone_port=0), desk=desk)
    qtbot.addWidget(agent.window)
    try:
        desk.start(preload_model=False)
        qtbot.waitUntil(lambda: agent.window.call_bar.server.property("state") == "offline", timeout=15000)
        assert "saving locally" in agent.window.call_bar.server.text()
        assert agent.window.call_bar.call_button.isEnabled()
    finally:
        agent.shutdown()


def test_text_size_steps_are_applied_and_remembered_and_saving_without_a_call_says_so(
    agent: Any, qtbot: Any
) -> None:
    w = agent.window
    before = agent.app.font().pointSize()
    w.act_bigger.trigger()
    w.act_bigger.trigger()
    assert agent.app.font().pointSize() == before + 2
    assert Preferences.load().font_size == before + 2
    w.act_font_reset.trigger()
    assert Preferences.load().font_size == 0

    w.act_save.trigger()  # Ctrl+S before any call
    assert "no call" in w.wrap_up.status.text()
    assert w.wrap_up.save_button.isEnabled()


def test_a_whisper_anchored_to_a_line_quotes_it(agent: Any, qtbot: Any) -> None:
    agent.window.show_transcript(event("s9", Channel.CUSTOMER, EventKind.FINAL, "I want to cancel."))
    from_worker(
        agent.bridge.on_whisper, WhisperView("w2", "miki", "Offer the Lite plan", anchor_segment="s9")
    )
    qtbot.waitUntil(lambda: agent.window.whispers.list.count() == 1)
    assert "I want to cancel." in agent.window.whispers.list.item(0).text()
