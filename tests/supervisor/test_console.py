"""The supervisor console against a real team server on loopback, with a scripted agent streaming a call."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from audio.events import Channel, EventKind, TranscriptEvent
from desktop.supervisor.board import Attention
from desktop.supervisor.console import SupervisorConsole
from desktop.supervisor.templates import WhisperTemplates
from sync.client import ConnectionState, SyncClient
from sync.protocol import SharedCustomer, Whisper
from tests.supervisor.conftest import TeamServerForTests

WAIT_MS = 30_000  # a budget, not a wait: generous for a loaded machine


class ScriptedAgent:
    """An agent's app reduced to what the server sees: a call, transcript lines, whispers marked read."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._whispers: list[Whisper] = []
        client.on_whisper = self._on_whisper
        client.start()

    def _on_whisper(self, whisper: Whisper) -> None:
        with self._lock:
            self._whispers.append(whisper)

    @property
    def whispers(self) -> list[Whisper]:
        with self._lock:
            return list(self._whispers)

    def say(
        self, call_id: str, n: int, channel: Channel, kind: EventKind, text: str, revised: bool = False
    ) -> None:
        event = TranscriptEvent(
            call_id,
            channel,
            kind,
            n * 3.0,
            n * 3.0 + 2.5,
            text,
            0.9,
            f"seg-{n}",
            language="ja",
            revised=revised,
        )
        self.client.publish_transcript(event)


def _open_console(qtbot: QtBot, client: SyncClient) -> SupervisorConsole:
    console = SupervisorConsole(client, templates=WhisperTemplates.load())
    qtbot.addWidget(console)
    console.show()
    qtbot.waitUntil(lambda: client.state is ConnectionState.CONNECTED, timeout=WAIT_MS)
    return console


def _connected_agent(qtbot: QtBot, server: TeamServerForTests, name: str) -> ScriptedAgent:
    agent = ScriptedAgent(server.client(name))
    qtbot.waitUntil(lambda: agent.client.state is ConnectionState.CONNECTED, timeout=WAIT_MS)
    return agent


def _tokyo_team(qtbot: QtBot, server: TeamServerForTests) -> tuple[SupervisorConsole, ScriptedAgent]:
    """Supervisor suzuki's console open, agent sato connected, both of team tokyo."""
    server.add_user("sato", "agent", "tokyo")
    server.add_user("suzuki", "supervisor", "tokyo")
    console = _open_console(qtbot, server.client("suzuki"))
    return console, _connected_agent(qtbot, server, "sato")


def test_live_call_is_followed_late_and_a_whisper_is_read(
    qtbot: QtBot, team_server: TeamServerForTests
) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    team_server.add_user("boss", "admin", "tokyo")
    console = _open_console(qtbot, team_server.client("suzuki"))
    agent = _connected_agent(qtbot, team_server, "sato")

    agent.client.call_started("call-1", SharedCustomer(id="cust-9", name="山田 花子", tags=("VIP",)))
    agent.say("call-1", 1, Channel.CUSTOMER, EventKind.FINAL, "何度も電話しているのにまだ直っていません")
    agent.say("call-1", 2, Channel.AGENT, EventKind.FINAL, "大変申し訳ございません、確認いたします")
    agent.say("call-1", 3, Channel.CUSTOMER, EventKind.PARTIAL, "先月の")

    # The board: agent, customer, the last line said, and the customer's frustration with the words that show
    # it.
    qtbot.waitUntil(
        lambda: "確認いたします" in console.board_view.row_texts("call-1").get("last_line", ""),
        timeout=WAIT_MS,
    )
    row = console.board_view.row_texts("call-1")
    assert row["agent"] == "sato" and row["customer"] == "山田 花子"
    assert row["last_line"] == "Agent: 大変申し訳ございません、確認いたします"
    assert "何度も" in row["frustration"] and row["last_whisper"] == "none yet" and row["attention"] == ""
    assert console.agents_view.names() == ["sato"]

    # Following late (Enter on the selected row) shows everything said so far, the partial marked provisional.
    console.board_view.selectRow(0)
    qtbot.keyClick(console.board_view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(console.transcript.lines()) == 3, timeout=WAIT_MS)
    lines = console.transcript.lines()
    assert [(line.channel, line.text, line.final) for line in lines] == [
        ("customer", "何度も電話しているのにまだ直っていません", True),
        ("agent", "大変申し訳ございません、確認いたします", True),
        ("customer", "先月の", False),
    ]
    assert "still being heard" in console.transcript.item(2).text()
    assert "sato" in console.follow_title.text() and "山田 花子" in console.follow_title.text()
    assert "山田 花子" in console.context.text()

    # Live: the final replaces its partial in place.
    agent.say("call-1", 3, Channel.CUSTOMER, EventKind.FINAL, "先月の請求が二重になっています")
    qtbot.waitUntil(lambda: console.transcript.lines()[-1].final, timeout=WAIT_MS)
    assert len(console.transcript.lines()) == 3
    assert console.transcript.lines()[-1].text == "先月の請求が二重になっています"

    # Whisper: anchor to the selected line, pick a template, Enter sends.
    assert console.transcript.select_segment("seg-3")
    assert console.composer.anchor() == "seg-3"
    templates = console.composer.template_list
    item = next(
        templates.item(i)
        for i in range(templates.count())
        if "まずお詫びと要約を" in templates.item(i).text()
    )
    qtbot.mouseClick(
        templates.viewport(), Qt.MouseButton.LeftButton, pos=templates.visualItemRect(item).center()
    )
    assert console.composer.text.text() == "まずお詫びと要約を"
    qtbot.keyClick(console.composer.text, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: len(agent.whispers) == 1, timeout=WAIT_MS)
    whisper = agent.whispers[0]
    assert whisper.text == "まずお詫びと要約を" and whisper.anchor_segment_id == "seg-3"
    assert whisper.sender == "suzuki" and whisper.call_id == "call-1"
    whisper_id = whisper.whisper_id
    qtbot.waitUntil(lambda: console.history.status_of(whisper_id) == "delivered", timeout=WAIT_MS)
    assert "delivered" in console.history.texts()[0]
    qtbot.waitUntil(
        lambda: console.board_view.row_texts("call-1")["last_whisper"].endswith("ago"), timeout=WAIT_MS
    )

    agent.client.mark_whisper_read(whisper_id)
    qtbot.waitUntil(lambda: console.history.status_of(whisper_id) == "read", timeout=WAIT_MS)
    assert "read" in console.history.texts()[0]

    # A knowledge entry shared with the team goes to the agent as a whisper with the entry attached.
    console.client.push_change(
        "knowledge", {"id": "kb-lite", "title": "ライトプラン", "body": "月額980円のプラン"}
    )
    qtbot.waitUntil(lambda: console.composer.knowledge.count() == 1, timeout=WAIT_MS)
    qtbot.mouseClick(console.composer.knowledge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(agent.whispers) == 2, timeout=WAIT_MS)
    attachment = agent.whispers[1].attachment
    assert (
        attachment is not None and attachment.entry_id == "kb-lite" and attachment.body == "月額980円のプラン"
    )
    assert "ライトプラン" in agent.whispers[1].text

    # The supervisor is not an admin: no audit trail. The admin sees who monitored and who whispered.
    assert console.audit.table.isHidden() and "Only admins" in console.audit.note.text()
    admin = _open_console(qtbot, team_server.client("boss"))
    qtbot.waitUntil(
        lambda: (
            {
                ("suzuki", "monitor_start", "call-1"),
                ("suzuki", "whisper_sent", "sato"),
                ("sato", "whisper_read", whisper_id),
            }
            <= set(admin.audit.entries())
        ),
        timeout=WAIT_MS,
    )
    assert not admin.audit.table.isHidden() and admin.audit.refresh_button.isEnabled()

    # The call ends: it leaves the board.
    agent.client.call_ended("call-1")
    qtbot.waitUntil(lambda: console.board_view.rowCount() == 0, timeout=WAIT_MS)
    assert "call ended" in console.follow_title.text()
    console.shutdown()
    admin.shutdown()


def test_a_followed_turn_is_rewritten_by_the_second_pass_and_the_board_keeps_its_last_line(
    qtbot: QtBot, team_server: TeamServerForTests
) -> None:
    console, agent = _tokyo_team(qtbot, team_server)
    agent.client.call_started("call-2", SharedCustomer(id="cust-3", name="佐藤 一"))
    agent.say("call-2", 1, Channel.CUSTOMER, EventKind.FINAL, "請求書が")
    agent.say("call-2", 2, Channel.CUSTOMER, EventKind.FINAL, "二重に届いています")
    qtbot.waitUntil(
        lambda: "二重" in console.board_view.row_texts("call-2").get("last_line", ""), timeout=WAIT_MS
    )
    console.follow_call("call-2")
    qtbot.waitUntil(lambda: len(console.transcript.lines()) == 2, timeout=WAIT_MS)

    agent.say("call-2", 1, Channel.CUSTOMER, EventKind.FINAL, "請求書が二重に届いています", revised=True)
    agent.say("call-2", 2, Channel.CUSTOMER, EventKind.FINAL, "", revised=True)
    qtbot.waitUntil(lambda: len(console.transcript.lines()) == 1, timeout=WAIT_MS)
    assert [(x.segment_id, x.text) for x in console.transcript.lines()] == [
        ("seg-1", "請求書が二重に届いています")
    ]
    assert console.board_view.row_texts("call-2")["last_line"] == "Customer: 二重に届いています"

    # a supervisor who follows later reads the revised turn too
    late = _open_console(qtbot, team_server.client("suzuki"))
    late.follow_call("call-2")
    qtbot.waitUntil(lambda: len(late.transcript.lines()) == 1, timeout=WAIT_MS)
    assert late.transcript.lines()[0].text == "請求書が二重に届いています"
    console.shutdown()
    late.shutdown()


def test_supervisor_of_another_team_sees_nothing_of_the_call(
    qtbot: QtBot, team_server: TeamServerForTests
) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    team_server.add_user("kimura", "supervisor", "osaka")
    team_server.add_user("ito", "agent", "osaka")
    own = _open_console(qtbot, team_server.client("suzuki"))
    other = _open_console(qtbot, team_server.client("kimura"))
    seen_by_other: list[dict[str, Any]] = []
    other.bridge.call_event.connect(seen_by_other.append)
    agent = _connected_agent(qtbot, team_server, "sato")
    osaka_agent = _connected_agent(qtbot, team_server, "ito")

    agent.client.call_started("call-7", SharedCustomer(id="cust-1", name="田中 一郎"))
    agent.say("call-7", 1, Channel.CUSTOMER, EventKind.FINAL, "解約したいのですが")
    qtbot.waitUntil(
        lambda: "解約したいのですが" in own.board_view.row_texts("call-7").get("last_line", ""),
        timeout=WAIT_MS,
    )

    # A full round trip for the other team's console after the call is live: its board is re-read and empty.
    with qtbot.waitSignal(other.board_refreshed, timeout=WAIT_MS):
        other.refresh_board()
    assert other.board_view.rowCount() == 0
    assert other.agents_view.names() == ["ito"]  # its own agent, not sato
    assert seen_by_other == []

    # Even asking for the call by id gets nothing: the server answers as if it did not exist.
    with qtbot.waitSignal(other.message, timeout=WAIT_MS) as blocker:
        other.follow_call("call-7")
    assert "Could not follow the call" in blocker.args[0] and "no call" in blocker.args[0]
    assert other.following is None and other.transcript.count() == 0
    assert seen_by_other == []
    del osaka_agent
    own.shutdown()
    other.shutdown()


def test_board_raises_strong_frustration_with_words_not_only_colour(
    qtbot: QtBot, team_server: TeamServerForTests
) -> None:
    console, agent = _tokyo_team(qtbot, team_server)
    agent.client.call_started("call-2", SharedCustomer(name="Jane Doe"))
    agent.say(
        "call-2", 1, Channel.CUSTOMER, EventKind.FINAL, "This is unacceptable, I want to speak to a manager"
    )
    qtbot.waitUntil(
        lambda: Attention.STRONG_FRUSTRATION in console.board_view.row_attention("call-2"), timeout=WAIT_MS
    )
    texts = console.board_view.row_texts("call-2")
    assert texts["attention"].startswith("⚠") and "Strong frustration" in texts["attention"]
    assert texts["frustration"].startswith("strong")
    console.shutdown()
