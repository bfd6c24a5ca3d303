"""A knowledge entry a supervisor adds, edits or deletes on the team server reaches the agent's running app
and its live matcher, without a restart: real team server on 127.0.0.1, the supervisor's own sync client,
the agent's call desk on a real store, the shipped English demo call replayed through faster-whisper
(tiny.en). The proof is what the agent is shown: the cards of the next call."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from desktop.agent.demo import DEMO_CALL
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.common.views import SuggestionView, WrapUpDraft
from sync.client import ConnectionState, SyncClient
from tests.sync.conftest import RunningServer
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

DOUBLE_CHARGE = {
    "id": "kb-double-charge",
    "title": "Refund for a double charge",
    "body": "Confirm both charges in billing history, apologise, and file a refund request.",
    "tags": ["billing"],
    "language": "en",
    "aliases": ["charged twice", "double charge", "billed twice"],
}
EVENING_DROPS = {
    "id": "kb-evening-drops",
    "title": "Internet drops in the evening",
    "body": "Evening drops are usually Wi-Fi congestion. Restart the router and move to the 5 GHz network.",
    "tags": ["internet"],
    "language": "en",
    "aliases": ["internet keeps dropping", "connection keeps dropping", "wifi drops"],
}
EDITED_TITLE = "Duplicate charge: refund and courtesy credit"


class _Screen:
    """The call desk's listener: keeps every card set shown and the calls that finished."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cards: list[SuggestionView] = []
        self.finished: list[str] = []

    def on_suggestions(self, cards: list[SuggestionView]) -> None:
        with self.lock:
            self.cards.extend(cards)

    def on_call_finished(self, call_id: str, draft: WrapUpDraft) -> None:
        with self.lock:
            self.finished.append(call_id)

    def titles(self) -> set[str]:
        with self.lock:
            return {c.title for c in self.cards if c.kind == "knowledge"}

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _call(desk: CallDesk, screen: _Screen) -> set[str]:
    """Replay the demo call on the desk; the knowledge card titles it showed."""
    with screen.lock:
        screen.cards.clear()
    call_id = desk.start_call(replay=DEMO_CALL)
    wait_until(lambda: call_id in screen.finished, 180, "the replayed call's end")
    return screen.titles()


def test_team_knowledge_edits_reach_the_running_agents_cards(
    team_server: RunningServer, tmp_path: Path
) -> None:
    team_server.add_user("alex", "agent", "support")
    team_server.add_user("mori", "supervisor", "support")
    screen = _Screen()
    desk = CallDesk(
        screen,
        DeskConfig(
            language="en",
            server_url=team_server.url,
            server_token=team_server.tokens["alex"],
            replay_realtime=False,
        ),
        store_file=tmp_path / "alex-pc" / "agent-assist.sqlite3",
        sync_state_file=tmp_path / "alex-pc" / "sync-client.sqlite3",
        recordings=tmp_path / "alex-pc" / "recordings",
    )
    supervisor = SyncClient(
        team_server.url, team_server.tokens["mori"], tmp_path / "mori-pc" / "sync-client.sqlite3"
    )

    def local_title(entry_id: str) -> str | None:
        def read(store: Any) -> str | None:
            entry = store.get_knowledge(entry_id)
            return None if entry is None else str(entry.title)

        return desk.run_on_worker(read).result(30)

    try:
        desk.start(preload_model=False)
        supervisor.start()
        wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 30, "the agent's app online")
        # The agent's app is running, its knowledge base empty, when the supervisor adds two entries.
        supervisor.push_change("knowledge", DOUBLE_CHARGE)
        supervisor.push_change("knowledge", EVENING_DROPS)
        wait_until(lambda: local_title("kb-evening-drops") is not None, 30, "the new entries on the PC")

        first = _call(desk, screen)
        assert {"Refund for a double charge", "Internet drops in the evening"} <= first

        # Between calls the supervisor renames one entry (sending no aliases: the PC keeps them) and deletes
        # the other; the app is not restarted.
        edited = {k: v for k, v in DOUBLE_CHARGE.items() if k != "aliases"} | {"title": EDITED_TITLE}
        supervisor.push_change("knowledge", edited)
        supervisor.push_change("knowledge", {"id": "kb-evening-drops", "deleted": True})
        wait_until(lambda: local_title("kb-evening-drops") is None, 30, "the deleted entry gone from the PC")
        assert local_title("kb-double-charge") == EDITED_TITLE

        second = _call(desk, screen)
        assert EDITED_TITLE in second
        assert "Refund for a double charge" not in second
        assert "Internet drops in the evening" not in second
    finally:
        supervisor.stop(timeout=5)
        desk.shutdown()


def test_a_knowledge_change_held_during_a_call_survives_a_crash_before_the_call_ends(
    team_server: RunningServer, tmp_path: Path
) -> None:
    # A change that arrives during a call waits for the call's end, but the sync client has already counted
    # it as received: it must be on disk, so an app killed mid-call applies it at its next start.
    team_server.add_user("alex", "agent", "support")
    team_server.add_user("mori", "supervisor", "support")
    pc = tmp_path / "alex-pc"
    sf.write(tmp_path / "silence.wav", np.zeros((16_000 * 90, 2), dtype=np.int16), 16_000, subtype="PCM_16")
    desk = CallDesk(
        _Screen(),
        DeskConfig(language="en", server_url=team_server.url, server_token=team_server.tokens["alex"]),
        store_file=pc / "agent-assist.sqlite3",
        sync_state_file=pc / "sync-client.sqlite3",
        recordings=pc / "recordings",
    )
    supervisor = SyncClient(
        team_server.url, team_server.tokens["mori"], tmp_path / "mori-pc" / "sync-client.sqlite3"
    )
    crashed = tmp_path / "crash-image"
    try:
        desk.start(preload_model=False)
        supervisor.start()
        wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 30, "the agent's app online")
        desk.start_call(replay=tmp_path / "silence.wav")  # 90 s of a call in real time: still going
        wait_until(lambda: desk.in_call, 30, "the call under way")
        supervisor.push_change("knowledge", DOUBLE_CHARGE)
        wait_until(
            lambda: bool(desk.run_on_worker(lambda store: store.held_team_changes()).result(30)),
            30,
            "the change held for the call's end",
        )
        assert desk.run_on_worker(lambda store: store.get_knowledge(DOUBLE_CHARGE["id"])).result(30) is None
        # The files as they are on disk at this moment: what a killed app leaves behind.
        crashed.mkdir()
        for file in pc.glob("agent-assist.sqlite3*"):
            shutil.copy(file, crashed / file.name)
    finally:
        supervisor.stop(timeout=5)
        desk.shutdown()

    restarted = CallDesk(
        _Screen(), DeskConfig(language="en"), store_file=crashed / "agent-assist.sqlite3",
        sync_state_file=crashed / "sync-client.sqlite3", recordings=crashed / "recordings",
    )  # fmt: skip
    try:
        restarted.start(preload_model=False)
        entry = restarted.run_on_worker(lambda store: store.get_knowledge(DOUBLE_CHARGE["id"])).result(30)
        assert entry is not None and entry.title == DOUBLE_CHARGE["title"]
        assert restarted.run_on_worker(lambda store: store.held_team_changes()).result(30) == []
    finally:
        restarted.shutdown()
