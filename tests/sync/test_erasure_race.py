"""A client online at the very moment of an erasure cannot bring the customer back: what it writes about her
before it has read the erasure entry (a note, a new call with her, a supervisor's whisper on her call) reaches
the server after the erasure and is refused, so it is neither stored nor relayed to the other PCs; once it has
read the entry, a customer given the same id again is accepted. Real team server on 127.0.0.1, real sync
clients; the server's frames to the racing clients are held in a relay (tests/sync/held_link.py) so the race
is the same every run."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.client import ConnectionState, RequestError, SyncClient
from sync.protocol import Change, Erasure, SharedCustomer
from tests.sync.conftest import RunningServer
from tests.sync.held_link import HeldLink
from tests.sync.test_erasure import _grep
from tests.waiting import wait_until

NAME = "青木 花子"
NOTE = "奥様経由での連絡を希望されている"
LATE_NOTE = "青木様は来週から長期出張、携帯にのみ連絡"
LATE_WHISPER = "青木様の件は返金で対応してください"
RETURNING = "青木 次郎"
SECRETS = [NAME, NOTE, LATE_NOTE, LATE_WHISPER]


def _errors(stream: bytes, refs: list[str]) -> list[dict[str, Any]] | None:
    """The server's error frames answering ``refs`` in a raw (uncompressed) websocket stream, once all are
    there."""
    frames = [json.loads(m) for m in re.findall(rb'\{"type":"error"[^{}]*\}', stream)]
    answers = [f for f in frames if f.get("ref") in refs]
    return answers if len(answers) == len(refs) else None


class Pc:
    """One PC's sync client, with what it was told."""

    def __init__(self, url: str, token: str, folder: Path) -> None:
        self.folder = folder
        self.client = SyncClient(url, token, folder / "sync-client.sqlite3", max_backoff=1.0)
        self.changes: list[Change] = []
        self.erasures: list[Erasure] = []
        self.refused: list[RequestError] = []
        self._lock = threading.Lock()
        self.client.on_change = self._keep(self.changes)
        self.client.on_erasure = self._keep(self.erasures)
        self.client.on_request_error = self._keep(self.refused)

    def _keep(self, into: list[object]) -> object:
        def keep(value: object) -> None:
            with self._lock:
                into.append(value)

        return keep

    def seen(self, what: list[object]) -> list[object]:
        with self._lock:
            return list(what)


@pytest.fixture
def pcs(team_server: RunningServer, tmp_path: Path) -> Iterator[tuple[HeldLink, dict[str, Pc]]]:
    for name, role in (("kato", "agent"), ("sato", "agent"), ("suzuki", "supervisor"), ("root", "admin")):
        team_server.add_user(name, role, "tokyo")
    with HeldLink(team_server.thread.port) as link:
        # kato and suzuki reach the server through the relay, sato directly.
        urls = {"kato": link.url, "suzuki": link.url, "sato": team_server.url}
        machines = {n: Pc(u, team_server.tokens[n], tmp_path / f"{n}-pc") for n, u in urls.items()}
        try:
            for pc in machines.values():
                pc.client.start()
            for name, pc in machines.items():
                wait_until(lambda pc=pc: pc.client.state is ConnectionState.CONNECTED, 30, f"{name} online")
            yield link, machines
        finally:
            for pc in machines.values():
                pc.client.stop(timeout=5)


def test_what_a_client_writes_about_her_before_it_read_her_erasure_does_not_bring_her_back(
    team_server: RunningServer, pcs: tuple[HeldLink, dict[str, Pc]]
) -> None:
    link, machines = pcs
    kato, sato, suzuki = machines["kato"], machines["sato"], machines["suzuki"]
    admin = team_server.raw("root")
    try:
        # Before: kato's call with her, her record and a note, shared with the team.
        kato.client.call_started("c1", customer=SharedCustomer(id="k1", name=NAME))
        kato.client.push_change("customer", {"id": "k1", "name": NAME})
        kato.client.push_change("note", {"id": "n1", "customer_id": "k1", "text": NOTE})
        wait_until(lambda: kato.client.pending_count() == 0, 30, "kato's writes on the server")
        wait_until(lambda: len(sato.seen(sato.changes)) == 2, 30, "her record and note at sato's PC")

        # The erasure is made while the server's frames to kato and suzuki are held: both are online and
        # write about her before they read it.
        link.hold()
        erased = admin.request("erase_customer", customer_id="k1", call_ids=["c1"])
        assert erased["type"] == "ack", erased
        late = [
            kato.client.push_change("note", {"id": "n2", "customer_id": "k1", "text": LATE_NOTE}),
            kato.client.call_started("c2", customer=SharedCustomer(id="k1", name=NAME)),
            suzuki.client.send_whisper("kato", "c1", LATE_WHISPER),
        ]
        # The server has answered all three while the clients still did not know (the answers wait in the
        # relay): each was refused as erased.
        refusals = wait_until(
            lambda: _errors(link.held(), late), 30, "the server's answers to the late writes"
        )
        assert all(e["code"] == "conflict" and "was erased" in e["message"] for e in refusals), refusals
        link.release()

        # Then each client reads the erasure and drops the refused writes with the rest of what it had of her.
        wait_until(lambda: kato.seen(kato.erasures) and suzuki.seen(suzuki.erasures), 30, "the erasure read")
        for pc in (kato, suzuki):
            wait_until(lambda pc=pc: pc.client.pending_count() == 0, 30, "the late writes settled")

        # Nothing about her came back: not on the server, not at sato's PC, not in kato's inbox.
        feed = admin.request("feed_since", after=0)["changes"]
        assert [(c["kind"], c["record_id"]) for c in feed] == [("erasure", "k1")]
        calls = admin.request("list_calls")["calls"]
        assert [c["call_id"] for c in calls] == []
        assert admin.request("list_whispers")["whispers"] == []
        assert _grep(team_server.data_dir, SECRETS) == {}
        assert [c.kind for c in sato.seen(sato.changes)][2:] == ["erasure"]
        assert kato.client.inbox() == []
        assert _grep(kato.folder, SECRETS) == {}
        assert _grep(suzuki.folder, SECRETS) == {}

        # A customer given the same id after the erasure, written by PCs that have read it, is accepted and
        # reaches the team.
        kato.client.push_change("customer", {"id": "k1", "name": RETURNING})
        kato.client.call_started("c3", customer=SharedCustomer(id="k1", name=RETURNING))
        wait_until(lambda: kato.client.pending_count() == 0, 30, "the returning customer on the server")
        suzuki.client.send_whisper("kato", "c3", "次郎様には新規のご案内を")
        wait_until(lambda: suzuki.client.pending_count() == 0, 30, "the whisper on the server")
        assert kato.seen(kato.refused) == suzuki.seen(suzuki.refused) == []
        wait_until(
            lambda: [c.record.get("name") for c in sato.seen(sato.changes)][-1:] == [RETURNING],
            30,
            "the returning customer at sato's PC",
        )
        calls = admin.request("list_calls")["calls"]
        assert [(c["call_id"], c["customer"]["name"]) for c in calls] == [("c3", RETURNING)]
        assert [w["text"] for w in admin.request("list_whispers")["whispers"]] == ["次郎様には新規のご案内を"]
    finally:
        admin.close()


def test_a_write_that_does_not_say_what_it_had_read_counts_as_written_before_the_erasure(
    team_server: RunningServer,
) -> None:
    team_server.add_user("kato", "agent", "tokyo")
    team_server.add_user("root", "admin", "tokyo")
    agent, admin = team_server.raw("kato"), team_server.raw("root")
    try:
        note = {"id": "n1", "customer_id": "k1", "text": NOTE}
        assert (
            agent.request("change_push", change_id="p1", kind="note", record_id="n1", record=note)["type"]
            == "ack"
        )
        assert admin.request("erase_customer", customer_id="k1", call_ids=["c1"])["type"] == "ack"
        entry = admin.request("feed_since", after=0)["changes"][-1]
        assert entry["kind"] == "erasure"

        old = agent.request("change_push", change_id="p2", kind="note", record_id="n2", record=note)
        assert old["type"] == "error" and old["code"] == "conflict", old
        assert f"customer 'k1' was erased (feed entry {entry['seq']})" in old["message"]
        before = agent.request(
            "change_push", change_id="p3", kind="note", record_id="n3", record=note, seen=entry["seq"] - 1
        )
        assert before["type"] == "error", before
        after = agent.request(
            "change_push", change_id="p4", kind="note", record_id="n4", record=note, seen=entry["seq"]
        )
        assert after["type"] == "ack", after

        # A call id is never given again: what is written about an erased call is refused however late (the
        # wrap-up of a call that was live during the erasure).
        summary = {"id": "c1", "customer_id": "k1", "summary": NOTE}
        wrap_up = agent.request(
            "change_push",
            change_id="p5",
            kind="call_summary",
            record_id="c1",
            record=summary,
            seen=entry["seq"],
        )
        assert wrap_up["type"] == "error" and wrap_up["message"].startswith("call 'c1' was erased"), wrap_up
        again = agent.request("call_start", call_id="c1", customer={"id": "k1"}, seen=entry["seq"])
        assert again["type"] == "error" and again["code"] == "conflict", again
    finally:
        agent.close()
        admin.close()
