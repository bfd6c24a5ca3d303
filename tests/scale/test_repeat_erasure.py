"""A customer erased twice on the team server: the second erasure leaves the first one's feed entry in place,
on SQLite and on a real PostgreSQL. An agent's PC offline across both erasures learns of every call each named
when it comes back, so its app erases an unknown number's call that only the first named and drops the queued
wrap-up of that call; and a write about that call made before either erasure is still refused once its
tombstone has been pruned (30 days), which only the first erasure's entry can answer for. Real team server on
127.0.0.1 with a hand-moved clock, a real sync client and the agent app's call desk on a real store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assist.domain import CallRecord, Customer
from assist.store import Store
from desktop.agent.desk import CallDesk, DeskConfig
from sync.client import ConnectionState, SyncClient
from sync.erasure import apply_retention
from sync.protocol import Role
from sync.server import ServerThread
from sync.store import TeamStore
from tests.listeners import QuietListener
from tests.scale.conftest import ManualClock
from tests.sync.conftest import RawClient
from tests.waiting import wait_until

DAY = 86400.0
T0 = 1_000_000.0
SUMMARY = "請求先住所の変更手続きを案内した"
LATE = "折り返しの際に住所変更の完了を伝える"


def _seed(store_file: Path) -> None:
    """Sato's PC: her record (from the CRM) and c1, a call he took from a number he did not know."""
    store_file.parent.mkdir(parents=True)
    store = Store.open(store_file)
    try:
        store.upsert_customer(
            Customer.from_dict({"id": "k1", "name": "青木 花子", "phones": ["090-1111-2222"]})
        )
        store.upsert_call(
            CallRecord.from_dict(
                {
                    "id": "c1",
                    "customer_id": None,
                    "summary": SUMMARY,
                    "started_at": "2026-11-30T01:00:00+00:00",
                }
            )
        )
    finally:
        store.close()


def _feed_position(client_file: Path) -> int:
    db = sqlite3.connect(client_file)
    try:
        row = db.execute("SELECT value FROM state WHERE key = 'feed_seq'").fetchone()
        return 0 if row is None else int(row[0])
    finally:
        db.close()


def test_an_agent_offline_across_two_erasures_of_one_customer_learns_of_both(
    location: dict[str, object], tmp_path: Path
) -> None:
    clock = ManualClock(T0)
    store = TeamStore(clock=clock, **location)  # type: ignore[arg-type]
    tokens = {
        name: store.add_user(name, role, "tokyo")
        for name, role in (("sato", Role.AGENT), ("kato", Role.AGENT), ("suzuki", Role.SUPERVISOR))
    }
    server = ServerThread(
        location.get("data_dir"),  # type: ignore[arg-type]
        database=location.get("database"),  # type: ignore[arg-type]
        clock=clock,
    )
    server.start()
    sato_pc = tmp_path / "sato-pc"
    client_file = sato_pc / "sync-client.sqlite3"
    _seed(sato_pc / "agent-assist.sqlite3")
    supervisor = RawClient.open(server.url, tokens["suzuki"])
    kato = RawClient.open(server.url, tokens["kato"])
    try:
        pushed = kato.request(
            "change_push", change_id="n1", kind="note", record_id="n1",
            record={"id": "n1", "customer_id": "k2", "text": "別のお客様"}, seen=0,
        )  # fmt: skip
        assert pushed["type"] == "ack", pushed
        # Sato reads the feed and takes c1, then his PC goes offline; its wrap-up, edited offline, waits in
        # the outbox.
        sato = SyncClient(server.url, tokens["sato"], client_file)
        try:
            sato.start()
            sato.call_started("c1")
            sato.call_ended("c1")
            wait_until(lambda: sato.pending_count() == 0, 15, "sato's call on the server")
            wait_until(lambda: _feed_position(client_file) == 1, 15, "sato has read the feed")
        finally:
            sato.stop(timeout=5)
        before = _feed_position(client_file)
        offline = SyncClient(server.url, tokens["sato"], client_file)
        offline.push_change("call_summary", {"id": "c1", "customer_id": None, "summary": LATE})
        offline.push_change("note", {"id": "n8", "customer_id": "k2", "text": "別のお客様のメモ"})
        offline.stop()

        # A supervisor learns c1 was hers and erases her with it.
        first = supervisor.request("erase_customer", customer_id="k1", call_ids=["c1"])
        assert first["type"] == "ack" and first["calls"] == ["c1"], first
        s1 = max(c["seq"] for c in supervisor.request("feed_since", after=0)["changes"])
        # She calls again (kato, who read that erasure: she is a new customer); twenty days later she is
        # erased again, and the server finds that call itself.
        started = kato.request(
            "call_start", call_id="c2", customer={"id": "k1", "name": "青木 花子"}, seen=s1
        )
        assert started["type"] == "ack", started
        pushed = kato.request(
            "change_push", change_id="sum-c2", kind="call_summary", record_id="c2",
            record={"id": "c2", "customer_id": "k1", "summary": "解約の相談"}, seen=s1,
        )  # fmt: skip
        assert pushed["type"] == "ack", pushed
        assert kato.request("call_end", call_id="c2")["type"] == "ack"
        clock.now = T0 + 20 * DAY
        second = supervisor.request("erase_customer", customer_id="k1")
        assert second["type"] == "ack" and second["calls"] == ["c2"], second

        # The feed keeps both erasures, each with the calls it named.
        erasures = [
            (c["seq"], c["record"]["call_ids"])
            for c in supervisor.request("feed_since", after=before)["changes"]
            if c["kind"] == "erasure"
        ]
        assert [calls for _, calls in erasures] == [["c1"], ["c2"]]
        assert erasures[0][0] == s1

        # Thirty days after the first erasure its tombstones go (c1's); the second's stay (c2's, and hers,
        # which the second erasure renewed).
        clock.now = T0 + 30 * DAY + 60
        assert apply_retention(store, live_seconds=DAY, whisper_seconds=30 * DAY, clock=clock)["erased"] == 1

        # Sato's app comes back: it erases c1 (only the first erasure named it) and her record, and the
        # queued wrap-up of c1 is dropped, not sent; the other customer's note goes.
        desk = CallDesk(
            QuietListener(),
            DeskConfig(server_url=server.url, server_token=tokens["sato"]),
            store_file=sato_pc / "agent-assist.sqlite3",
            sync_state_file=client_file,
            recordings=sato_pc / "recordings",
        )
        try:
            desk.start(preload_model=False)
            wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 15, "sato's app online")
            wait_until(
                lambda: desk.run_on_worker(lambda s: s.get_call("c1") is None).result(5), 15, "c1 erased"
            )
            assert desk.run_on_worker(lambda s: s.get_customer("k1") is None).result(5)
            assert desk.sync is not None
            client = desk.sync
            wait_until(lambda: client.pending_count() == 0, 15, "sato's outbox sent")
        finally:
            desk.shutdown()
        notes = [c["record"] for c in supervisor.request("feed_since", after=s1)["changes"]]
        assert [r.get("text") for r in notes if "text" in r] == ["別のお客様のメモ"]
        assert [r for r in notes if r.get("summary") == LATE] == []

        # The same wrap-up from a client that did not drop it (made before either erasure): still refused,
        # found from the first erasure's entry now that c1's tombstone is gone.
        sato_raw = RawClient.open(server.url, tokens["sato"])
        try:
            late = sato_raw.request(
                "change_push", change_id="late-c1", kind="call_summary", record_id="c1",
                record={"id": "c1", "customer_id": None, "summary": LATE}, seen=before,
            )  # fmt: skip
        finally:
            sato_raw.close()
        assert late["type"] == "error" and late["code"] == "conflict", late
        assert f"call 'c1' was erased (feed entry {s1})" in late["message"]
    finally:
        kato.close()
        supervisor.close()
        server.stop()
        store.close()
