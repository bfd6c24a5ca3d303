"""The server masks personal data even when a client does not redact (defence in depth, issue #16): a card
number, a My Number or a phone number in a transcript line, a whisper, a note or a call summary reaches
neither a follower nor any file of the server's data directory, WAL included."""

from __future__ import annotations

from pathlib import Path

from tests.sync.conftest import RunningServer

CARD = "4111 1111 1111 1111"
MY_NUMBER = "123456789018"  # a valid check digit
PHONE = "090-1234-5678"
OFFICE = "03-5555-0142"
SPOKEN = "ゼロキュウゼロ イチニサンヨン ゴロクナナハチ"  # read out, written in katakana
RAW = [
    CARD,
    CARD.replace(" ", ""),
    MY_NUMBER,
    PHONE,
    PHONE.replace("-", ""),
    OFFICE,
    SPOKEN,
    "イチニサンヨン",
]


def _raw_hits(data_dir: Path) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found = [raw for raw in RAW if raw.encode() in data]
        if found:
            hits[path.name] = found
    return hits


def _line(call_id: str, n: int, text: str, kind: str = "final") -> dict[str, object]:
    return {"call_id": call_id, "channel": "customer", "kind": kind, "start": float(n), "end": n + 0.5,
            "text": text, "confidence": 0.9, "segment_id": f"s{n}"}  # fmt: skip


def test_personal_data_is_masked_before_it_is_stored_or_relayed(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    agent = team_server.raw("sato")
    supervisor = team_server.raw("suzuki")
    try:
        assert (
            agent.request("call_start", call_id="c1", customer={"id": "k1", "name": "Aoki"})["type"] == "ack"
        )
        assert supervisor.request("subscribe", call_id="c1")["type"] == "call_snapshot"
        agent.send("transcript", call_id="c1", event=_line("c1", 1, f"カード番号は {CARD} です", "partial"))
        agent.send("transcript", call_id="c1", event=_line("c1", 1, f"カード番号は {CARD} です"))
        agent.send(
            "transcript", call_id="c1", event=_line("c1", 2, f"マイナンバーは{MY_NUMBER}、電話は{PHONE}")
        )
        agent.send("transcript", call_id="c1", event=_line("c1", 3, f"{SPOKEN}にお願いします"))
        agent.send("call_update", call_id="c1", info={"customer": {"notes": [{"text": f"折り返し {PHONE}"}]}})
        whisper = supervisor.request(
            "whisper_send", whisper_id="w1", agent="sato", call_id="c1", text=f"{OFFICE} に案内して"
        )
        assert whisper["type"] == "ack"
        note = {"id": "n1", "customer_id": "k1", "text": f"カード {CARD} は使えない"}
        summary = {
            "id": "c1",
            "customer_id": "k1",
            "summary": f"携帯 {PHONE} に折り返す",
            "next_action": PHONE,
        }
        for n, (kind, record) in enumerate((("note", note), ("call_summary", summary))):
            assert agent.request("change_push", change_id=f"p{n}", kind=kind, record_id=str(record["id"]),
                                 record=record)["type"] == "ack"  # fmt: skip
        agent.wait_for(lambda f: f["type"] == "whisper")
        supervisor.wait_for(lambda f: f.get("event") == "updated")
        supervisor.wait_for(lambda f: f["type"] == "change" and f["change"]["kind"] == "call_summary")
        snapshot = supervisor.request("subscribe", call_id="c1")
        history = supervisor.request("list_whispers", call_id="c1")

        received = [*agent.frames, *supervisor.frames]
        text = repr(received)
        assert [raw for raw in RAW if raw in text] == []
        assert "[CARD]" in text and "[MY NUMBER]" in text and "[PHONE]" in text
        lines = {line["segment_id"]: line["text"] for line in snapshot["transcript"]}
        assert lines["s1"] == "カード番号は [CARD] です"
        # The line after a card number: any further number is taken for a piece of it, as in the app.
        assert lines["s2"] == "マイナンバーは[MY NUMBER]、電話は[PHONE]"
        assert lines["s3"] == "[PHONE]にお願いします"
        assert history["whispers"][0]["text"] == "[PHONE] に案内して"
        assert snapshot["call"]["customer"] == {"id": "k1", "name": "Aoki"}  # names and ids are not masked
        assert _raw_hits(team_server.data_dir) == {}
    finally:
        agent.close()
        supervisor.close()
