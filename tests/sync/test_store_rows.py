"""The team store's rows are the records clients decode (sync/protocol.py), in the server's view: what a
real TeamStore writes to real SQLite files and reads back encodes to JSON that the clients' view of the same
Struct decodes, and the objects the server keeps opaque (customer, info, attachment) keep every key the
sender put in."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from sync.protocol import (
    AuditEntry,
    Change,
    ClientCall,
    ClientPresence,
    ClientWhisper,
    RecordKind,
    Role,
    SharedCustomer,
    WhisperStatus,
    from_json,
    to_json,
)
from sync.store import TeamStore, User


def test_rows_written_and_read_back_decode_in_the_clients_view_with_every_opaque_key_kept(
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
        # Each row as the server relays it, and the type a client reads it with.
        rows: list[tuple[msgspec.Struct, type]] = [
            (call, ClientCall),
            (store.live_calls("blue")[0], ClientCall),
            (whisper, ClientWhisper),
            (read, ClientWhisper),
            (change, Change),
            (store.audit_since("blue", 0, 100)[0], AuditEntry),
            (store.user_presence(sato), ClientPresence),
            *((entry, ClientPresence) for entry in store.presence("blue")),
        ]
        for row, client_view in rows:
            text = to_json(row)  # raises on anything that is not plain JSON
            from_json(text, client_view)  # raises when a field has the wrong type
        assert read.status is WhisperStatus.READ and read.read_at == 1_700_000_000.0
        assert change.kind is RecordKind.NOTE
        # Objects the server keeps opaque keep every key the sender put in.
        assert whisper.attachment == {"kind": "knowledge", "title": "Refunds", "source": "wiki"}
        live = store.call("call-1")
        assert live is not None and live.info == {"needs_moment": True, "board_colour": "red"}
        assert live.customer == {"id": "cust-1", "name": "Tanaka", "crm_rank": "gold"}
        # ... and the client reads the keys it names.
        seen = from_json(to_json(live), ClientCall)
        assert seen.info.needs_moment and seen.customer == SharedCustomer(id="cust-1", name="Tanaka")
    finally:
        store.close()


def test_a_bare_generic_record_given_to_a_decoder_is_refused_not_read_as_plain_dicts() -> None:
    from sync.protocol import Call, Whisper

    for bare in (Call, Whisper):
        with pytest.raises(TypeError):
            from_json('{"call_id": "c", "whisper_id": "w", "info": {}}', bare)
