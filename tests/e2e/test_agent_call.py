"""An agent's call from start to wrap-up through every real part: the shipped demo call replayed through
FileSource -> VAD -> faster-whisper (tiny.en) -> CallSession on a real SQLite store -> the Qt call screen, with a
real team server on 127.0.0.1 (port 0) and a real supervisor client whispering and watching receipts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from assist.store import Store
from audio.events import Channel
from desktop.agent_app import AgentApp
from desktop.app import ensure_app
from desktop.call_desk import CallDesk, DeskConfig
from desktop.demo import AGENT, DEMO_CALL, DEMO_PHONE, SUPERVISOR, TEAM, seed_store
from desktop.preferences import Preferences
from sync.client import SyncClient
from sync.protocol import Role
from sync.server import ServerThread
from sync.store import TeamStore

pytestmark = pytest.mark.slow


@dataclass
class Supervisor:
    client: SyncClient
    statuses: list[tuple[str, str]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen_status(self, whisper_id: str, status: str) -> bool:
        with self.lock:
            return (whisper_id, status) in self.statuses

    def change_for(self, kind: str, record_id: str) -> dict[str, Any] | None:
        with self.lock:
            return next((c for c in self.changes if c["kind"] == kind and c["record_id"] == record_id), None)

    def note_saying(self, text: str) -> dict[str, Any] | None:
        with self.lock:
            return next(
                (c for c in self.changes if c["kind"] == "note" and text in c["record"]["text"]), None
            )


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[tuple[ServerThread, dict[str, str]]]:
    store = TeamStore(tmp_path / "server")
    try:
        tokens = {
            AGENT: store.add_user(AGENT, Role.AGENT, TEAM),
            SUPERVISOR: store.add_user(SUPERVISOR, Role.SUPERVISOR, TEAM),
        }
    finally:
        store.close()
    server = ServerThread(tmp_path / "server")
    server.start()
    yield server, tokens
    server.stop()


@pytest.fixture
def supervisor(team_server: tuple[ServerThread, dict[str, str]], tmp_path: Path) -> Iterator[Supervisor]:
    server, tokens = team_server
    client = SyncClient(server.url, tokens[SUPERVISOR], tmp_path / "supervisor.sqlite3")
    watcher = Supervisor(client)

    def status(body: dict[str, Any]) -> None:
        with watcher.lock:
            watcher.statuses.append((str(body["whisper_id"]), str(body["status"])))

    def change(body: dict[str, Any]) -> None:
        with watcher.lock:
            watcher.changes.append(body)

    client.on_whisper_status = status
    client.on_change = change
    client.start()
    yield watcher
    client.stop(timeout=5)


def wait(qtbot: Any, predicate: Callable[[], Any], timeout_s: float, what: str) -> None:
    try:
        qtbot.waitUntil(lambda: bool(predicate()), timeout=int(timeout_s * 1000))
    except AssertionError as exc:  # name what the user would have missed
        raise AssertionError(f"timed out after {timeout_s}s waiting for: {what}") from exc


def test_a_call_from_first_word_to_saved_wrap_up(
    qtbot: Any, tmp_path: Path, team_server: Any, supervisor: Supervisor
) -> None:
    server, tokens = team_server
    store_file = tmp_path / "agent.sqlite3"
    seed_store(store_file)
    config = DeskConfig(
        language="en",
        agent_name=AGENT,
        server_url=server.url,
        server_token=tokens[AGENT],
        replay_realtime=False,
    )
    app = ensure_app()
    prefs = Preferences(ui_language="en", softphone_port=0)
    desk = CallDesk(
        _Unset(),
        config,
        store_file=store_file,
        sync_state_file=tmp_path / "agent-sync.sqlite3",
        recordings=tmp_path / "recordings",
    )
    agent = AgentApp(app, prefs=prefs, desk=desk)
    window = agent.window
    qtbot.addWidget(window)
    agent.show()
    try:
        wait(
            qtbot, lambda: window.call_bar.server.property("state") == "online", 15, "the team server online"
        )
        assert "online" in window.call_bar.server.text()

        call_id = agent.start_call(DEMO_PHONE, replay=DEMO_CALL)
        assert call_id
        # Who is calling, before anyone speaks: the known customer with the team's pinned caution.
        wait(qtbot, lambda: "Hanako Sato" in window.context_panel.text(), 15, "the caller's context")
        assert "二重請求" in window.context_panel.text()
        assert "Hanako Sato" in window.call_bar.customer.text()

        # Both sides appear, each on its own side of the transcript.
        def line(channel: Channel, word: str) -> Any:
            return next(
                (
                    x
                    for x in window.transcript.lines()
                    if x.channel is channel and x.final and word in x.text.lower()
                ),
                None,
            )

        wait(qtbot, lambda: line(Channel.AGENT, "skyline"), 90, "the agent's greeting")
        agent_line = line(Channel.AGENT, "skyline")
        assert agent_line.right_side

        # The supervisor whispers during the call; it arrives at once, flagged unread.
        whisper_id = supervisor.client.send_whisper(AGENT, call_id, "Offer the courtesy credit")
        wait(qtbot, lambda: window.whispers.unread(), 15, "the whisper in the inbox")
        assert window.whispers.unread()[0].text == "Offer the courtesy credit"
        assert window.whispers.unread()[0].sender == SUPERVISOR
        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_F8)
        assert not window.whispers.unread()
        wait(
            qtbot,
            lambda: supervisor.seen_status(whisper_id, "read"),
            15,
            "the read receipt at the supervisor",
        )

        # A quick note during the call, stamped with the call time.
        window.act_note.trigger()
        qtbot.keyClicks(window.notes.input, "prefers SMS updates")
        qtbot.keyClick(window.notes.input, Qt.Key.Key_Return)
        assert [n.text for n in window.notes.notes] == ["prefers SMS updates"]

        wait(qtbot, lambda: line(Channel.CUSTOMER, "refund"), 90, "the customer's refund request")
        assert not line(Channel.CUSTOMER, "refund").right_side
        wait(
            qtbot,
            lambda: any("double charge" in c.suggestion.title.lower() for c in window.suggestions.cards()),
            30,
            "the double-charge knowledge card",
        )
        card = next(c for c in window.suggestions.cards() if "double charge" in c.suggestion.title.lower())
        assert "<b" in card.body.text()  # matched words are highlighted

        # The recording ends: the wrap-up is prefilled from the call and saves locally and to the server.
        wait(
            qtbot,
            lambda: window.left_tabs.currentWidget() is window.wrap_up,
            120,
            "the wrap-up after the call",
        )
        assert window.wrap_up.summary.toPlainText().strip()
        window.wrap_up.summary.setPlainText(window.wrap_up.summary.toPlainText() + "\nChecked by the test.")
        qtbot.mouseClick(window.wrap_up.save_button, Qt.MouseButton.LeftButton)
        wait(qtbot, lambda: "team server" in window.wrap_up.status.text(), 30, "the saved confirmation")
        assert "sent to the team server" in window.wrap_up.status.text()
        wait(
            qtbot,
            lambda: supervisor.change_for("call_summary", call_id),
            15,
            "the call summary on the server",
        )
        shared = supervisor.change_for("call_summary", call_id)
        assert "Checked by the test." in shared["record"]["summary"]
        # The quick note is now a note on the customer, on every teammate's screen next time she calls.
        wait(qtbot, lambda: supervisor.note_saying("prefers SMS updates"), 15, "the quick note on the server")
        assert supervisor.note_saying("prefers SMS updates")["record"]["customer_id"] == "demo-cust-sato"
    finally:
        agent.shutdown()

    local = Store.open(store_file)
    try:
        record = local.get_call(call_id)
        assert record is not None and "Checked by the test." in record.summary
        assert any("refund" in s.text.lower() for s in local.segments_for(call_id))
    finally:
        local.close()
    assert (tmp_path / "recordings").exists()


class _Unset:
    """The desk's listener before AgentApp puts its bridge in place."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def test_the_call_screen_opens_without_server_device_or_model(qtbot: Any) -> None:
    from desktop.app import create_main_window

    started = time.perf_counter()
    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.isVisible()
    assert "Local only" in window.call_bar.server.text()
    assert time.perf_counter() - started < 10
