"""Erasure and retention on the team server (issue #16): an authorised, audited request (and the admin
command) removes a customer's records, feed versions, live call, transcript and whispers byte for byte (the
raw files and their WAL are grepped), and live transcripts leave the server after the call ended plus the
retention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sync.cli import main as server_cli
from sync.erasure import erase_customer
from sync.protocol import Role
from sync.server import ServerLimits, ServerThread
from sync.store import ErasedError, TeamStore, User
from tests.sync.conftest import RawClient, RunningServer, wait_until

NAME = "青木 花子"
PHONE = "090-1111-2222"
NOTE = "奥様経由での連絡を希望されている"
LINE = "請求書の宛先を青木の実家に変更したいのですが"
SUMMARY = "請求先住所の変更手続きを案内した"
WHISPER = "青木様には丁寧に住所確認をお願いします"
SECRETS = [NAME, PHONE, NOTE, LINE, SUMMARY, WHISPER]
OTHER = "別のお客様の大切なメモ"


def _grep(data_dir: Path, needles: list[str]) -> dict[str, list[str]]:
    """Which needles are in which raw file (databases, WAL, shared memory: everything in the directory)."""
    hits: dict[str, list[str]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found = [n for n in needles if n.encode() in data]
        if found:
            hits[path.name] = found
    return hits


def _line(call_id: str, n: int, text: str, kind: str = "final") -> dict[str, Any]:
    return {"call_id": call_id, "channel": "customer", "kind": kind, "start": float(n), "end": n + 0.5,
            "text": text, "confidence": 0.9, "segment_id": f"s{n}"}  # fmt: skip


def _customer_call(agent: RawClient, supervisor: RawClient) -> None:
    customer = {"id": "k1", "name": NAME}
    assert agent.request("call_start", call_id="c1", customer=customer)["type"] == "ack"
    agent.send("call_update", call_id="c1", info={"customer": {**customer, "phone": PHONE, "notes": [NOTE]}})
    agent.send("transcript", call_id="c1", event=_line("c1", 1, LINE[:8], "partial"))
    agent.send("transcript", call_id="c1", event=_line("c1", 1, LINE))
    assert (
        supervisor.request("whisper_send", whisper_id="w1", agent="sato", call_id="c1", text=WHISPER)["type"]
        == "ack"
    )
    records = [
        ("customer", "k1", {"id": "k1", "name": NAME, "phones": [PHONE]}),
        ("note", "n1", {"id": "n1", "customer_id": "k1", "text": NOTE}),
        ("call_summary", "c1", {"id": "c1", "customer_id": "k1", "summary": SUMMARY}),
        (
            "follow_up",
            "f1",
            {"id": "f1", "customer_id": None, "call_id": "c1", "text": f"{NAME}様に折り返し"},
        ),
        ("customer", "k1", {"id": "k1", "name": NAME, "phones": [PHONE], "tags": ["vip"]}),
        ("note", "n2", {"id": "n2", "customer_id": "k2", "text": OTHER}),
    ]
    for n, (kind, record_id, record) in enumerate(records):
        reply = agent.request("change_push", change_id=f"p{n}", kind=kind, record_id=record_id, record=record)
        assert reply["type"] == "ack", reply
    assert agent.request("call_end", call_id="c1")["type"] == "ack"


def test_a_supervisor_erases_a_customer_from_the_server_byte_for_byte(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    team_server.add_user("root", "admin", "tokyo")
    agent = team_server.raw("sato")
    supervisor = team_server.raw("suzuki")
    admin = team_server.raw("root")
    try:
        _customer_call(agent, supervisor)
        before = _grep(team_server.data_dir, SECRETS)
        assert set().union(*before.values()) == set(SECRETS), before

        refused = agent.request("erase_customer", customer_id="k1")
        assert refused["code"] == "forbidden"
        erased = supervisor.request("erase_customer", customer_id="k1", call_ids=["c1"])
        assert erased["type"] == "ack" and erased["files_cleared"] is True, erased
        assert erased["calls"] == ["c1"]
        assert (
            erased["rows"]["changes"] == 5
            and erased["rows"]["segments"] == 1
            and erased["rows"]["whispers"] == 1
        )

        assert _grep(team_server.data_dir, SECRETS) == {}
        # The rest of the team's data is untouched, and the erasure is in the audit log (without the text).
        feed = supervisor.request("feed_since", after=0)["changes"]
        assert [c["record"].get("text") for c in feed if c["kind"] != "erasure"] == [OTHER]
        # What is left of her in the feed is the erasure entry itself: ids only, for every PC of the team.
        assert [c["record"] for c in feed if c["kind"] == "erasure"] == [
            {"customer_id": "k1", "call_ids": ["c1"]}
        ]
        entries = admin.request("audit_query", after=0)["entries"]
        assert [(e["actor"], e["target"]) for e in entries if e["action"] == "customer_erased"] == [
            ("suzuki", "k1")
        ]
        # The agent's whisper sequence goes on counting: a client's whisper_after stays right.
        again = supervisor.request("whisper_send", whisper_id="w2", agent="sato", text="next")
        assert again["whisper"]["seq"] == 2
        assert supervisor.request("erase_customer", customer_id="k1")["type"] == "ack"  # twice is harmless
    finally:
        for client in (agent, supervisor, admin):
            client.close()


def test_the_admin_command_erases_from_the_servers_files(team_server: RunningServer, capsys: Any) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    agent = team_server.raw("sato")
    supervisor = team_server.raw("suzuki")
    try:
        _customer_call(agent, supervisor)
    finally:
        agent.close()
        supervisor.close()
    # also works with the server running; stopped here so the files are all there is
    team_server.thread.stop()
    data = str(team_server.data_dir)
    assert server_cli(["erase-customer", "k1", "--team", "tokyo", "--data", data]) == 2  # needs --yes
    assert server_cli(["erase-customer", "k1", "--team", "tokyo", "--data", data, "--yes"]) == 0
    assert "erased k1 of team tokyo" in capsys.readouterr().out
    assert _grep(team_server.data_dir, SECRETS) == {}
    assert _grep(team_server.data_dir, [OTHER]) != {}


def test_live_transcripts_leave_the_server_after_the_call_and_the_retention(tmp_path: Path) -> None:
    limits = ServerLimits(live_retention=0.5, whisper_retention=3600.0, retention_every=0.1)
    thread = ServerThread(tmp_path / "server", limits=limits)
    thread.start()
    server = RunningServer(thread, tmp_path / "server")
    agent: RawClient | None = None
    try:
        server.add_user("sato", "agent", "tokyo")
        agent = server.raw("sato")
        assert agent.request("call_start", call_id="c1")["type"] == "ack"
        agent.send("transcript", call_id="c1", event=_line("c1", 1, LINE))
        assert (
            agent.request("list_presence")["type"] == "ack"
        )  # frames are handled in order: the line is stored
        assert _grep(server.data_dir, [LINE]) != {}
        assert agent.request("call_end", call_id="c1")["type"] == "ack"
        wait_until(lambda: _grep(server.data_dir, [LINE]) == {}, timeout=10, what="the transcript to leave")
        assert agent.request("call_start", call_id="c1")["type"] == "ack"  # the call id is free again
    finally:
        if agent is not None:
            agent.close()
        thread.stop()


def test_a_raised_hands_reason_that_reaches_the_audit_log_after_her_erasure_is_not_kept(
    tmp_path: Path,
) -> None:
    """The server puts a raised hand on the call on its live thread and audits it (with the reason) on its
    durable-log thread; an erasure can run in between. The audit entry is then refused, not written after the
    erasure's scrub of the audit log (real SQLite files)."""
    store = TeamStore(tmp_path)
    try:
        sato = User("sato", Role.AGENT, "tokyo")
        store.add_user(sato.name, sato.role, sato.team)
        store.start_call(sato, "c1", {"id": "k1", "name": NAME}, None)
        store.audit_call("sato", "tokyo", "hand_raised", "c1", {"reason": NOTE})  # a live call: kept
        erase_customer(store, "tokyo", "k1")
        with pytest.raises(ErasedError, match="call 'c1' was erased"):
            store.audit_call("sato", "tokyo", "hand_raised", "c1", {"reason": LINE})
        assert [e.detail for e in store.audit_since("tokyo", 0, 100) if e.action == "hand_raised"] == [
            {"erased": True}
        ]
    finally:
        store.close()
    assert _grep(tmp_path, [NAME, NOTE, LINE]) == {}
