"""An erasure from the team that this PC could not take when it arrived (the desk could not erase: its worker
had shut down as the app closed, or the erasure failed) is kept in the sync client's file and handed to the
desk again at the next start: her record then leaves the agent's store. Real parts: a team server on
127.0.0.1 (port 0) whose supervisor erases, the desk's real sync client and its file, the real store."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from desktop.agent.desk import CallDesk, team_link
from sync.protocol import Change, Erasure, RecordKind
from tests.desk.conftest import agents_desk, start_online
from tests.desk.test_erasure_after_kill import _her_record_in
from tests.desk.test_erasure_during_call import CUSTOMER, HER
from tests.listeners import QuietListener
from tests.sync.conftest import RunningServer
from tests.sync.test_erasure import _grep
from tests.waiting import wait_until


def _desk(pc: Path, server: RunningServer) -> CallDesk:
    return agents_desk(QuietListener(), pc, server.url, server.tokens["alex"])


def _feed_position(client_file: Path) -> int:
    conn = sqlite3.connect(client_file)
    try:
        row = conn.execute("SELECT value FROM state WHERE key = 'feed_seq'").fetchone()
        return int(row[0]) if row else 0
    finally:
        conn.close()


@pytest.fixture
def pc(team_pc: Path) -> Path:
    return team_pc


def test_an_erasure_the_desk_could_not_take_is_handed_over_again_at_the_next_start(
    server: RunningServer, pc: Path
) -> None:
    supervisor = server.raw("miki")
    desk = _desk(pc, server)
    refused = threading.Event()
    try:
        client = start_online(desk)

        def cannot_take(erasure: Erasure) -> None:  # as the desk does when its store has closed
            refused.set()
            raise RuntimeError("the store is closed: the erasure was not applied here")

        client.on_erasure = cannot_take
        assert supervisor.request("erase_customer", customer_id=CUSTOMER)["type"] == "ack"
        wait_until(refused.is_set, 30, "the erasure read from the feed by the agent's sync client")
        # Other changes are not held up: the feed position moves past the erasure all the same.
        wait_until(lambda: _feed_position(pc / "sync-client.sqlite3") > 0, 30, "the feed position moved on")
        assert _her_record_in(pc / "agent-assist.sqlite3")  # not erased here yet
    finally:
        desk.shutdown()
        supervisor.close()

    # The next start: the kept erasure goes to the desk before anything else, and she leaves the store.
    _erased_at_the_next_start(pc, server)


def _erased_at_the_next_start(pc: Path, server: RunningServer) -> None:
    again = _desk(pc, server)
    try:
        again.start(preload_model=False)
        wait_until(
            lambda: not _her_record_in(pc / "agent-assist.sqlite3"), 60, "her record erased at the next start"
        )
    finally:
        again.shutdown()
    assert _grep(pc, HER) == {}


def test_the_desk_refuses_an_erasure_once_its_store_has_closed(server: RunningServer, pc: Path) -> None:
    """The desk's side of it: an erasure arriving after the app closed its store raises (the sync client keeps
    it) instead of being dropped with a log line."""
    desk = _desk(pc, server)
    try:
        client = start_online(desk)
        hand_erasure = client.on_erasure
    finally:
        desk.shutdown()
    with pytest.raises(RuntimeError, match="store is closed"):
        hand_erasure(Erasure(customer_id=CUSTOMER))
    assert _her_record_in(pc / "agent-assist.sqlite3")


def _kept_in(client_file: Path) -> list[str]:
    conn = sqlite3.connect(client_file)
    try:
        return [str(row[0]) for row in conn.execute("SELECT customer_id FROM kept_erasures")]
    finally:
        conn.close()


def test_an_erasure_the_busy_desk_worker_has_not_run_yet_is_kept_and_later_changes_are_not_held_up(
    server: RunningServer, pc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk worker is busy (a long job) when the team's erasure arrives: after ``ERASURE_WAIT_S`` the feed
    position moves on, so the erasure is kept in the sync client's file; a later change is shown at once (the
    erasure handed again before it does not wait a second time); the PC folder as a kill would leave it at
    that moment erases her at its next start; and the running desk erases her once its worker is free."""
    monkeypatch.setattr(team_link, "ERASURE_WAIT_S", 2.0)
    supervisor = server.raw("miki")
    desk = _desk(pc, server)
    busy = threading.Event()
    shown: list[Change] = []
    snapshot = tmp_path / "as-killed"
    try:
        client = start_online(desk)
        hand_change = client.on_change
        client.on_change = lambda change: (shown.append(change), hand_change(change))
        desk.run_on_worker(lambda store: busy.wait(300))  # the desk worker is busy (an injected slow job)
        assert supervisor.request("erase_customer", customer_id=CUSTOMER)["type"] == "ack"
        wait_until(lambda: _kept_in(pc / "sync-client.sqlite3") == [CUSTOMER], 60, "the erasure kept")
        wait_until(lambda: any(c.kind is RecordKind.ERASURE for c in shown), 30, "the erasure shown")
        # Were the erasure handed again with a wait, this change would wait until the worker is free.
        monkeypatch.setattr(team_link, "ERASURE_WAIT_S", 600.0)
        record = {"id": "n-other", "customer_id": "demo-cust-tanaka", "text": "called back about the modem"}
        pushed = supervisor.request(
            "change_push", change_id="p1", kind="note", record_id="n-other", record=record
        )
        assert pushed["type"] == "ack", pushed
        wait_until(lambda: any(c.kind is RecordKind.NOTE for c in shown), 120, "the next change shown")
        assert not busy.is_set() and _her_record_in(pc / "agent-assist.sqlite3")  # the worker is still busy
        # What a kill now would leave on disk: the files as they are.
        snapshot.mkdir()
        for path in pc.iterdir():
            if path.is_file() and not path.name.endswith("app-lock"):
                shutil.copy2(path, snapshot / path.name)
        busy.set()
        wait_until(
            lambda: not _her_record_in(pc / "agent-assist.sqlite3"), 60, "erased once the worker is free"
        )
    finally:
        busy.set()
        desk.shutdown()
        supervisor.close()
    assert _grep(pc, HER) == {}

    _erased_at_the_next_start(snapshot, server)  # the app started again on what the kill left
