"""The outside audit's reproductions against the team server (issue #16), each over a real server on
127.0.0.1: text that is not Unicode, NaN and Infinity, frames no client can read, loosely typed transcript
lines, and the odd corners of rate limiting, revocation, refused handshakes and whisper listing."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from sync.server import ServerLimits
from sync.store import TeamStore
from tests.sync.conftest import RawClient, RunningServer, wait_until


def _strict_json(raw: str) -> Any:
    """What any other JSON reader does: NaN and Infinity are not JSON."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(raw, parse_constant=refuse)


def _send_text(client: RawClient, text: str) -> None:
    client.ws.send(text)


def _call(server: RunningServer, agent: str = "sato") -> tuple[RawClient, str]:
    client = server.raw(agent)
    call_id = f"call-{agent}"
    assert (
        client.request("call_start", call_id=call_id, customer={"id": "c1", "name": "Aoki"})["type"] == "ack"
    )
    return client, call_id


def _line(call_id: str, n: int, words: str, **extra: Any) -> dict[str, Any]:
    event = {"call_id": call_id, "channel": "customer", "kind": "final", "start": float(n), "end": n + 0.5,
             "text": words, "confidence": 0.9, "segment_id": f"s{n}"}  # fmt: skip
    event.update(extra)
    return event


def test_a_lone_surrogate_is_refused_naming_the_field_and_the_connection_stays_open(
    team_server: RunningServer,
) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    client = team_server.raw("sato")
    try:
        # In the frame's id: the refusal cannot echo it, so it comes without ref, and nothing is closed.
        _send_text(client, '{"v": 1, "type": "list_presence", "id": "a\\ud800"}')
        error = client.wait_for(lambda f: f["type"] == "error")
        assert error["code"] == "bad_field" and error.get("ref") is None
        assert "'id'" in error["message"] and "U+D800" in error["message"]
        # In a stored field: a clear, non-retryable refusal naming it (before: "internal", retried forever).
        frame = {"v": 1, "type": "change_push", "id": "p1", "change_id": "p1", "kind": "customer",
                 "record_id": "c1", "record": {"id": "c1", "name": "x"}}  # fmt: skip
        _send_text(client, json.dumps(frame).replace('"name": "x"', '"name": "A\\udc00oki"'))
        refused = client.reply("p1")
        assert (refused["code"], "'record.name'" in refused["message"]) == ("bad_field", True)
        assert client.request("feed_since", after=0)["changes"] == []
        assert client.request("list_presence")["type"] == "ack"  # still connected and served
    finally:
        client.close()


def test_nan_and_infinity_are_refused_and_never_replayed(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    client, call_id = _call(team_server)
    try:
        for ref, field, text in (
            (
                "u1",
                "info.score",
                '{"v":1,"type":"call_update","id":"u1","call_id":"call-sato","info":{"score":NaN}}',
            ),
            (
                "p1",
                "record.n[1]",
                '{"v":1,"type":"change_push","id":"p1","change_id":"p1","kind":"customer",'
                '"record_id":"c1","record":{"id":"c1","n":[1,Infinity]}}',
            ),
            (
                "s1",
                "customer.age",
                '{"v":1,"type":"call_start","id":"s1","call_id":"c2","customer":{"age":-Infinity}}',
            ),
        ):
            _send_text(client, text)
            error = client.reply(ref)
            assert (
                error["code"] == "bad_field"
                and f"field '{field}' must be a finite number" in error["message"]
            )
        # Nothing non-finite was stored: what a supervisor and a resuming client read is strict JSON.
        with connect(
            team_server.url,
            additional_headers={"Authorization": f"Bearer {team_server.tokens['suzuki']}"},
            proxy=None,
        ) as ws:
            ws.recv(timeout=5)  # welcome
            ws.send(json.dumps({"v": 1, "type": "resume", "id": "r"}))
            ws.send(json.dumps({"v": 1, "type": "subscribe", "id": "sub", "call_id": call_id}))
            frames = [_strict_json(ws.recv(timeout=5))]
            while frames[-1]["type"] != "call_snapshot":
                frames.append(_strict_json(ws.recv(timeout=5)))
        snapshot = frames[-1]
        assert snapshot["call"]["info"] == {} and snapshot["more"] is False
        assert client.request("feed_since", after=0)["changes"] == []
    finally:
        client.close()


def test_transcript_fields_of_the_wrong_type_are_refused_not_coerced(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    client, call_id = _call(team_server)
    supervisor = team_server.raw("suzuki")
    try:
        assert supervisor.request("subscribe", call_id=call_id)["type"] == "call_snapshot"
        bad = {
            "text": _line(call_id, 1, "x", text=-5.0),
            "revised": _line(call_id, 2, "x", revised="yes"),
            "end": _line(call_id, 3, "x", end=1.0),
            "confidence": _line(call_id, 4, "x", confidence="high"),
        }
        for name, event in bad.items():
            error = client.reply(client.send("transcript", call_id=call_id, event=event))
            assert error["code"] == "bad_field" and f"'{name}'" in error["message"], (name, error)
        error = client.reply(client.send("list_presence", v=1.0))
        assert error["code"] == "bad_version"
        client.send("transcript", call_id=call_id, event=_line(call_id, 9, "fine"))
        shown = supervisor.wait_for(lambda f: f.get("event") == "transcript")
        assert shown["transcript"]["text"] == "fine"
        snapshot = supervisor.request("subscribe", call_id=call_id)
        assert [line["text"] for line in snapshot["transcript"]] == ["fine"]
    finally:
        client.close()
        supervisor.close()


def test_every_server_frame_fits_a_client_with_the_default_1_mib_limit(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    client, call_id = _call(team_server)
    try:
        # 30 updates of big, distinct info keys (the audit grew one frame to 5.7 MiB): refused once the merged
        # info would pass its bound.
        refused = 0
        for n in range(30):
            client.send("call_update", call_id=call_id, info={f"k{n}": "あ" * 3900})
        for frame in client.drain(0.5):
            refused += frame.get("code") == "bad_field" and "'info'" in frame.get("message", "")
        assert refused > 0
        # A long call: 300 lines of 4000 Japanese characters (3.4 MiB of transcript).
        for n in range(300):
            client.send("transcript", call_id=call_id, event=_line(call_id, n, "話" * 3999 + str(n % 10)))
        assert (
            client.request("list_presence")["type"] == "ack"
        )  # frames are handled in order: all lines stored
        for n in range(40):
            assert (
                client.request(
                    "change_push",
                    change_id=f"c{n}",
                    kind="customer",
                    record_id=f"r{n}",
                    record={"id": f"r{n}", "notes": ["メモ" * 1900] * 10},
                )["type"]
                == "ack"
            )
        # A supervisor whose client keeps websockets' default 1 MiB receive limit (RawClient does).
        supervisor = team_server.raw("suzuki")
        try:
            ref = supervisor.send("subscribe", call_id=call_id)
            parts = [supervisor.wait_for(lambda f: f.get("ref") == ref and f.get("part") == 0)]
            while parts[-1]["more"]:
                n = len(parts)
                parts.append(supervisor.wait_for(lambda f, n=n: f.get("ref") == ref and f.get("part") == n))
            lines = [line for part in parts for line in part["transcript"]]
            assert len(parts) > 1
            assert [line["segment_id"] for line in lines] == [f"s{n}" for n in range(300)]
            changes: list[dict[str, Any]] = []
            while True:
                page = supervisor.request(
                    "feed_since", after=changes[-1]["seq"] if changes else 0, limit=1000
                )
                changes += page["changes"]
                if not page["more"]:
                    break
            assert [c["record_id"] for c in changes] == [f"r{n}" for n in range(40)]
            sizes = [
                len(json.dumps(f, ensure_ascii=False, separators=(",", ":")).encode())
                for f in supervisor.frames
            ]
            assert max(sizes) <= 2**20  # websockets' default max_size
        finally:
            supervisor.close()
    finally:
        client.close()


def test_rate_limited_refusals_name_the_frame(team_server: RunningServer) -> None:
    team_server.thread.server.limits = ServerLimits(rate_per_second=5, rate_burst=5)
    team_server.add_user("sato", "agent", "tokyo")
    client = team_server.raw("sato")
    try:
        ids = [client.send("list_presence", id=f"f{n}") for n in range(20)]
        wait_until(lambda: sum(f.get("ref") in ids for f in client.drain(0.1)) == len(ids), what="20 replies")
        limited = [f for f in client.frames if f.get("code") == "rate_limited"]
        assert limited and all(f["ref"] in ids for f in limited)
    finally:
        client.close()


def test_a_revoked_supervisor_is_cut_off_within_a_second(team_server: RunningServer) -> None:
    server = team_server  # with the default limits: what a real server does
    agent: RawClient | None = None
    supervisor: RawClient | None = None
    try:
        server.add_user("sato", "agent", "tokyo")
        server.add_user("suzuki", "supervisor", "tokyo")
        agent, call_id = _call(server)
        supervisor = server.raw("suzuki")
        store = TeamStore(server.data_dir)
        store.revoke_user("suzuki")
        store.close()
        revoked_at = time.monotonic()
        sent = [supervisor.send("whisper_send", whisper_id=f"w{n}", agent="sato", call_id=call_id, text="hi")
                for n in range(5)]  # fmt: skip
        with pytest.raises(ConnectionClosed) as closed:
            supervisor.wait_for(lambda frame: False, timeout=10)
        assert time.monotonic() - revoked_at < 1.5  # 0.5 s checks; the slack is for a loaded machine
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        accepted = [f for f in supervisor.frames if f.get("ref") in sent and f["type"] == "ack"]
        assert accepted == []
        assert agent.request("list_whispers")["whispers"] == []
    finally:
        for client in (agent, supervisor):
            if client is not None:
                client.close()


def test_a_missing_token_is_audited_and_counted(team_server: RunningServer) -> None:
    team_server.add_user("root", "admin", "tokyo")
    with pytest.raises(InvalidStatus):
        connect(team_server.url, proxy=None, open_timeout=5)
    with urllib.request.urlopen(f"http://127.0.0.1:{team_server.thread.port}/health", timeout=5) as response:
        assert json.loads(response.read())["auth_failed"] == 1
    admin = team_server.raw("root")
    try:
        entries = admin.request("audit_query", after=0)["entries"]
        assert [(e["action"], e["detail"]["reason"]) for e in entries] == [
            ("login_failed", "no Authorization header")
        ]
    finally:
        admin.close()


def test_a_supervisor_lists_the_teams_whispers_without_a_call_id(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    team_server.add_user("kim", "supervisor", "seoul")
    agent, call_id = _call(team_server)
    supervisor = team_server.raw("suzuki")
    other = team_server.raw("kim")
    try:
        for n, call in enumerate((call_id, None)):
            fields = {"call_id": call} if call else {}
            assert supervisor.request("whisper_send", whisper_id=f"w{n}", agent="sato", text=f"tip {n}",
                                      **fields)["type"] == "ack"  # fmt: skip
        listed = supervisor.request("list_whispers")
        assert [w["text"] for w in listed["whispers"]] == ["tip 0", "tip 1"] and listed["more"] is False
        assert other.request("list_whispers")["whispers"] == []
    finally:
        agent.close()
        supervisor.close()
        other.close()
