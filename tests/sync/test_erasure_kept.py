"""An erasure the app could not take when it arrived (its ``on_erasure`` raised) is not lost with the feed
position that moves past it: the sync client keeps it in its file and hands it over again before the next
change is shown, and forgets it once the app took it. Real team server on 127.0.0.1 (port 0), real sync
client and file."""

from __future__ import annotations

import threading
from pathlib import Path

from sync.client import ConnectionState, SyncClient, purge_file
from sync.protocol import Change, Erasure
from tests.sync.conftest import RawClient, RunningServer
from tests.waiting import wait_until


class Pc:
    """The agent's sync client, and what the app was handed, in order."""

    def __init__(self, server: RunningServer, client_file: Path, refuse_first: bool) -> None:
        self.client = SyncClient(server.url, server.tokens["sato"], client_file, max_backoff=1.0)
        self.told: list[tuple[str, str]] = []
        self._refuse = refuse_first
        self._refuse_all = False
        self._lock = threading.Lock()
        self.client.on_erasure = self._erasure
        self.client.on_change = self._change

    def _erasure(self, erasure: Erasure) -> None:
        with self._lock:
            if self._refuse or self._refuse_all:
                self._refuse = False
                self.told.append(("refused", erasure.customer_id))
                raise RuntimeError("the store is closed")
            self.told.append(("erased", erasure.customer_id))

    def _change(self, change: Change) -> None:
        with self._lock:
            self.told.append(("change", str(change.kind)))

    def seen(self, entry: tuple[str, str]) -> bool:
        with self._lock:
            return entry in self.told


def _team(server: RunningServer) -> RawClient:
    """The agent sato and the supervisor suzuki; returns the supervisor's connection."""
    server.add_user("sato", "agent", "tokyo")
    server.add_user("suzuki", "supervisor", "tokyo")
    return server.raw("suzuki")


def test_an_erasure_the_app_refused_is_handed_over_again_before_the_next_change(
    team_server: RunningServer, tmp_path: Path
) -> None:
    supervisor = _team(team_server)
    client_file = tmp_path / "pc" / "sync-client.sqlite3"
    try:
        pc = Pc(team_server, client_file, refuse_first=True)
        pc.client.start()
        try:
            wait_until(lambda: pc.client.state is ConnectionState.CONNECTED, 30, "the agent online")
            assert supervisor.request("erase_customer", customer_id="k1")["type"] == "ack"
            wait_until(lambda: pc.seen(("change", "erasure")), 30, "the erasure entry read from the feed")
            record = {"id": "n2", "customer_id": "k2", "text": "another customer's note"}
            pushed = supervisor.request(
                "change_push", change_id="p1", kind="note", record_id="n2", record=record
            )
            assert pushed["type"] == "ack", pushed
            wait_until(lambda: pc.seen(("change", "note")), 30, "the next change read from the feed")
            assert pc.told == [("refused", "k1"), ("change", "erasure"), ("erased", "k1"), ("change", "note")]
        finally:
            pc.client.stop(timeout=5)

        # Taken once: the next start hands nothing again.
        later = Pc(team_server, client_file, refuse_first=False)
        later.client.start()
        try:
            wait_until(lambda: later.client.state is ConnectionState.CONNECTED, 30, "the agent online again")
            assert later.told == []
        finally:
            later.client.stop(timeout=5)
    finally:
        supervisor.close()


def test_a_local_erasure_of_the_customer_drops_the_kept_erasures_it_covers(
    team_server: RunningServer, tmp_path: Path
) -> None:
    """``review delete-customer`` (and the Privacy view) purge the sync client files after erasing her here:
    an erasure of her kept for the app, naming only calls that purge took, has nothing left to do and goes;
    one that also names another call (an unknown number's, not hers on this PC) stays for the app."""
    supervisor = _team(team_server)
    client_file = tmp_path / "pc" / "sync-client.sqlite3"
    try:
        pc = Pc(team_server, client_file, refuse_first=True)
        pc._refuse_all = True
        pc.client.start()
        try:
            wait_until(lambda: pc.client.state is ConnectionState.CONNECTED, 30, "the agent online")
            for customer, calls in (("k1", ["c-k1"]), ("k2", ["c-walk-in"])):
                erased = supervisor.request("erase_customer", customer_id=customer, call_ids=calls)
                assert erased["type"] == "ack", erased
            wait_until(lambda: pc.seen(("refused", "k2")), 30, "both erasures read and refused")
        finally:
            pc.client.stop(timeout=5)
        assert purge_file(client_file, "k1", ["c-k1"])  # her erasure here took her call
        assert purge_file(client_file, "k2", [])  # this PC never had the unknown number's call

        later = Pc(team_server, client_file, refuse_first=False)
        later.client.start()
        try:
            wait_until(lambda: later.seen(("erased", "k2")), 30, "the kept erasure handed again")
            assert later.told == [("erased", "k2")]
        finally:
            later.client.stop(timeout=5)
    finally:
        supervisor.close()
