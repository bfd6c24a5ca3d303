"""An erasure from the team that this PC could not take when it arrived (the desk could not erase: its worker
had shut down as the app closed, or the erasure failed) is kept in the sync client's file and handed to the
desk again at the next start: her record then leaves the agent's store. Real parts: a team server on
127.0.0.1 (port 0) whose supervisor erases, the desk's real sync client and its file, the real store."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from desktop.agent.desk import CallDesk
from sync.client import ConnectionState
from sync.protocol import Erasure
from tests.desk.conftest import agents_desk
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
        desk.start(preload_model=False)
        wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 30, "the agent's app online")
        client = desk.sync
        assert client is not None

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
        desk.start(preload_model=False)
        wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 30, "the agent's app online")
        client = desk.sync
        assert client is not None
        hand_erasure = client.on_erasure
    finally:
        desk.shutdown()
    with pytest.raises(RuntimeError, match="store is closed"):
        hand_erasure(Erasure(customer_id=CUSTOMER))
    assert _her_record_in(pc / "agent-assist.sqlite3")
