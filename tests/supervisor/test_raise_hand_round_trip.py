"""Raise hand over the real team server on loopback: the agent's real app raises a hand (F9, a reason, Enter),
the supervisor's real console puts that call first on the board with a worded mark, follows it, answers "I'm
coming" and with a whisper, the agent's screen says so, and the hand ends with the call. Audited on the
server. Also what the console shows while doing it: a menu with every shortcut, header tooltips, the agent's
cards without the agent's own buttons, a hint in an empty knowledge list, and the follow title keeping the
customer's name once the call has ended."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from audio.events import Channel, EventKind, TranscriptEvent
from desktop.agent.agent_app import AgentApp
from desktop.supervisor.board import Attention
from desktop.supervisor.board_view import BoardTable
from sync.protocol import CallInfo, SharedCustomer, convert
from sync.store import TeamStore
from tests.supervisor.conftest import TeamServerForTests
from tests.supervisor.test_agent_app_team import agent_app, customer_says, silent_call  # noqa: F401
from tests.supervisor.test_console import WAIT_MS, _connected_agent, _open_console


def test_raise_hand_round_trip_agent_board_coming_whisper_agent(
    qtbot: QtBot,
    tmp_path: Path,
    team_server: TeamServerForTests,
    agent_app: AgentApp,  # noqa: F811  (a fixture)
) -> None:
    team_server.add_user("miki", "supervisor", "demo")
    team_server.add_user("ken", "agent", "demo")
    console = _open_console(qtbot, team_server.client("miki"))
    other = _connected_agent(qtbot, team_server, "ken")
    window = agent_app.window
    try:
        # Another call started first, with an upset customer: without a hand it would head the board.
        other.client.call_started("call-ken", convert({"id": "c-2", "name": "Taro Yamada"}, SharedCustomer))
        angry = "This is unacceptable, I want to speak to a manager"
        other.client.publish_transcript(
            TranscriptEvent(
                "call-ken", Channel.CUSTOMER, EventKind.FINAL, 1.0, 3.0, angry, 0.9, "k1", language="en"
            )
        )
        qtbot.waitUntil(lambda: console.board_view.call_ids() == ["call-ken"], timeout=WAIT_MS)
        qtbot.waitUntil(
            lambda: Attention.STRONG_FRUSTRATION in console.board_view.row_attention("call-ken"),
            timeout=WAIT_MS,
        )
        frustration = console.board_view.row_texts("call-ken")["frustration"]
        assert "“" in frustration and "「" not in frustration  # English words in English quotes

        call_id = agent_app.start_call("", replay=silent_call(tmp_path / "silence.wav"))
        assert call_id
        qtbot.waitUntil(lambda: console.board_view.rowCount() == 2, timeout=WAIT_MS)
        assert console.board_view.call_ids()[0] == "call-ken"
        qtbot.waitUntil(lambda: window.hand.button.isEnabled(), timeout=WAIT_MS)

        # One key raises the hand; a reason may follow on the same line.
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
        qtbot.keyClick(window, Qt.Key.Key_F9)
        assert "Hand raised" in window.hand.status.text() and window.hand.reason.hasFocus()
        qtbot.waitUntil(lambda: console.board_view.call_ids()[0] == call_id, timeout=WAIT_MS)
        qtbot.keyClicks(window.hand.reason, "Customer wants to cancel, card 4111 1111 1111 1111")
        qtbot.keyClick(window.hand.reason, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda: "wants to cancel" in console.board_view.row_texts(call_id).get("attention", ""),
            timeout=WAIT_MS,
        )
        row = console.board_view.row_texts(call_id)
        assert row["attention"].startswith("⚑ Hand raised")  # in words, not by colour alone
        assert "4111" not in row["attention"]  # masked like the transcript before it left the PC
        assert console.board_view.row_attention(call_id)[0] is Attention.HAND_RAISED
        assert "raised a hand" in console.statusBar().currentMessage()

        # The supervisor follows it and answers "I'm coming" (Ctrl+K), then with a whisper.
        with qtbot.waitSignal(console.followed, timeout=WAIT_MS):
            console.follow_call(call_id)
        assert "Hand raised" in console.follow_title.text()
        console.activateWindow()
        qtbot.waitUntil(console.isActiveWindow, timeout=WAIT_MS)
        qtbot.keyClick(console, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: "miki is coming" in window.hand.status.text(), timeout=WAIT_MS)
        assert window.whispers.unread()[0].kind == "coming"
        qtbot.waitUntil(
            lambda: "(answered)" in console.board_view.row_texts(call_id).get("attention", ""),
            timeout=WAIT_MS,
        )
        console.send_whisper("Offer the 3-month discount")
        qtbot.waitUntil(lambda: len(window.whispers.unread()) == 2, timeout=WAIT_MS)
        assert "miki is coming" in window.hand.status.text()  # a whisper after "coming" does not undo it

        # The customer's name stays in the follow title after the call, and the hand ends with it.
        customer_says(agent_app, call_id, "c1", "Fine, thank you.")
        window.call_bar.toggle_call()
        qtbot.waitUntil(lambda: console.board_view.call_ids() == ["call-ken"], timeout=WAIT_MS)
        qtbot.waitUntil(lambda: "call ended" in console.follow_title.text(), timeout=WAIT_MS)
        assert "Hand raised" not in console.follow_title.text()
        qtbot.waitUntil(lambda: not window.hand.button.isEnabled(), timeout=WAIT_MS)
        assert "Raise hand" in window.hand.button.text()

        store = TeamStore(team_server.data_dir)
        try:
            audit = [(e.actor, e.action, e.target) for e in store.audit_since("demo", 0, 500)]
        finally:
            store.close()
        assert ("alex", "hand_raised", call_id) in audit
    finally:
        console.shutdown()


def test_the_console_menu_tooltips_cards_and_follow_title(
    qtbot: QtBot, team_server: TeamServerForTests
) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    console = _open_console(qtbot, team_server.client("suzuki"))
    agent = _connected_agent(qtbot, team_server, "sato")
    try:
        # Every shortcut is in a menu, under its name.
        menu_actions = [a for menu in (console.menu_board, console.menu_call) for a in menu.actions()]
        shortcuts = {a.shortcut().toString(QKeySequence.SequenceFormat.PortableText) for a in menu_actions}
        assert {"F5", "Ctrl+F", "Ctrl+Shift+F", "Ctrl+L", "Ctrl+K"} <= shortcuts
        assert all(a.text() for a in menu_actions)
        assert [m.title() for m in console.menuBar().findChildren(type(console.menu_board))]

        # Each column says what it is when pointed at.
        header_tips = [
            console.board_view.horizontalHeaderItem(c).toolTip() for c in range(BoardTable.COLUMNS)
        ]
        assert all(header_tips) and len(set(header_tips)) == BoardTable.COLUMNS

        agent.client.call_started("call-1", convert({"id": "cust-9", "name": "Hanako Sato"}, SharedCustomer))
        agent.say("call-1", 1, Channel.CUSTOMER, EventKind.FINAL, "何度も電話しているのにまだ直っていません")
        agent.say("call-1", 2, Channel.CUSTOMER, EventKind.FINAL, "いい加減にしてください、責任者を出して")
        agent.client.publish_call_info(
            "call-1",
            convert(
                {
                    "cards": [
                        {"key": "k1", "kind": "knowledge", "title": "Refund a double charge", "body": "…"}
                    ]
                },
                CallInfo,
            ),
        )
        qtbot.waitUntil(lambda: console.board_view.rowCount() == 1, timeout=WAIT_MS)
        qtbot.waitUntil(
            lambda: Attention.STRONG_FRUSTRATION in console.board_view.row_attention("call-1"),
            timeout=WAIT_MS,
        )
        # The attention column fits its words or wraps them (no "⚠…"); every cell has its whole text as a
        # tooltip.
        board = console.board_view
        item = board.item(0, 0)
        assert item.toolTip() == item.text()
        width = board.fontMetrics().horizontalAdvance(item.text())
        assert board.columnWidth(0) >= min(width, BoardTable._MAX_WIDTH) and board.wordWrap()

        with qtbot.waitSignal(console.followed, timeout=WAIT_MS):
            console.follow_call("call-1")
        agent.client.publish_call_info(
            "call-1",
            convert(
                {
                    "cards": [
                        {"key": "k1", "kind": "knowledge", "title": "Refund a double charge", "body": "…"}
                    ]
                },
                CallInfo,
            ),
        )
        qtbot.waitUntil(lambda: len(console.cards.cards()) == 1, timeout=WAIT_MS)
        assert "seeing now" in console.cards_note.text()
        shown = console.cards.cards()[0]
        assert [b.text() for b in shown.buttons()] == ["Open"]  # no Copy / Helped / Not relevant

        # No knowledge shared yet: the list says so and the send button is off, not silently useless.
        assert console.composer.knowledge.count() == 0
        assert "no knowledge" in console.composer.knowledge.placeholderText()
        assert not console.composer.knowledge_button.isEnabled()
        assert console.composer.coming_button.isEnabled()

        agent.client.call_ended("call-1")
        qtbot.waitUntil(lambda: console.board_view.rowCount() == 0, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: "call ended" in console.follow_title.text(), timeout=WAIT_MS)
        assert "Hanako Sato" in console.follow_title.text() and "unknown" not in console.follow_title.text()
        assert "seeing now" in console.cards_note.text() and len(console.cards.cards()) == 1
    finally:
        console.shutdown()
