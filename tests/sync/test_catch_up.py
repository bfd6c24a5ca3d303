"""Catching up: a teammate back after a long time gets every change in order, page by page; two server
processes on the same data share calls, presence and whisper numbering, and a missed push is fetched."""

from __future__ import annotations

import threading
from pathlib import Path

from sync.client import ConnectionState, SyncClient
from sync.protocol import RecordKind, Role, SharedCustomer, Whisper
from sync.server import ServerThread
from sync.store import TeamStore, User
from tests.sync.conftest import RunningServer, wait_until


def test_a_long_absent_teammate_gets_every_change_in_order(
    team_server: RunningServer, tmp_path: Path
) -> None:
    team_server.add_user("tanaka", "agent", "tokyo")
    store = TeamStore(team_server.data_dir)
    author = User("sato", Role.AGENT, "tokyo")
    try:
        for n in range(1234):
            store.add_change(
                author=author,
                change_id=f"c{n}",
                kind=RecordKind.NOTE,
                record_id=f"n{n}",
                record={"text": f"メモ {n}"},
            )
    finally:
        store.close()
    client = SyncClient(team_server.url, team_server.tokens["tanaka"], tmp_path / "tanaka.sqlite3")
    seen: list[str] = []
    client.on_change = lambda change: seen.append(change.record_id)
    client.start()
    try:
        wait_until(lambda: len(seen) >= 1234, 60, "all 1234 changes")
        client.push_change(RecordKind.NOTE, {"id": "live", "text": "new"})
        wait_until(lambda: "live" in seen, what="a live change after catching up")
        assert seen == [f"n{n}" for n in range(1234)] + ["live"]
        # Asked for, the feed comes in pages too (replies of at most 500 changes, read as typed pages).
        listed = client.feed_since(0, timeout=30)  # a generous budget: the suite also runs beside others
        assert [c.record_id for c in listed] == seen and listed[0].record == {"text": "メモ 0"}
        assert team_server.thread.server.stats["slow_consumers_dropped"] == 0
    finally:
        client.stop()


def test_two_instances_on_the_same_data_share_calls_presence_and_whisper_numbers(tmp_path: Path) -> None:
    data = tmp_path / "srv"
    store = TeamStore(data)
    tokens = {
        "sato": store.add_user("sato", Role.AGENT, "tokyo"),
        "suzuki": store.add_user("suzuki", Role.SUPERVISOR, "tokyo"),
        "ito": store.add_user("ito", Role.SUPERVISOR, "tokyo"),
    }
    store.close()
    a = ServerThread(data, instance="a")
    b = ServerThread(data, instance="b")
    a.start()
    b.start()
    whispers: list[Whisper] = []
    lock = threading.Lock()

    def on_whisper(whisper: Whisper) -> None:
        with lock:
            whispers.append(whisper)

    agent = SyncClient(a.url, tokens["sato"], tmp_path / "sato.sqlite3")
    agent.on_whisper = on_whisper
    sup_a = SyncClient(a.url, tokens["ito"], tmp_path / "ito.sqlite3")
    sup_b = SyncClient(b.url, tokens["suzuki"], tmp_path / "suzuki.sqlite3")
    clients = [agent, sup_a, sup_b]
    try:
        for client in clients:
            client.start()
        wait_until(lambda: all(c.state is ConnectionState.CONNECTED for c in clients), what="all connected")
        agent.call_started("call-1", SharedCustomer(id="cust-1"))
        # The supervisor on instance b sees the call of an agent connected to instance a.
        wait_until(
            lambda: [c.call_id for c in sup_b.list_live_calls()] == ["call-1"], what="call visible on b"
        )
        online = {p.user for p in sup_b.list_presence() if p.online}
        assert online == {"sato", "suzuki", "ito"}

        first = sup_b.send_whisper(
            "sato", "call-1", "from b"
        )  # stored by b; a does not push it (no backplane)
        wait_until(lambda: sup_b.pending_count() == 0, what="b acknowledged")
        second = sup_a.send_whisper("sato", "call-1", "from a")  # pushed by a: seq 2 reveals the gap
        wait_until(lambda: len(whispers) == 2, what="both whispers at the agent")
        assert sorted((w.seq, w.whisper_id) for w in whispers) == [(1, first), (2, second)]
    finally:
        for client in clients:
            client.stop()
        a.stop()
        b.stop()
