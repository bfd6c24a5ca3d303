"""Erasing a customer from a client file (sync.client.purge_file, as the erasure feed runs it): the queued
frames and received whispers about the customer go, read as the protocol's typed requests and records;
everything else stays. Checked on a real client SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from audio.events import Channel, EventKind
from sync.client import CLIENT_SCHEMA, purge_file
from sync.protocol import (
    CallEnd,
    CallStart,
    ChangePush,
    ClientWhisper,
    EraseCustomer,
    RecordKind,
    Transcript,
    TranscriptLine,
    WhisperRead,
    encode_request,
    to_json,
)


def _line(call_id: str) -> TranscriptLine:
    return TranscriptLine(
        call_id=call_id, channel=Channel.CUSTOMER, kind=EventKind.FINAL, start=0.0, end=1.0,
        text="住所は東京です", segment_id="s1",
    )  # fmt: skip


def test_purge_drops_the_customers_frames_and_whispers_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "client.sqlite3"
    queued = {
        "start": CallStart(id="start", call_id="c-other", customer={"id": "cust-9", "name": "佐藤"}),
        "line": Transcript(id="line", call_id="c-9", event=_line("c-9")),
        "end": CallEnd(id="end", call_id="c-9"),
        "note": ChangePush(id="note", change_id="n1", kind=RecordKind.NOTE, record_id="n1",
                           record={"customer_id": "cust-9", "text": "折り返し"}),
        "profile": ChangePush(id="profile", change_id="p1", kind=RecordKind.CUSTOMER, record_id="cust-9",
                              record={"name": "佐藤"}),
        "summary": ChangePush(id="summary", change_id="s1", kind=RecordKind.CALL_SUMMARY, record_id="c-9",
                              record={"text": "返金"}),
        "read": WhisperRead(id="read:w-9", whisper_id="w-9"),
        "erase": EraseCustomer(id="erase", customer_id="cust-9", call_ids=["c-9"]),
        "other line": Transcript(id="other line", call_id="c-1", event=_line("c-1")),
        "other note": ChangePush(id="other note", change_id="n2", kind=RecordKind.NOTE, record_id="n2",
                                 record={"customer_id": "cust-1", "text": "ok"}),
    }  # fmt: skip
    whispers = {
        "w-9": ClientWhisper(whisper_id="w-9", seq=1, call_id="c-9", text="返金を案内"),
        "w-1": ClientWhisper(whisper_id="w-1", seq=2, call_id="c-1", text="保留を短く"),
    }
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.executescript(CLIENT_SCHEMA)
        for request in queued.values():
            db.execute("INSERT INTO outbox (id, frame) VALUES (?, ?)", (request.id, encode_request(request)))
        # A frame no version of the protocol reads (the server would refuse it): it never leaves, so it goes.
        db.execute("INSERT INTO outbox (id, frame) VALUES (?, ?)", ("broken", '{"v": 1, "type": "nope"}'))
        for wid, whisper in whispers.items():
            db.execute(
                "INSERT INTO whispers (whisper_id, seq, body) VALUES (?, ?, ?)", (wid, 1, to_json(whisper))
            )
    finally:
        db.close()

    purge_file(path, "cust-9", ["c-9"])

    db = sqlite3.connect(path)
    try:
        left = {row[0] for row in db.execute("SELECT id FROM outbox")}
        kept_whispers = {row[0] for row in db.execute("SELECT whisper_id FROM whispers")}
    finally:
        db.close()
    assert left == {"erase", "other line", "other note"}
    assert kept_whispers == {"w-1"}
