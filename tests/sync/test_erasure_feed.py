"""A customer erased on the team server leaves every agent's PC too (issue #16): the erasure travels as an
entry of the change feed, so an agent's app online at the time erases its own store copy at once, and an agent
offline then drops, when it reconnects, every queued frame and received whisper about the customer before its
outbox is sent (nothing erased comes back). Real team server on 127.0.0.1, real sync clients, the agent app's
call desk on a real store; the proof is the raw files (WAL included) of both PCs."""

from __future__ import annotations

import threading
from pathlib import Path

from assist.domain import CallRecord, Customer, Note
from assist.store import Store
from desktop.agent.desk import CallDesk, DeskConfig
from sync.client import ConnectionState, SyncClient
from sync.protocol import Erasure, SharedCustomer
from tests.listeners import QuietListener
from tests.sync.conftest import RunningServer
from tests.sync.test_erasure import _grep as grep_files
from tests.waiting import wait_until

NAME = "青木 花子"
PHONE = "090-1111-2222"
NOTE = "奥様経由での連絡を希望されている"
SUMMARY = "請求先住所の変更手続きを案内した"
WHISPER = "青木様の住所変更は本人確認を先に"
QUEUED = "青木様から折り返し希望、夕方以降"
SECRETS = [NAME, PHONE, "9011112222", NOTE, SUMMARY, WHISPER, QUEUED]  # the store keeps +819011112222


def _grep(folder: Path) -> dict[str, list[str]]:
    return grep_files(folder, SECRETS)


def _seed(store_file: Path) -> None:
    """Her record as this agent's PC holds it: imported from the CRM, a note, a past call's summary."""
    store_file.parent.mkdir(parents=True)
    store = Store.open(store_file)
    try:
        store.upsert_customer(Customer.from_dict({"id": "k1", "name": NAME, "phones": [PHONE]}))
        store.upsert_note(Note.from_dict({"id": "n1", "customer_id": "k1", "text": NOTE}))
        store.upsert_customer(
            Customer.from_dict({"id": "k2", "name": "別のお客様", "phones": ["03-1234-5678"]})
        )
        store.upsert_call(
            CallRecord.from_dict(
                {
                    "id": "c1",
                    "customer_id": "k1",
                    "summary": SUMMARY,
                    "started_at": "2026-11-30T01:00:00+00:00",
                }
            )
        )
    finally:
        store.close()


def test_an_erasure_reaches_the_agent_online_and_the_agent_offline(
    team_server: RunningServer, tmp_path: Path
) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("kato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    sato_pc, kato_pc = tmp_path / "sato-pc", tmp_path / "kato-pc"
    _seed(sato_pc / "agent-assist.sqlite3")
    assert set().union(*_grep(sato_pc).values()) >= {NAME, "9011112222", NOTE, SUMMARY}

    # Kato's PC: kato took her call (c1) and got a whisper about it, then the PC went offline with a note
    # about her queued.
    kato = SyncClient(team_server.url, team_server.tokens["kato"], kato_pc / "sync-client.sqlite3")
    got_whisper = threading.Event()
    kato.on_whisper = lambda whisper: got_whisper.set()
    supervisor = team_server.raw("suzuki")
    try:
        kato.start()
        kato.call_started("c1", customer=SharedCustomer(id="k1", name=NAME))
        wait_until(lambda: kato.pending_count() == 0, 15, "kato's call start on the server")
        reply = supervisor.request("whisper_send", whisper_id="w1", agent="kato", call_id="c1", text=WHISPER)
        assert reply["type"] == "ack", reply
        assert got_whisper.wait(10)
        kato.call_ended("c1")
        wait_until(lambda: kato.pending_count() == 0, 15, "kato's receipts and call end on the server")
    except BaseException:
        supervisor.close()
        raise
    finally:
        kato.stop(timeout=5)
    try:
        offline = SyncClient(team_server.url, team_server.tokens["kato"], kato_pc / "sync-client.sqlite3")
        offline.push_change("note", {"id": "n7", "customer_id": "k1", "text": QUEUED})
        offline.push_change("note", {"id": "n8", "customer_id": "k2", "text": "別のお客様のメモ"})
        offline.stop()
        assert set().union(*_grep(kato_pc).values()) >= {WHISPER, QUEUED}

        # Sato's PC: the agent app is running and online.
        desk = CallDesk(
            QuietListener(),
            DeskConfig(server_url=team_server.url, server_token=team_server.tokens["sato"]),
            store_file=sato_pc / "agent-assist.sqlite3",
            sync_state_file=sato_pc / "sync-client.sqlite3",
            recordings=sato_pc / "recordings",
        )
        try:
            desk.start(preload_model=False)
            wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 15, "sato's app online")

            erased = supervisor.request("erase_customer", customer_id="k1", call_ids=["c1"])
            assert erased["type"] == "ack", erased

            def gone_at_sato() -> bool:
                return desk.run_on_worker(lambda store: store.get_customer("k1") is None).result(5)

            wait_until(gone_at_sato, 15, "her record erased from sato's store")
            assert desk.run_on_worker(lambda store: store.get_customer("k2") is not None).result(5)
        finally:
            desk.shutdown()
        assert _grep(sato_pc) == {}

        # Kato comes back online: the erasure in the feed is read before the outbox is sent.
        back = SyncClient(team_server.url, team_server.tokens["kato"], kato_pc / "sync-client.sqlite3")
        erasures: list[Erasure] = []
        back.on_erasure = erasures.append
        back.start()
        try:
            wait_until(lambda: back.pending_count() == 0, 15, "kato's outbox sent")
            assert erasures == [Erasure(customer_id="k1", call_ids=("c1",))]
            assert back.inbox() == []
        finally:
            back.stop(timeout=5)
        assert _grep(kato_pc) == {}
        # Nothing about her came back to the server with kato's outbox; the other customer's note did.
        feed = supervisor.request("feed_since", after=0)["changes"]
        texts = [c["record"].get("text") for c in feed if c["kind"] == "note"]
        assert texts == ["別のお客様のメモ"]
        assert _grep(team_server.data_dir) == {}
    finally:
        supervisor.close()
