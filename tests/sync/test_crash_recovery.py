"""kill -9 of the server process while whispers and notes flow: nothing acknowledged is lost, nothing is shown
twice, and a client's offline edits reach the team when the server is back."""

from __future__ import annotations

import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from sync.client import ConnectionState, SyncClient
from sync.protocol import Change, RecordKind, Role, Whisper, WhisperReceipt
from sync.store import TeamStore
from tests.conftest import ROOT
from tests.sync.conftest import wait_until


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`python -m sync.cli serve` as a child process that can be killed without warning."""

    def __init__(self, data: Path, port: int) -> None:
        self.data = data
        self.port = port
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.cli", "serve", "--port", str(self.port), "--data", str(self.data)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert re.search(r"listening on ws://", line), f"server did not start: {line!r}"

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no chance to flush or close anything
        self.proc.communicate(timeout=10)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.communicate(timeout=15)


def _users(data: Path) -> dict[str, str]:
    store = TeamStore(data)
    try:
        return {
            "sato": store.add_user("sato", Role.AGENT, "tokyo"),
            "suzuki": store.add_user("suzuki", Role.SUPERVISOR, "tokyo"),
        }
    finally:
        store.close()


def test_kill_9_while_whispers_and_notes_flow_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "srv"
    tokens = _users(data)
    server = ServerProcess(data, _free_port())
    server.start()
    url = f"ws://127.0.0.1:{server.port}/"
    agent = SyncClient(url, tokens["sato"], tmp_path / "sato.sqlite3", first_backoff=0.05, max_backoff=0.5)
    supervisor = SyncClient(
        url, tokens["suzuki"], tmp_path / "suzuki.sqlite3", first_backoff=0.05, max_backoff=0.5
    )
    shown: list[str] = []
    notes_seen_by_supervisor: list[str] = []
    acked: set[str] = set()
    lock = threading.Lock()

    def on_whisper(whisper: Whisper) -> None:
        with lock:
            shown.append(whisper.whisper_id)

    def on_status(status: WhisperReceipt) -> None:
        with lock:
            acked.add(status.whisper_id)

    def on_change(change: Change) -> None:
        with lock:
            notes_seen_by_supervisor.append(change.record_id)

    agent.on_whisper = on_whisper
    supervisor.on_whisper_status = on_status
    supervisor.on_change = on_change
    agent.start()
    supervisor.start()
    sent_whispers: list[str] = []
    sent_notes: list[str] = []
    rng = random.Random(5)
    stop = threading.Event()

    def traffic() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            sent_whispers.append(supervisor.send_whisper("sato", None, f"助言 {n}"))
            note_id = f"note-{n}"
            agent.push_change(RecordKind.NOTE, {"id": note_id, "text": f"メモ {n}"})
            sent_notes.append(note_id)
            time.sleep(0.02)

    flow = threading.Thread(target=traffic)
    try:
        wait_until(
            lambda: agent.state is ConnectionState.CONNECTED and supervisor.state is ConnectionState.CONNECTED
        )
        flow.start()
        for _ in range(3):
            time.sleep(rng.uniform(0.2, 0.8))  # a random moment in the flow, not a wait for a condition
            server.kill()
            acked_before_kill = set(acked)
            time.sleep(rng.uniform(0.0, 0.3))
            server.start()
            wait_until(lambda: agent.state is ConnectionState.CONNECTED, what="agent reconnected")
            # What the server acknowledged before dying is still there after the restart.
            store = TeamStore(data)
            try:
                stored = {w.whisper_id for w in store.whispers_for_agent("sato", 0)}
            finally:
                store.close()
            assert acked_before_kill <= stored
        stop.set()
        flow.join()
        wait_until(
            lambda: agent.pending_count() == 0 and supervisor.pending_count() == 0, 30, "outboxes drained"
        )
        wait_until(lambda: len(set(shown)) == len(sent_whispers), 30, "every whisper shown")
        wait_until(
            lambda: len(set(notes_seen_by_supervisor)) == len(sent_notes), 30, "every note at the teammate"
        )
    finally:
        stop.set()
        if flow.is_alive():
            flow.join()
        agent.stop()
        supervisor.stop()
        server.terminate()

    assert len(sent_whispers) > 20 and len(sent_notes) > 20
    assert sorted(shown) == sorted(sent_whispers), "a whisper was lost or shown twice"
    assert [w for w, n in Counter(shown).items() if n > 1] == []
    assert acked == set(sent_whispers)
    assert sorted(notes_seen_by_supervisor) == sorted(sent_notes), "a note was lost or shown twice"
    store = TeamStore(data)
    try:
        feed = store.changes_since("tokyo", 0, 1000)
        seqs = [w.seq for w in store.whispers_for_agent("sato", 0)]
    finally:
        store.close()
    assert sorted(c.record_id for c in feed) == sorted(sent_notes)
    assert seqs == list(range(1, len(sent_whispers) + 1)), "per-agent whisper sequence has gaps or repeats"


def test_offline_edits_are_sent_when_the_server_is_back(tmp_path: Path) -> None:
    data = tmp_path / "srv"
    tokens = _users(data)
    server = ServerProcess(data, _free_port())
    url = f"ws://127.0.0.1:{server.port}/"
    states: list[ConnectionState] = []
    agent = SyncClient(url, tokens["sato"], tmp_path / "sato.sqlite3", first_backoff=0.05, max_backoff=0.3)
    agent.on_connection_state = lambda state, reason: states.append(state)
    agent.start()
    try:
        wait_until(lambda: ConnectionState.CONNECTING in states, what="client trying to connect")
        agent.push_change(RecordKind.CUSTOMER, {"id": "cust-1", "name": "山田 花子", "plan": "Lite"})
        agent.push_change(RecordKind.NOTE, {"id": "n-1", "text": "オフラインで書いたメモ"})
        assert agent.pending_count() == 2
    finally:
        agent.stop()  # the app is closed while offline: the outbox is on disk

    server.start()
    agent = SyncClient(url, tokens["sato"], tmp_path / "sato.sqlite3", first_backoff=0.05)
    supervisor = SyncClient(url, tokens["suzuki"], tmp_path / "suzuki.sqlite3")
    changes: list[Change] = []
    supervisor.on_change = changes.append
    try:
        agent.start()
        wait_until(lambda: agent.pending_count() == 0, what="outbox sent")
        supervisor.start()
        wait_until(lambda: len(changes) == 2, what="teammate got both edits")
        assert [(c.kind, c.record_id, c.author) for c in changes] == [
            ("customer", "cust-1", "sato"),
            ("note", "n-1", "sato"),
        ]
        assert changes[1].record == {"id": "n-1", "text": "オフラインで書いたメモ"}
    finally:
        agent.stop()
        supervisor.stop()
        server.terminate()
