"""Whisper round trip and live call following, through SyncClient against a real server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from audio.events import Channel, EventKind, TranscriptEvent
from sync.client import ConnectionState, SyncClient
from sync.protocol import (
    AnyCallEvent,
    CallSnapshot,
    CallTranscript,
    CallWhispered,
    Change,
    SharedCustomer,
    TranscriptLine,
    Whisper,
    WhisperReceipt,
)
from sync.store import TeamStore
from tests.sync.conftest import RunningServer, wait_until

T = TypeVar("T")


class Recorder:
    """Collects what a SyncClient hands to its callbacks."""

    def __init__(self, client: SyncClient) -> None:
        self.lock = threading.Lock()
        self.whispers: list[Whisper] = []
        self.statuses: list[WhisperReceipt] = []
        self.changes: list[Change] = []
        self.call_events: list[AnyCallEvent | CallSnapshot] = []
        self.states: list[tuple[ConnectionState, str]] = []
        client.on_whisper = self._add(self.whispers)
        client.on_whisper_status = self._add(self.statuses)
        client.on_change = self._add(self.changes)
        client.on_call_event = self._add(self.call_events)
        client.on_connection_state = lambda state, reason: self.states.append((state, reason))

    def _add(self, target: list[T]) -> Callable[[T], None]:
        def add(payload: T) -> None:
            with self.lock:
                target.append(payload)

        return add


def _event(call_id: str, n: int, kind: EventKind, text: str) -> TranscriptEvent:
    return TranscriptEvent(call_id, Channel.CUSTOMER, kind, n * 2.0, n * 2.0 + 1.5, text, 0.9, f"seg-{n}")


def _server_transcript(server: RunningServer, call_id: str) -> list[TranscriptLine]:
    store = TeamStore(server.data_dir)
    try:
        return store.transcript_so_far(call_id)
    finally:
        store.close()


def _client(server: RunningServer, name: str, tmp_path: Path) -> tuple[SyncClient, Recorder]:
    client = SyncClient(server.url, server.tokens[name], tmp_path / f"{name}.sqlite3")
    recorder = Recorder(client)
    client.start()
    wait_until(lambda: client.state is ConnectionState.CONNECTED, what=f"{name} connected")
    return client, recorder


def test_supervisor_follows_a_call_late_and_whispers_until_read(
    team_server: RunningServer, tmp_path: Path
) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    agent, agent_seen = _client(team_server, "sato", tmp_path)
    supervisor, sup_seen = _client(team_server, "suzuki", tmp_path)
    try:
        agent.call_started("call-1", SharedCustomer(id="cust-9", name="山田 花子"))
        wait_until(
            lambda: any(c.call_id == "call-1" for c in supervisor.list_live_calls()),
            what="call on the board",
        )
        agent.publish_transcript(_event("call-1", 1, EventKind.FINAL, "請求書が二重に届いています"))
        agent.publish_transcript(_event("call-1", 2, EventKind.PARTIAL, "先月の"))
        wait_until(
            lambda: len(_server_transcript(team_server, "call-1")) == 2,
            what="both lines stored by the server",
        )
        # Joining late: the snapshot carries everything said so far, the final and the current partial.
        supervisor.subscribe_call("call-1")
        snapshot = wait_until(
            lambda: next(
                (e for e in sup_seen.call_events if isinstance(e, CallSnapshot) and len(e.transcript) == 2),
                None,
            ),
            what="snapshot with two lines",
        )
        assert [line.text for line in snapshot.transcript] == ["請求書が二重に届いています", "先月の"]
        assert snapshot.call.customer is not None and snapshot.call.customer.name == "山田 花子"

        agent.publish_transcript(_event("call-1", 2, EventKind.FINAL, "先月の請求です"))
        agent.publish_transcript(
            _event("call-1", 2, EventKind.PARTIAL, "先月の請")
        )  # stale: its final is out
        agent.publish_transcript(_event("call-1", 3, EventKind.FINAL, "はい"))
        wait_until(
            lambda: any(
                isinstance(e, CallTranscript) and e.transcript.text == "はい" for e in sup_seen.call_events
            ),
            what="live finals at the follower",
        )
        assert [line.text for line in _server_transcript(team_server, "call-1")] == [
            "請求書が二重に届いています",
            "先月の請求です",
            "はい",
        ]
        assert not any(
            isinstance(e, CallTranscript) and e.transcript.text == "先月の請" for e in sup_seen.call_events
        )

        whisper_id = supervisor.send_whisper(
            "sato", "call-1", "まずお詫びと要約を", anchor_segment_id="seg-2"
        )
        whisper = wait_until(
            lambda: next((w for w in agent_seen.whispers if w.whisper_id == whisper_id), None),
            what="whisper",
        )
        assert whisper.text == "まずお詫びと要約を" and whisper.anchor_segment_id == "seg-2"
        wait_until(
            lambda: any(
                isinstance(e, CallWhispered) and e.whisper.whisper_id == whisper_id
                for e in sup_seen.call_events
            ),
            what="the board learns a whisper went to the call",
        )
        wait_until(
            lambda: {"sent", "delivered"} <= {s.status.value for s in sup_seen.statuses},
            what="sent+delivered",
        )
        agent.mark_whisper_read(whisper_id)
        wait_until(lambda: any(s.status == "read" for s in sup_seen.statuses), what="read receipt")
        assert len(agent_seen.whispers) == 1
        assert agent.pending_count() == 0 and supervisor.pending_count() == 0

        agent.call_ended("call-1")
        wait_until(lambda: not supervisor.list_live_calls(), what="call gone from the board")
    finally:
        agent.stop()
        supervisor.stop()


def test_stop_right_after_start_keeps_the_outbox_for_the_next_start(
    team_server: RunningServer, tmp_path: Path
) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    path = tmp_path / "sato.sqlite3"
    unreachable = SyncClient("ws://127.0.0.1:9/", team_server.tokens["sato"], path)
    unreachable.start()
    change_id = unreachable.push_change("note", {"id": "n-1", "text": "書きかけ"})
    unreachable.stop()
    assert unreachable.state is ConnectionState.OFFLINE

    client, _ = _client(team_server, "sato", tmp_path)
    try:
        wait_until(lambda: client.pending_count() == 0, what="outbox sent by the next client")
    finally:
        client.stop()
    store = TeamStore(team_server.data_dir)
    try:
        assert [c.change_id for c in store.changes_since("tokyo", 0)] == [change_id]
    finally:
        store.close()


def test_an_info_update_made_while_a_supervisor_joins_is_not_undone_by_the_snapshot(
    team_server: RunningServer,
) -> None:
    # The agent shares the caller's context while the supervisor's snapshot is still being put together. The
    # supervisor must end up with that context whichever comes first, the update or the snapshot.
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    agent, supervisor = team_server.raw("sato"), team_server.raw("suzuki")
    store = team_server.thread.server.store
    reading_whispers, update_done = threading.Event(), threading.Event()
    whispers_for_call = store.whispers_for_call

    def held_whispers(*args: Any, **kwargs: Any) -> Any:
        # Runs on the durable-log thread while the snapshot is assembled; the info update (live thread) is
        # made in this gap.
        reading_whispers.set()
        update_done.wait(30)
        return whispers_for_call(*args, **kwargs)

    try:
        agent.request("call_start", call_id="call-1")
        store.whispers_for_call = held_whispers
        sub = supervisor.send("subscribe", call_id="call-1")
        assert reading_whispers.wait(30), "the snapshot never read the whispers"
        agent.send("call_update", call_id="call-1", info={"context": "二重請求の注意"})
        agent.request("list_calls")  # one connection's frames are handled in order: the update is written
        update_done.set()
        snapshot = supervisor.reply(sub)
        assert snapshot["type"] == "call_snapshot"
        # What the follower shows is the last info it received, in order: the snapshot or a later update.
        info = snapshot["call"]["info"]
        at = supervisor.frames.index(snapshot)
        for frame in supervisor.drain()[at + 1 :]:
            if frame.get("event") == "updated":
                info = frame["info"]
        assert info.get("context") == "二重請求の注意"
    finally:
        store.whispers_for_call = whispers_for_call
        update_done.set()
        agent.close()
        supervisor.close()
