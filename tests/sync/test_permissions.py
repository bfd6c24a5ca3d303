"""Role x action x ownership: every request is refused unless the role, the team and the ownership allow it,
and nothing of one team's calls, whispers or data reaches anyone who may not see it."""

from __future__ import annotations

import json
from typing import Any

from tests.sync.conftest import RawClient, RunningServer

USERS = {
    "sato": ("agent", "tokyo"),
    "tanaka": ("agent", "tokyo"),
    "suzuki": ("supervisor", "tokyo"),
    "ito": ("admin", "tokyo"),
    "kimura": ("agent", "osaka"),
    "honda": ("supervisor", "osaka"),
}

SECRET_WHISPER = "秘密の助言: offer the Lite plan"
SECRET_NOTE = "顧客は解約を検討中 (tokyo only)"
SECRET_LINE = "カード番号の件で電話しました"


def _event(call_id: str, segment: str, text: str, kind: str = "final") -> dict[str, Any]:
    return {"call_id": call_id, "channel": "customer", "kind": kind, "start": 0.0, "end": 1.0, "text": text,
            "confidence": 0.9, "segment_id": segment}  # fmt: skip


def _outcome(client: RawClient, type_: str, **fields: Any) -> str:
    reply = client.request(type_, **fields)
    return "ok" if reply["type"] in ("ack", "call_snapshot") else str(reply["code"])


def test_role_action_ownership_matrix_with_zero_unauthorised_deliveries(team_server: RunningServer) -> None:
    for name, (role, team) in USERS.items():
        team_server.add_user(name, role, team)
    c = {name: team_server.raw(name) for name in USERS}
    try:
        assert _outcome(c["sato"], "call_start", call_id="call-A", customer={"id": "cust-1"}) == "ok"
        assert _outcome(c["kimura"], "call_start", call_id="call-K") == "ok"
        c["sato"].send("transcript", call_id="call-A", event=_event("call-A", "s1", SECRET_LINE))

        whisper_ok = {"whisper_id": "w-1", "agent": "sato", "text": SECRET_WHISPER, "call_id": "call-A"}
        cases: list[tuple[str, str, dict[str, Any], str]] = [
            # Calls: only agents publish, and only their own calls.
            ("suzuki", "call_start", {"call_id": "call-S"}, "forbidden"),
            ("ito", "call_start", {"call_id": "call-I"}, "forbidden"),
            ("tanaka", "call_start", {"call_id": "call-A"}, "forbidden"),
            ("tanaka", "call_end", {"call_id": "call-A"}, "forbidden"),
            ("tanaka", "call_update", {"call_id": "call-A", "info": {"cue": "x"}}, "forbidden"),
            (
                "tanaka",
                "transcript",
                {"call_id": "call-A", "event": _event("call-A", "t1", "forged line")},
                "forbidden",
            ),
            (
                "kimura",
                "transcript",
                {"call_id": "call-A", "event": _event("call-A", "k1", "forged line")},
                "not_found",
            ),
            ("kimura", "call_start", {"call_id": "call-A"}, "conflict"),
            (
                "sato",
                "transcript",
                {"call_id": "call-A", "event": _event("call-B", "s2", "mismatch")},
                "bad_field",
            ),
            # Monitoring: supervisors and admins of the call's team only.
            ("tanaka", "subscribe", {"call_id": "call-A"}, "forbidden"),
            ("kimura", "subscribe", {"call_id": "call-A"}, "forbidden"),
            ("honda", "subscribe", {"call_id": "call-A"}, "not_found"),
            ("suzuki", "subscribe", {"call_id": "call-K"}, "not_found"),
            ("suzuki", "subscribe", {"call_id": "call-A"}, "ok"),
            ("ito", "subscribe", {"call_id": "call-A"}, "ok"),
            ("sato", "list_calls", {}, "forbidden"),
            ("honda", "list_whispers", {"call_id": "call-A"}, "not_found"),
            # Whispers: supervisors to agents of their own team, about that agent's call.
            ("sato", "whisper_send", {**whisper_ok, "whisper_id": "w-self"}, "forbidden"),
            ("tanaka", "whisper_send", {**whisper_ok, "whisper_id": "w-peer"}, "forbidden"),
            ("honda", "whisper_send", {**whisper_ok, "whisper_id": "w-osaka"}, "forbidden"),
            (
                "suzuki",
                "whisper_send",
                {**whisper_ok, "whisper_id": "w-x", "agent": "kimura", "call_id": None},
                "forbidden",
            ),
            (
                "suzuki",
                "whisper_send",
                {**whisper_ok, "whisper_id": "w-sup", "agent": "ito", "call_id": None},
                "forbidden",
            ),
            (
                "suzuki",
                "whisper_send",
                {**whisper_ok, "whisper_id": "w-wrongcall", "agent": "tanaka"},
                "forbidden",
            ),
            ("suzuki", "whisper_send", whisper_ok, "ok"),
            (
                "suzuki",
                "whisper_send",
                {**whisper_ok, "whisper_id": "w-1", "agent": "tanaka", "call_id": None},
                "conflict",
            ),
            # Receipts: only the recipient.
            ("tanaka", "whisper_read", {"whisper_id": "w-1"}, "not_found"),
            ("kimura", "whisper_delivered", {"whisper_id": "w-1"}, "not_found"),
            ("suzuki", "whisper_read", {"whisper_id": "w-1"}, "forbidden"),
            ("sato", "whisper_read", {"whisper_id": "w-1"}, "ok"),
            # Shared data: the team's own; knowledge only by supervisors; notes append-only.
            (
                "sato",
                "change_push",
                {"change_id": "ch-1", "kind": "note", "record_id": "n-1", "record": {"text": SECRET_NOTE}},
                "ok",
            ),
            (
                "tanaka",
                "change_push",
                {"change_id": "ch-2", "kind": "note", "record_id": "n-1", "record": {"text": "edit"}},
                "conflict",
            ),
            (
                "sato",
                "change_push",
                {"change_id": "ch-3", "kind": "knowledge", "record_id": "k-1", "record": {"q": "x"}},
                "forbidden",
            ),
            (
                "suzuki",
                "change_push",
                {"change_id": "ch-4", "kind": "knowledge", "record_id": "k-1", "record": {"q": "x"}},
                "ok",
            ),
            (
                "sato",
                "change_push",
                {"change_id": "ch-5", "kind": "secrets", "record_id": "x", "record": {}},
                "bad_field",
            ),
            # Audit: admins only.
            ("suzuki", "audit_query", {}, "forbidden"),
            ("sato", "audit_query", {}, "forbidden"),
            ("honda", "audit_query", {}, "forbidden"),
            ("ito", "audit_query", {}, "ok"),
        ]
        mismatches = []
        for actor, type_, fields, expected in cases:
            got = _outcome(c[actor], type_, **{k: v for k, v in fields.items() if v is not None})
            if got != expected:
                mismatches.append(f"{actor} {type_} {fields}: expected {expected}, got {got}")
        assert not mismatches, "\n".join(mismatches)

        # Osaka's board is empty of Tokyo's calls; Tokyo's supervisor sees call-A only.
        assert [call["call_id"] for call in c["honda"].request("list_calls")["calls"]] == ["call-K"]
        assert [call["call_id"] for call in c["suzuki"].request("list_calls")["calls"]] == ["call-A"]
        osaka_feed = c["kimura"].request("feed_since", after=0)["changes"]
        assert osaka_feed == []
        audit = c["ito"].request("audit_query")["entries"]
        actions = {(e["actor"], e["action"]) for e in audit}
        assert {
            ("suzuki", "monitor_start"),
            ("suzuki", "whisper_sent"),
            ("sato", "whisper_read"),
            ("sato", "data_change"),
        } <= actions
        assert all(e["team"] in ("tokyo", "-") for e in audit)

        # Everything each connection ever received: secrets only where they belong.
        frames = {name: client.drain(0.3) for name, client in c.items()}
        # Error messages may echo what the sender itself sent, never what it may not know.
        received = {
            name: json.dumps([f for f in got if f["type"] != "error"], ensure_ascii=False)
            for name, got in frames.items()
        }
        for name in ("kimura", "honda"):
            errors = json.dumps([f for f in frames[name] if f["type"] == "error"], ensure_ascii=False)
            assert "belongs" not in errors and SECRET_LINE not in errors and SECRET_WHISPER not in errors
        for name in ("kimura", "honda"):
            for secret in (SECRET_WHISPER, SECRET_NOTE, SECRET_LINE, "call-A", "cust-1", "sato"):
                assert secret not in received[name], f"{name} received {secret!r}"
        for name in ("tanaka", "suzuki", "ito", "kimura", "honda"):
            assert '"type":"whisper"' not in received[name].replace(" ", ""), (
                f"{name} received a whisper frame"
            )
        assert SECRET_WHISPER in received["sato"]
        for name in ("tanaka", "kimura"):
            assert SECRET_LINE not in received[name] and "call_event" not in received[name]
        assert SECRET_LINE in received["suzuki"] and SECRET_LINE in received["ito"]
        assert SECRET_NOTE in received["tanaka"]  # a teammate's note is on every teammate's screen
        assert "forged line" not in received["suzuki"]
    finally:
        for client in c.values():
            client.close()
