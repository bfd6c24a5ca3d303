"""An agent's call from start to wrap-up through every real part: the shipped demo call replayed through
FileSource -> VAD -> faster-whisper (tiny.en) -> CallSession on a real SQLite store -> the Qt call screen,
with a real team server on 127.0.0.1 (port 0) and a real supervisor client whispering and watching
receipts."""

from __future__ import annotations

import csv
import json
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from assist.exports import read_customer_archive, read_vtt
from assist.paths import store_path
from assist.store import Store
from assist.timeline import TimelineKind, load_timeline
from audio.events import Channel
from desktop.agent.agent_app import AgentApp
from desktop.agent.demo import AGENT, DEMO_CALL, DEMO_PHONE, SUPERVISOR, TEAM, seed_store
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from sync.client import SyncClient
from sync.protocol import Change, Role, WhisperReceipt
from sync.server import ServerThread
from sync.store import TeamStore

pytestmark = pytest.mark.slow


@dataclass
class Supervisor:
    client: SyncClient
    statuses: list[tuple[str, str]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen_status(self, whisper_id: str, status: str) -> bool:
        with self.lock:
            return (whisper_id, status) in self.statuses

    def change_for(self, kind: str, record_id: str) -> Change | None:
        with self.lock:
            return next((c for c in self.changes if c.kind == kind and c.record_id == record_id), None)

    def note_saying(self, text: str) -> Change | None:
        with self.lock:
            return next(
                (c for c in self.changes if c.kind == "note" and text in str(c.record.get("text"))), None
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

    def status(receipt: WhisperReceipt) -> None:
        with watcher.lock:
            watcher.statuses.append((receipt.whisper_id, receipt.status.value))

    def change(change: Change) -> None:
        with watcher.lock:
            watcher.changes.append(change)

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
    store_file = store_path()  # where `agent-assist review` finds it (AGENT_ASSIST_HOME of this test)
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
            qtbot,
            lambda: window.call_bar.server.property("state") == "connected",
            15,
            "the team server online",
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
        whisper_id = supervisor.client.send_whisper(
            AGENT, call_id, "Offer the courtesy credit", anchor_segment_id=agent_line.segment_id
        )
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
        window.wrap_up.has_follow_up.setChecked(True)  # a promise to call back: the agent owns it
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
        assert shared is not None and "Checked by the test." in str(shared.record["summary"])
        # The quick note is now a note on the customer, on every teammate's screen next time she calls.
        wait(qtbot, lambda: supervisor.note_saying("prefers SMS updates"), 15, "the quick note on the server")
        note = supervisor.note_saying("prefers SMS updates")
        assert note is not None and note.record["customer_id"] == "demo-cust-sato"
    finally:
        agent.shutdown()

    local = Store.open(store_file)
    try:
        record = local.get_call(call_id)
        assert record is not None and "Checked by the test." in record.summary
        assert any("refund" in s.text.lower() for s in local.segments_for(call_id))
        # The call's record names who took it and who owns its promise, and keeps the supervisor's whisper:
        # text, author, when it was sent, arrived and was read, and the line it was about.
        assert record.agent == AGENT
        promised = [f for f in local.follow_ups_for("demo-cust-sato", status=None) if f.call_id == call_id]
        assert promised and {f.owner for f in promised} == {AGENT}
        (kept,) = local.whispers_for(call_id)
        assert (kept.id, kept.author, kept.text) == (whisper_id, SUPERVISOR, "Offer the courtesy credit")
        assert kept.segment_id == agent_line.segment_id
        assert kept.sent_at and kept.delivered_at and kept.read_at and kept.sent_at <= kept.read_at
        # History & review shows it on the call's timeline, at the line it was about, read.
        timeline = load_timeline(local, record)
        shown = next(i for i in timeline if i.kind is TimelineKind.WHISPER)
        greeting = next(
            i for i in timeline if i.kind is TimelineKind.LINE and i.segment_id == kept.segment_id
        )
        assert (shown.text, shown.author, shown.read_at) == (kept.text, SUPERVISOR, kept.read_at)
        assert shown.position == greeting.position
    finally:
        local.close()
    assert (tmp_path / "recordings").exists()
    assert_whisper_in_every_export(tmp_path, call_id, whisper_id)


def assert_whisper_in_every_export(tmp_path: Path, call_id: str, whisper_id: str) -> None:
    """What `agent-assist review` hands out carries the whisper: exports, call list, archive, insights."""
    from desktop.cli import main

    out = tmp_path / "exports"
    out.mkdir()
    for fmt in ("json", "txt", "vtt", "srt"):
        assert main(["review", "export", call_id, "--format", fmt, "-o", str(out / f"call.{fmt}")]) == 0
    data = json.loads((out / "call.json").read_text(encoding="utf-8"))
    assert [(w["id"], w["author"]) for w in data["whispers"]] == [(whisper_id, SUPERVISOR)]
    assert data["whispers"][0]["read_at"]
    text = (out / "call.txt").read_text(encoding="utf-8")
    assert f"» Whisper ({SUPERVISOR}, read " in text and "Offer the courtesy credit" in text
    vtt = (out / "call.vtt").read_text(encoding="utf-8")
    assert "Offer the courtesy credit" in vtt  # a NOTE: kept in the file, not shown as a subtitle
    assert all("courtesy credit" not in line.text for line in read_vtt(vtt))
    assert "courtesy credit" not in (out / "call.srt").read_text(encoding="utf-8")  # SRT has no comments

    assert main(["review", "calls-csv", str(out / "calls.csv")]) == 0
    with (out / "calls.csv").open(encoding="utf-8-sig", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["call_id"] == call_id)
    assert (row["agent"], row["whispers"]) == (AGENT, "1")

    assert main(["review", "customer-archive", "demo-cust-sato", str(out / "sato.zip")]) == 0
    archive = read_customer_archive(out / "sato.zip")
    (call,) = [c for c in archive["calls"] if c["id"] == call_id]
    assert [w["text"] for w in call["whispers"]] == ["Offer the courtesy credit"]
    with zipfile.ZipFile(out / "sato.zip") as zf:
        name = next(n for n in zf.namelist() if call_id in n and n.endswith("transcript.txt"))
        assert "Offer the courtesy credit" in zf.read(name).decode("utf-8")

    assert main(["review", "insights", "--by", "agent", "--csv", str(out / "insights.csv")]) == 0
    with (out / "insights.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    handle = [r["key"] for r in rows if r["section"] == "average_handle_seconds"]
    assert handle.count("") == 1 and AGENT in handle  # everyone once, then the agent by name
    read = {r["key"]: r["value"] for r in rows if r["section"] == "whispers_read_share"}
    assert read[AGENT] == "1.000"


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
