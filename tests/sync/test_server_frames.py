"""Every kind of frame the server sends, built as the server builds it (sync.protocol Structs in the server's
view, the objects it relays opaque) and encoded by the one codec, reads in a client as the same message it
read when the server built its frames from dicts (issue 19). Both directions of compatibility:

* a frame of this server decodes with the client decoder, keeping the client's fields of opaque objects;
* a frame as the server before wrote it (an envelope dict with the body's keys after it) decodes to exactly
  the same message, so a client of this release reads an older server, and the other way round.
"""

from __future__ import annotations

import json

import msgspec
import pytest

from audio.events import Channel, EventKind
from sync.protocol import (
    PROTOCOL_VERSION,
    Ack,
    Attachment,
    AuditEntry,
    AuditPage,
    Call,
    CallEnded,
    CallEvent,
    CallInfo,
    CallSnapshot,
    CallsPage,
    CallStart,
    CallStartAck,
    CallStarted,
    CallTranscript,
    CallUpdate,
    CallUpdated,
    CallWhispered,
    Change,
    ChangeAck,
    ChangePushed,
    ChangesPage,
    ClientCall,
    EraseReport,
    ErrorFrame,
    Frame,
    Hand,
    HandAck,
    HandChanged,
    JsonObject,
    Page,
    PresenceCall,
    PresencePage,
    PresenceUpdate,
    RecordKind,
    ResumeAck,
    Role,
    ServerCall,
    ServerMessage,
    ServerPresence,
    ServerType,
    ServerWhisper,
    SharedCustomer,
    TranscriptLine,
    Welcome,
    Whisper,
    WhisperAck,
    WhisperPush,
    WhisperReceipt,
    WhisperSend,
    WhispersPage,
    WhisperStatus,
    carried_seq,
    decode_request,
    decode_server_frame,
    encode_frame,
    encode_request,
    from_json,
    json_object,
)

CUSTOMER: JsonObject = {"id": "u1", "name": "田中 太郎", "crm_rank": "gold"}
INFO: JsonObject = {
    "needs_moment": True,
    "board_colour": "red",
    "cards": [{"key": "kb-1", "title": "二重請求の返金", "score_detail": [0.4, 0.2]}],
    "hand": {"raised_at": 5.0, "reason": "返金の上限"},
}
ATTACHMENT: JsonObject = {"kind": "knowledge", "title": "Refunds", "body": "5-7 days", "source": "wiki"}
CALL = ServerCall(
    call_id="c1", team="blue", agent="sato", customer=CUSTOMER, started_at=100.0, info=INFO, last_final="はい"
)
LIVE_CALL = msgspec.structs.replace(CALL, last_whisper_at=150.0)
WHISPER = ServerWhisper(
    whisper_id="w1", agent="sato", seq=3, team="blue", sender="mori", call_id="c1", text="返金を案内して",
    attachment=ATTACHMENT, created_at=140.0, delivered_at=141.0, status=WhisperStatus.DELIVERED,
)  # fmt: skip
CHANGE = Change(
    seq=7, kind=RecordKind.NOTE, record_id="n1", record={"text": "折り返し"}, change_id="ch1", team="blue",
    author="sato", at=120.0,
)  # fmt: skip
PRESENCE = ServerPresence(
    user="sato", role="agent", online=True, online_since=90.0,
    call=PresenceCall(call_id="c1", customer=CUSTOMER, since=100.0),
)  # fmt: skip
LINE = TranscriptLine(
    call_id="c1", channel=Channel.CUSTOMER, kind=EventKind.FINAL, start=1.0, end=2.5, text="請求が二重です",
    segment_id="s1", confidence=0.9, language="ja",
)  # fmt: skip
HAND = Hand(raised_at=5.0, reason="返金の上限")
AUDIT = AuditEntry(seq=1, at=1.0, actor="mori", team="blue", action="monitor_start", target="c1", detail={})


def _plain(value: object) -> object:
    return msgspec.to_builtins(value)


def _old(kind: str, body: JsonObject, ref: str | None = None) -> str:
    """A frame as the server wrote it before: the envelope, then ``ref``, then the body's keys."""
    frame: JsonObject = {"v": PROTOCOL_VERSION, "type": kind, "id": "old-1"}
    if ref is not None:
        frame["ref"] = ref
    frame.update(body)
    return json.dumps(frame, ensure_ascii=False)


def _call_row(call: ServerCall) -> JsonObject:
    """A call as the old store's row: ``last_whisper_at`` only in a live-calls listing."""
    row = _plain(call)
    assert isinstance(row, dict)
    if call.last_whisper_at is None:
        del row["last_whisper_at"]
    return row


def _ack(request: str, body: JsonObject | None = None) -> str:
    return _old("ack", {"request": request, **(body or {})}, ref="r1")


# (name, what the server sends now, the same frame as the old server wrote it, how a client reads it)
CASES: list[tuple[str, ServerMessage, str, object]] = [
    (
        "welcome",
        Welcome(user="sato", role=Role.AGENT, team="blue", server_time=1.5),
        _old("welcome", {"user": "sato", "role": "agent", "team": "blue", "server_time": 1.5}),
        None,
    ),
    (
        "error",
        ErrorFrame(code="not_found", message="no call", ref="r1"),
        _old("error", {"code": "not_found", "message": "no call"}, ref="r1"),
        None,
    ),
    (
        "error without ref",
        ErrorFrame(code="bad_json", message="frame is not valid JSON"),
        _old("error", {"code": "bad_json", "message": "frame is not valid JSON"}),
        None,
    ),
    ("whisper", WhisperPush(whisper=WHISPER), _old("whisper", {"whisper": _plain(WHISPER)}), None),
    (
        "whisper_status",
        WhisperReceipt(whisper_id="w1", status=WhisperStatus.DELIVERED, whisper=WHISPER),
        _old("whisper_status", {"whisper_id": "w1", "status": "delivered", "whisper": _plain(WHISPER)}),
        None,
    ),
    ("change", ChangePushed(change=CHANGE), _old("change", {"change": _plain(CHANGE)}), None),
    ("presence", PresenceUpdate(users=(PRESENCE,)), _old("presence", {"users": [_plain(PRESENCE)]}), None),
    (
        "call_snapshot",
        CallSnapshot(call=CALL, transcript=(LINE,), whispers=(WHISPER,), ref="r1", part=1, more=True),
        _old(
            "call_snapshot",
            {
                "call": _call_row(CALL),
                "transcript": [_plain(LINE)],
                "whispers": [_plain(WHISPER)],
                "part": 1,
                "more": True,
            },
            ref="r1",
        ),
        None,
    ),
    (
        "call started",
        CallStarted(call_id="c1", call=CALL),
        _old("call_event", {"call_id": "c1", "event": "started", "call": _call_row(CALL)}),
        None,
    ),
    (
        "call ended",
        CallEnded(call_id="c1", call=CALL),
        _old("call_event", {"call_id": "c1", "event": "ended", "call": _call_row(CALL)}),
        None,
    ),
    (
        "call transcript",
        CallTranscript(call_id="c1", transcript=LINE),
        _old("call_event", {"call_id": "c1", "event": "transcript", "transcript": _plain(LINE)}),
        None,
    ),
    (
        "call updated",
        CallUpdated(call_id="c1", info=INFO),
        _old("call_event", {"call_id": "c1", "event": "updated", "info": INFO}),
        None,
    ),
    (
        "call whispered",
        CallWhispered(call_id="c1", whisper=WHISPER),
        _old("call_event", {"call_id": "c1", "event": "whispered", "whisper": _plain(WHISPER)}),
        None,
    ),
    (
        "hand",
        HandChanged(call_id="c1", agent="sato", hand=HAND),
        _old("call_event", {"call_id": "c1", "event": "hand", "agent": "sato", "hand": _plain(HAND)}),
        None,
    ),
    ("ack", Ack(ref="r1", request="call_end"), _ack("call_end"), Ack),
    (
        "call_start ack",
        CallStartAck(ref="r1", request="call_start", call=CALL),
        _ack("call_start", {"call": _call_row(CALL)}),
        CallStartAck[SharedCustomer, CallInfo],
    ),
    (
        "raise_hand ack",
        HandAck(ref="r1", request="raise_hand", hand=HAND),
        _ack("raise_hand", {"hand": _plain(HAND)}),
        HandAck,
    ),
    (
        "lowered hand ack",
        HandAck(ref="r1", request="raise_hand"),
        _ack("raise_hand", {"hand": None}),
        HandAck,
    ),
    (
        "whisper_send ack",
        WhisperAck(ref="r1", request="whisper_send", whisper=WHISPER),
        _ack("whisper_send", {"whisper": _plain(WHISPER)}),
        WhisperAck[Attachment],
    ),
    (
        "change_push ack",
        ChangeAck(ref="r1", request="change_push", seq=7, duplicate=True),
        _ack("change_push", {"seq": 7, "duplicate": True}),
        ChangeAck,
    ),
    (
        "resume ack",
        ResumeAck(ref="r1", request="resume", whispers=2, changes=3, more=True),
        _ack("resume", {"whispers": 2, "changes": 3, "more": True}),
        ResumeAck,
    ),
    (
        "erase_customer ack",
        EraseReport(ref="r1", request="erase_customer", customer_id="u1", calls=("c1",), rows={"calls": 1}),
        _ack(
            "erase_customer",
            {"customer_id": "u1", "calls": ["c1"], "rows": {"calls": 1}, "files_cleared": True},
        ),
        EraseReport,
    ),
    (
        "list_calls page",
        CallsPage(ref="r1", request="list_calls", calls=(LIVE_CALL,), more=True),
        _ack("list_calls", {"calls": [_call_row(LIVE_CALL)], "more": True}),
        CallsPage[SharedCustomer, CallInfo],
    ),
    (
        "list_presence page",
        PresencePage(ref="r1", request="list_presence", users=(PRESENCE,)),
        _ack("list_presence", {"users": [_plain(PRESENCE)], "more": False}),
        PresencePage[SharedCustomer],
    ),
    (
        "list_whispers page",
        WhispersPage(ref="r1", request="list_whispers", whispers=(WHISPER,)),
        _ack("list_whispers", {"whispers": [_plain(WHISPER)], "more": False}),
        WhispersPage[Attachment],
    ),
    (
        "feed_since page",
        ChangesPage(ref="r1", request="feed_since", changes=(CHANGE,), more=True),
        _ack("feed_since", {"changes": [_plain(CHANGE)], "more": True}),
        ChangesPage,
    ),
    (
        "audit_query page",
        AuditPage(ref="r1", request="audit_query", entries=(AUDIT,)),
        _ack("audit_query", {"entries": [_plain(AUDIT)], "more": False}),
        AuditPage,
    ),
]


def _read(raw: str, reply_type: object) -> object:
    """The message a client makes of ``raw``: the frame decoder, and for a reply its request's result type."""
    frame = decode_server_frame(raw)
    if reply_type is None:
        return msgspec.structs.replace(frame, id="")
    assert isinstance(frame, Ack)
    return msgspec.structs.replace(from_json(raw, reply_type), id="")


@pytest.mark.parametrize(("name", "frame", "old", "reply_type"), CASES, ids=[c[0] for c in CASES])
def test_a_frame_of_this_server_reads_in_a_client_as_the_old_servers_frame_did(
    name: str, frame: ServerMessage, old: str, reply_type: object
) -> None:
    new = encode_frame(frame).decode()
    assert json.loads(new)["type"] == json.loads(old)["type"]
    assert _read(new, reply_type) == _read(old, reply_type)


def test_a_client_reads_its_fields_of_the_objects_the_server_relays_and_the_server_loses_no_key() -> None:
    snapshot = decode_server_frame(encode_frame(CallSnapshot(call=CALL, whispers=(WHISPER,))).decode())
    assert isinstance(snapshot, CallSnapshot)
    call, whisper = snapshot.call, snapshot.whispers[0]
    assert call.customer is not None and call.customer.name == "田中 太郎"
    assert call.info.needs_moment and call.info.raised_hand == HAND
    assert call.info.cards is not None and call.info.cards[0].title == "二重請求の返金"
    assert whisper.attachment is not None and whisper.attachment.title == "Refunds"
    # What the server relays keeps the keys no client Struct names.
    sent = json.loads(encode_frame(CallStarted(call_id="c1", call=CALL)))
    assert sent["call"]["customer"]["crm_rank"] == "gold" and sent["call"]["info"]["board_colour"] == "red"
    assert json.loads(encode_frame(WhisperPush(whisper=WHISPER)))["whisper"]["attachment"]["source"] == "wiki"


def test_every_frame_class_the_server_can_send_is_covered() -> None:
    def concrete(base: type) -> set[type]:
        found: set[type] = set()
        for cls in base.__subclasses__():
            found |= {cls} | concrete(cls)
        return found

    covered = {type(frame) for _, frame, _, _ in CASES}
    # Page is the shape its subclasses share, never sent as itself.
    assert concrete(Frame) | concrete(CallEvent) - {Page} <= covered | {Page}


def test_the_backplane_reads_what_a_frame_carries_without_decoding_its_payload() -> None:
    assert carried_seq(encode_frame(WhisperPush(whisper=WHISPER))) == (ServerType.WHISPER, 3)
    assert carried_seq(encode_frame(ChangePushed(change=CHANGE))) == (ServerType.CHANGE, 7)
    assert carried_seq(encode_frame(CallUpdated(call_id="c1", info=INFO))) == (ServerType.CALL_EVENT, 0)
    # ... also from a frame an instance of the previous release published.
    assert carried_seq(_old("whisper", {"whisper": _plain(WHISPER)}).encode()) == (ServerType.WHISPER, 3)


def test_the_client_views_name_their_types_and_a_bare_generic_is_refused() -> None:
    assert from_json(json.dumps(_plain(CALL)), ClientCall).info.needs_moment
    for bare in (Call, Whisper):
        with pytest.raises(TypeError):
            from_json("{}", bare)


def test_the_clients_typed_requests_are_the_bytes_it_sent_before_and_the_server_reads_them_opaque() -> None:
    """The other direction: a client sends its SharedCustomer, CallInfo and Attachment as they are (the
    requests are generic over them too); the server reads plain JSON objects, keeping
    keys a newer app added."""
    customer = SharedCustomer(id="u1", name="田中 太郎", tags=("gold",))
    info = CallInfo(cards=(), needs_moment=True)
    attachment = Attachment(kind="knowledge", title="Refunds")
    typed = [
        CallStart(id="r1", call_id="c1", customer=customer),
        CallUpdate(id="r2", call_id="c1", info=info),
        WhisperSend(id="r3", whisper_id="w1", agent="sato", text="返金", attachment=attachment),
    ]
    # What the client sent before: the same objects as plain dicts.
    as_dicts = [
        CallStart(id="r1", call_id="c1", customer=json_object(customer)),
        CallUpdate(id="r2", call_id="c1", info=json_object(info)),
        WhisperSend(id="r3", whisper_id="w1", agent="sato", text="返金", attachment=json_object(attachment)),
    ]
    assert [encode_request(r) for r in typed] == [encode_request(r) for r in as_dicts]
    newer = decode_request(
        '{"v": 1, "type": "call_update", "id": "r4", "call_id": "c1",'
        ' "info": {"needs_moment": true, "mood": 3}}'
    )
    assert isinstance(newer, CallUpdate) and newer.info == {"needs_moment": True, "mood": 3}
    started = decode_request(encode_request(typed[0]))
    assert isinstance(started, CallStart) and started.customer == {
        "id": "u1",
        "name": "田中 太郎",
        "tags": ["gold"],
    }
