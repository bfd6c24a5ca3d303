"""Two team-server instances on one PostgreSQL and one Redis behave as one server: whatever is sent through
one reaches the clients of the other live, and a supervisor on either sees every call of the team."""

from __future__ import annotations

import time
import uuid

from tests.scale.conftest import Cluster
from tests.sync.conftest import RawClient


def _changes(client: RawClient, count: int, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seqs = [f["change"]["seq"] for f in client.frames if f["type"] == "change"]
        if len(seqs) >= count:
            return seqs
        client.receive(0.1)
    raise AssertionError(f"{len(seqs)} of {count} changes within {timeout} s")


def _health(cluster: Cluster, instance: int) -> dict[str, object]:
    import json
    import urllib.request

    with urllib.request.urlopen(
        f"http://127.0.0.1:{cluster.instances[instance].port}/health", timeout=5
    ) as r:
        return dict(json.loads(r.read()))


def test_everything_sent_through_one_instance_reaches_the_clients_of_the_other(cluster: Cluster) -> None:
    cluster.add_user("sato", "agent")
    cluster.add_user("suzuki", "supervisor")
    cluster.add_user("ito", "supervisor")
    cluster.add_user("kato", "agent", team="osaka")
    cluster.start_instance("a")
    cluster.start_instance("b")
    agent = cluster.raw("sato", 1)  # on b
    supervisor = cluster.raw("suzuki", 0)  # on a
    late = None
    outsider = cluster.raw("kato", 0)  # another team, on a: sees none of it
    try:
        assert agent.request("call_start", call_id="call-1", customer={"id": "u1"})["type"] == "ack"
        started = supervisor.wait_for(lambda f: f["type"] == "call_event" and f["event"] == "started")
        assert started["call"]["agent"] == "sato"
        supervisor.wait_for(
            lambda f: f["type"] == "presence" and any(u["user"] == "sato" and u["call"] for u in f["users"])
        )
        agent.send("transcript", call_id="call-1", event={
            "call_id": "call-1", "channel": "customer", "kind": "final", "start": 0.0, "end": 1.0,
            "text": "請求書が届きません", "confidence": 0.9, "segment_id": "s1",
        })  # fmt: skip
        # Finals reach every supervisor of the team, on any instance.
        line = supervisor.wait_for(lambda f: f.get("event") == "transcript")
        assert line["transcript"]["text"] == "請求書が届きません"

        # A supervisor joining late on the other instance gets the call so far, then its live lines and info.
        late = cluster.raw("ito", 0)
        calls = late.request("list_calls")["calls"]
        assert [c["call_id"] for c in calls] == ["call-1"]
        snapshot = late.request("subscribe", call_id="call-1")
        assert [e["text"] for e in snapshot["transcript"]] == ["請求書が届きません"]
        agent.send("transcript", call_id="call-1", event={
            "call_id": "call-1", "channel": "agent", "kind": "partial", "start": 1.0, "end": 1.5,
            "text": "確認", "confidence": 0.5, "segment_id": "s2",
        })  # fmt: skip
        partial = late.wait_for(
            lambda f: f.get("event") == "transcript" and f["transcript"]["kind"] == "partial"
        )
        assert partial["transcript"]["text"] == "確認"
        agent.send("call_update", call_id="call-1", info={"cue": "frustrated"})
        assert late.wait_for(lambda f: f.get("event") == "updated")["info"] == {"cue": "frustrated"}

        # A whisper sent through a reaches the agent on b at once, and its read receipt comes back.
        whisper_id = uuid.uuid4().hex
        sent_at = time.monotonic()
        ack = supervisor.request(
            "whisper_send", whisper_id=whisper_id, agent="sato", call_id="call-1", text="返金手順は KB-12"
        )
        assert ack["type"] == "ack" and ack["whisper"]["seq"] == 1
        pushed = agent.wait_for(lambda f: f["type"] == "whisper", timeout=5)
        assert pushed["whisper"]["whisper_id"] == whisper_id
        assert time.monotonic() - sent_at < 2.0
        assert agent.request("whisper_read", whisper_id=whisper_id)["type"] == "ack"
        receipt = supervisor.wait_for(lambda f: f["type"] == "whisper_status" and f["status"] == "read")
        assert receipt["whisper_id"] == whisper_id
        assert late.wait_for(lambda f: f.get("event") == "whispered")["whisper"]["whisper_id"] == whisper_id

        # A shared change pushed through b reaches the team on a (and the author's own connection).
        ack = agent.request(
            "change_push", change_id="ch1", kind="note", record_id="n1", record={"text": "要折返し"}
        )
        change = supervisor.wait_for(lambda f: f["type"] == "change")["change"]
        assert (change["seq"], change["record_id"]) == (ack["seq"], "n1")
        assert agent.wait_for(lambda f: f["type"] == "change")["change"]["change_id"] == "ch1"

        assert agent.request("call_end", call_id="call-1")["type"] == "ack"
        ended = late.wait_for(lambda f: f.get("event") == "ended")
        assert ended["call"]["ended_at"] is not None
        backplane = _health(cluster, 0)["backplane"]
        assert isinstance(backplane, dict) and backplane["state"] == "connected"
        assert _health(cluster, 1)["database"] == "postgresql"
        # The other team heard nothing of it.
        outsider.drain(0.3)
        assert {f["type"] for f in outsider.frames} <= {"welcome", "ack", "presence"}
        assert all(
            u["user"] == "kato" for f in outsider.frames if f["type"] == "presence" for u in f["users"]
        )
    finally:
        for client in (agent, supervisor, late, outsider):
            if client is not None:
                client.close()


def test_changes_from_both_instances_reach_everyone_in_seq_order(cluster: Cluster) -> None:
    for name in ("sato", "tanaka"):
        cluster.add_user(name, "agent")
    cluster.start_instance("a")
    cluster.start_instance("b")
    on_a, on_b = cluster.raw("sato", 0), cluster.raw("tanaka", 1)
    try:
        for n in range(40):
            (on_a if n % 2 else on_b).send(
                "change_push", change_id=f"c{n}", kind="customer", record_id=f"u{n % 5}", record={"n": n}
            )
        for client in (on_a, on_b):
            seqs = _changes(client, 40)
            # Each client sees all 40, each once, in seq order: it keeps only its highest seq, so a change
            # arriving after a later one would be lost to it.
            assert seqs == sorted(seqs) and len(set(seqs)) == 40
    finally:
        on_a.close()
        on_b.close()
