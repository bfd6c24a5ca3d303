"""The team store's rows (sync/store.py's TypedDicts, which the server relays as frame bodies) carry exactly
the fields the clients' Structs (sync/protocol.py) read: a field added on one side and not the other fails
here, before a client silently drops it. Checked on rows a real TeamStore wrote to real SQLite files."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from sync.protocol import (
    AuditEntry,
    Call,
    Change,
    Presence,
    PresenceCall,
    RecordKind,
    Role,
    Whisper,
    WhisperStatus,
)
from sync.store import AuditRow, CallRow, ChangeRow, PresenceCallRow, PresenceRow, TeamStore, User, WhisperRow

PAIRS: list[tuple[type, type[msgspec.Struct]]] = [
    (WhisperRow, Whisper),
    (ChangeRow, Change),
    (CallRow, Call),
    (AuditRow, AuditEntry),
    (PresenceRow, Presence),
    (PresenceCallRow, PresenceCall),
]


@pytest.mark.parametrize(("row", "struct"), PAIRS, ids=[struct.__name__ for _, struct in PAIRS])
def test_each_row_type_has_the_fields_of_the_struct_clients_read(
    row: type, struct: type[msgspec.Struct]
) -> None:
    assert set(row.__annotations__) == set(struct.__struct_fields__)


def test_rows_written_and_read_back_decode_as_the_clients_structs_with_nothing_left_over(
    tmp_path: Path,
) -> None:
    store = TeamStore(tmp_path, clock=lambda: 1_700_000_000.0)
    try:
        store.add_user("sato", Role.AGENT, "blue")
        store.add_user("mori", Role.SUPERVISOR, "blue")
        sato, mori = User("sato", Role.AGENT, "blue"), User("mori", Role.SUPERVISOR, "blue")
        store.connected("c1", "test:1", sato)
        call = store.start_call(sato, "call-1", {"id": "cust-1", "name": "Tanaka", "crm_rank": "gold"}, None)
        store.update_call_info("call-1", {"needs_moment": True, "board_colour": "red"})
        whisper, _ = store.add_whisper(
            whisper_id="w1",
            sender=mori,
            agent="sato",
            text="offer the refund",
            call_id="call-1",
            anchor_segment_id=None,
            attachment={"kind": "knowledge", "title": "Refunds", "source": "wiki"},
        )
        read, _ = store.mark_whisper("w1", WhisperStatus.READ, sato)
        change, _ = store.add_change(
            author=sato, change_id="ch1", kind=RecordKind.NOTE, record_id="n1", record={"text": "called back"}
        )
        rows: list[tuple[object, type[msgspec.Struct]]] = [
            (call, Call),
            (store.live_calls("blue")[0], Call),
            (whisper, Whisper),
            (read, Whisper),
            (change, Change),
            (store.audit_since("blue", 0, 100)[0], AuditEntry),
            (store.user_presence(sato), Presence),
            *((entry, Presence) for entry in store.presence("blue")),
        ]
        for row, struct in rows:
            msgspec.convert(row, type=struct)  # raises when a field has the wrong type
            assert isinstance(row, dict)
            assert set(row) <= set(struct.__struct_fields__), f"{struct.__name__}: {set(row)}"
            json.dumps(row, allow_nan=False)  # what the server relays is plain JSON
        assert read["status"] == "read" and read["read_at"] == 1_700_000_000.0
        # Objects the server keeps opaque keep every key the sender put in them.
        assert whisper["attachment"] == {"kind": "knowledge", "title": "Refunds", "source": "wiki"}
        live = store.call("call-1")
        assert live is not None and live["info"] == {"needs_moment": True, "board_colour": "red"}
        assert live["customer"] == {"id": "cust-1", "name": "Tanaka", "crm_rank": "gold"}
    finally:
        store.close()
