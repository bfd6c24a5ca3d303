"""The wire protocol between the desktop app and the team server, without any I/O.

Every frame is one JSON object in a WebSocket text frame: ``{"v": 1, "type": ..., "id": ...}`` plus the fields
of that message type. This module owns the message definitions (one frozen dataclass per client request), the
decoder that turns untrusted text into one of them, and the encoder for server frames. The decoder never
raises anything but :class:`ProtocolError`, which names the problem, so the server can answer a malformed
frame with an error frame and keep going. docs/protocol.md is the human reference and must change together
with this file.
"""

from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import MISSING, dataclass, fields, replace
from enum import StrEnum
from typing import Any, ClassVar, Union

PROTOCOL_VERSION = 1
MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 4000
MAX_NESTING = 32
MAX_HAND_REASON = 200
# Every frame the server sends is at most this many bytes (UTF-8), so a client with the usual default receive
# limit of WebSocket libraries (1 MiB) can read all of them. Longer lists come in pages (``more``), a call
# snapshot in parts; docs/protocol.md, "Limits".
MAX_SERVER_FRAME_BYTES = 2**20
# Objects a client sends that the server keeps and sends on, in UTF-8 bytes of their compact JSON. A call's
# ``info`` is bounded after merging (the server checks it); these bounds keep every server frame that carries
# one of them (or a page of them) under MAX_SERVER_FRAME_BYTES.
MAX_OBJECT_BYTES = {"customer": 16 * 1024, "attachment": 32 * 1024, "record": 128 * 1024, "info": 128 * 1024}
MAX_EVENT_LANGUAGE = 16


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ChangeKind(StrEnum):
    """Shared team data carried by the change feed."""

    CUSTOMER = "customer"
    NOTE = "note"
    FOLLOW_UP = "follow_up"
    KNOWLEDGE = "knowledge"
    CALL_SUMMARY = "call_summary"


class WhisperStatus(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"


class ErrorCode(StrEnum):
    BAD_JSON = "bad_json"
    BAD_VERSION = "bad_version"
    UNKNOWN_TYPE = "unknown_type"
    BAD_FIELD = "bad_field"
    TOO_LARGE = "too_large"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"


class ProtocolError(Exception):
    """A frame that cannot be accepted; ``ref`` is the frame's id when it could be read."""

    def __init__(self, code: ErrorCode, message: str, ref: str | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.ref = ref


# ---------------------------------------------------------------------------------------------------------
# Client -> server requests. Field names are the JSON keys; a field with a default is optional on the wire.


@dataclass(frozen=True, slots=True)
class Request:
    TYPE: ClassVar[str] = ""
    id: str


@dataclass(frozen=True, slots=True)
class Resume(Request):
    """Sent after connecting: replay whispers after ``whisper_after`` and team changes after
    ``feed_after``."""

    TYPE: ClassVar[str] = "resume"
    whisper_after: int = 0
    feed_after: int = 0


@dataclass(frozen=True, slots=True)
class CallStart(Request):
    TYPE: ClassVar[str] = "call_start"
    call_id: str
    customer: dict[str, Any] | None = None
    started_at: float | None = None


@dataclass(frozen=True, slots=True)
class CallEnd(Request):
    TYPE: ClassVar[str] = "call_end"
    call_id: str


@dataclass(frozen=True, slots=True)
class Transcript(Request):
    """One TranscriptEvent (audio/events.py) of the sender's own call, partial or final."""

    TYPE: ClassVar[str] = "transcript"
    call_id: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallUpdate(Request):
    """What else the agent sees on a live call (cues, cards, customer context) for the supervisors following
    it."""

    TYPE: ClassVar[str] = "call_update"
    call_id: str
    info: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RaiseHand(Request):
    """The agent asks the team's supervisors for help on their own live call (``raised``), or lowers the hand;
    ``reason`` is one optional line (at most MAX_HAND_REASON characters)."""

    TYPE: ClassVar[str] = "raise_hand"
    call_id: str
    reason: str | None = None
    raised: bool = True


@dataclass(frozen=True, slots=True)
class Subscribe(Request):
    TYPE: ClassVar[str] = "subscribe"
    call_id: str


@dataclass(frozen=True, slots=True)
class Unsubscribe(Request):
    TYPE: ClassVar[str] = "unsubscribe"
    call_id: str


@dataclass(frozen=True, slots=True)
class ListCalls(Request):
    TYPE: ClassVar[str] = "list_calls"
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ListPresence(Request):
    TYPE: ClassVar[str] = "list_presence"
    offset: int = 0


@dataclass(frozen=True, slots=True)
class WhisperSend(Request):
    """A supervisor's advice to one agent; ``whisper_id`` is chosen by the sender so a retry never
    duplicates."""

    TYPE: ClassVar[str] = "whisper_send"
    whisper_id: str
    agent: str
    text: str
    call_id: str | None = None
    anchor_segment_id: str | None = None
    attachment: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class WhisperDelivered(Request):
    """The agent's client stored the whisper (it is now on the agent's screen)."""

    TYPE: ClassVar[str] = "whisper_delivered"
    whisper_id: str


@dataclass(frozen=True, slots=True)
class WhisperRead(Request):
    TYPE: ClassVar[str] = "whisper_read"
    whisper_id: str


@dataclass(frozen=True, slots=True)
class ListWhispers(Request):
    """Whispers with their status: of one call, or (without ``call_id``) the agent's own or, for supervisors,
    the team's. ``offset`` skips that many (the next page when an answer said ``more``)."""

    TYPE: ClassVar[str] = "list_whispers"
    call_id: str | None = None
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ChangePush(Request):
    """A change to shared team data; ``change_id`` is chosen by the client so a retry never duplicates."""

    TYPE: ClassVar[str] = "change_push"
    change_id: str
    kind: str
    record_id: str
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FeedSince(Request):
    TYPE: ClassVar[str] = "feed_since"
    after: int = 0
    limit: int = 500


@dataclass(frozen=True, slots=True)
class History(Request):
    """Every version of one shared record, oldest first."""

    TYPE: ClassVar[str] = "history"
    kind: str
    record_id: str
    after: int = 0


@dataclass(frozen=True, slots=True)
class AuditQuery(Request):
    TYPE: ClassVar[str] = "audit_query"
    after: int = 0
    limit: int = 200


@dataclass(frozen=True, slots=True)
class EraseCustomer(Request):
    """Erase everything the server holds about one customer of the team (a right-to-erasure request), and the
    calls ``call_ids`` the client knows of (the server adds those it knows). Supervisors and admins."""

    TYPE: ClassVar[str] = "erase_customer"
    customer_id: str
    call_ids: list[Any] | None = None


MAX_ERASE_CALLS = 10_000


REQUEST_TYPES: dict[str, type[Request]] = {
    cls.TYPE: cls
    for cls in (
        Resume, CallStart, CallEnd, Transcript, CallUpdate, Subscribe, Unsubscribe, ListCalls, ListPresence,
        WhisperSend, WhisperDelivered, WhisperRead, ListWhispers, ChangePush, FeedSince, History, AuditQuery,
        RaiseHand, EraseCustomer,
    )
}  # fmt: skip

_ID_FIELDS = {
    "id",
    "call_id",
    "whisper_id",
    "change_id",
    "record_id",
    "agent",
    "anchor_segment_id",
    "customer_id",
}


def _field_types(cls: type[Request]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


_FIELD_TYPES: dict[str, dict[str, Any]] = {name: _field_types(cls) for name, cls in REQUEST_TYPES.items()}
_REQUIRED: dict[str, set[str]] = {
    name: {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    for name, cls in REQUEST_TYPES.items()
}


def _check(name: str, value: Any, annotation: Any, ref: str | None) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = typing.get_args(annotation)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _check(name, value, inner[0], ref)
    base = origin or annotation
    ok: bool
    if base is bool:
        ok = isinstance(value, bool)
    elif base is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**62) <= value <= 2**62
    elif base is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        value = float(value) if ok else value
    elif base is str:
        limit = MAX_ID_LENGTH if name in _ID_FIELDS else MAX_TEXT_LENGTH
        ok = isinstance(value, str) and len(value) <= limit and (name not in _ID_FIELDS or value != "")
        if isinstance(value, str) and len(value) > limit:
            raise ProtocolError(ErrorCode.BAD_FIELD, f"field {name!r} is longer than {limit} characters", ref)
    elif base is dict:
        ok = isinstance(value, dict)
    elif base is list:
        ok = isinstance(value, list)
    else:  # pragma: no cover - a definition above uses a type this checker does not know
        raise AssertionError(f"unsupported annotation {annotation!r}")
    if not ok:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"field {name!r} must be {_describe(annotation)}", ref)
    return value


def _describe(annotation: Any) -> str:
    base = typing.get_origin(annotation) or annotation
    return {str: "a non-empty string", int: "an integer", float: "a number", bool: "true or false",
            dict: "an object", list: "an array"}.get(base, str(annotation))  # fmt: skip


def _text_problem(text: str) -> str | None:
    """Why a string cannot be stored or sent on (None when it can): a lone surrogate is valid JSON
    (``"\ud800"``) but not Unicode, so it could never be encoded again for SQLite or for another client."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"is not valid Unicode (a lone surrogate U+{ord(text[exc.start]):04X} at character {exc.start})"
        )
    return None


def _scan(value: Any, where: str, ref: str | None, depth: int = 0) -> None:
    """Refuse, naming the field, what JSON allows but the server must never store or relay: strings that are
    not Unicode, and NaN or Infinity (Python's JSON reads them, but they are not JSON: every reader of a
    stored copy would fail on it)."""
    if depth > MAX_NESTING:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"field {where!r} is nested too deeply", ref)
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem is not None:
            raise ProtocolError(ErrorCode.BAD_FIELD, f"field {where!r} {problem}", ref)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ProtocolError(
                ErrorCode.BAD_FIELD,
                f"field {where!r} must be a finite number (NaN and Infinity are not JSON)",
                ref,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            if _text_problem(key) is not None:
                raise ProtocolError(
                    ErrorCode.BAD_FIELD, f"a key in field {where!r} is not valid Unicode", ref
                )
            _scan(item, f"{where}.{key[:40]}", ref, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _scan(item, f"{where}[{index}]", ref, depth + 1)


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON, as the server stores and sends it."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"))


def decode_request(raw: str | bytes) -> Request:
    """Validate one client frame and return its typed request. Raises only ProtocolError."""
    if isinstance(raw, bytes):
        raise ProtocolError(ErrorCode.BAD_JSON, "binary frames are not accepted; send JSON in a text frame")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"frame is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_JSON, "frame must be a JSON object")
    raw_id = data.get("id")
    # An id that is not Unicode cannot be echoed in ``ref`` (the reply could not be encoded).
    ref = (
        raw_id
        if isinstance(raw_id, str) and 0 < len(raw_id) <= MAX_ID_LENGTH and _text_problem(raw_id) is None
        else None
    )
    version = data.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise ProtocolError(ErrorCode.BAD_VERSION, f"field 'v' must be {PROTOCOL_VERSION} (an integer)", ref)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_FIELD, "field 'type' must be a string", ref)
    for key, value in data.items():  # before anything is echoed or looked up: e.g. field 'record.name'
        if _text_problem(key) is not None:
            raise ProtocolError(ErrorCode.BAD_FIELD, "a field name is not valid Unicode", ref)
        _scan(value, key, ref)
    cls = REQUEST_TYPES.get(kind)
    if cls is None:
        shown = kind[:40]
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {shown!r}", ref)
    if ref is None:
        raise ProtocolError(
            ErrorCode.BAD_FIELD, "field 'id' must be a non-empty string of at most 128 characters"
        )
    field_types = _FIELD_TYPES[kind]
    unknown = set(data) - set(field_types) - {"v", "type"}
    if unknown:
        raise ProtocolError(
            ErrorCode.BAD_FIELD, f"unknown field {sorted(unknown)[0][:40]!r} for {kind!r}", ref
        )
    missing = _REQUIRED[kind] - set(data)
    if missing:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"missing field {sorted(missing)[0]!r} for {kind!r}", ref)
    values = {
        name: _check(name, data[name], annotation, ref)
        for name, annotation in field_types.items()
        if name in data
    }
    for name, limit in MAX_OBJECT_BYTES.items():
        value = values.get(name)
        if value is not None and json_size(value) > limit:
            raise ProtocolError(
                ErrorCode.BAD_FIELD, f"field {name!r} is larger than {limit // 1024} KiB of JSON", ref
            )
    return _check_semantics(cls(**values))


# The transcript event a client sends: name -> (JSON types, required). Checked, never coerced: a line whose
# text is a number or whose end precedes its start is a client bug to report, not something to guess about.
_EVENT_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "call_id": ((str,), True),
    "channel": ((str,), True),
    "kind": ((str,), True),
    "start": ((int, float), True),
    "end": ((int, float), True),
    "text": ((str,), True),
    "segment_id": ((str,), True),
    "confidence": ((int, float), False),
    "emitted_at": ((int, float), False),
    "language": ((str,), False),
    "revised": ((bool,), False),
    "merged_into": ((str,), False),
}
_EVENT_NAMES = {"start": "a number", "end": "a number", "confidence": "a number", "emitted_at": "a number",
                "revised": "true or false"}  # fmt: skip


def _check_event(event: dict[str, Any], ref: str) -> dict[str, Any]:
    def bad(message: str) -> ProtocolError:
        return ProtocolError(ErrorCode.BAD_FIELD, f"field 'event': {message}", ref)

    for name, (kinds, required) in _EVENT_FIELDS.items():
        value = event.get(name)
        if value is None:
            if required:
                raise bad(f"missing {name!r}")
            continue
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            raise bad(f"{name!r} must be {_EVENT_NAMES.get(name, 'a string')}")
    if event["channel"] not in ("agent", "customer"):
        raise bad("'channel' must be 'agent' or 'customer'")
    if event["kind"] not in ("partial", "final"):
        raise bad("'kind' must be 'partial' or 'final'")
    if len(event["text"]) > MAX_TEXT_LENGTH:
        raise bad(f"'text' is longer than {MAX_TEXT_LENGTH} characters")
    for name in ("segment_id", "call_id"):
        if not event[name] or len(event[name]) > MAX_ID_LENGTH:
            raise bad(f"{name!r} must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    if len(event.get("merged_into") or "") > MAX_ID_LENGTH:
        raise bad(f"'merged_into' is longer than {MAX_ID_LENGTH} characters")
    if len(event.get("language") or "") > MAX_EVENT_LANGUAGE:
        raise bad(f"'language' is longer than {MAX_EVENT_LANGUAGE} characters")
    if event["start"] < 0 or event["end"] < event["start"]:
        raise bad("'start' must be 0 or more and 'end' not before 'start'")
    confidence = event.get("confidence")
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise bad("'confidence' must be between 0 and 1")
    if (event.get("emitted_at") or 0) < 0:
        raise bad("'emitted_at' must not be negative")
    from audio.events import TranscriptEvent

    # Stored and forwarded in its normal form: followers never see a field the sender made up.
    known = {k: v for k, v in event.items() if k in _EVENT_FIELDS and v is not None}
    return TranscriptEvent.from_json(known).to_json()


def _check_semantics(request: Request) -> Request:
    if isinstance(request, ChangePush):
        try:
            ChangeKind(request.kind)
        except ValueError:
            kinds = ", ".join(k.value for k in ChangeKind)
            raise ProtocolError(
                ErrorCode.BAD_FIELD, f"field 'kind' must be one of {kinds}", request.id
            ) from None
    if isinstance(request, History):
        try:
            ChangeKind(request.kind)
        except ValueError:
            raise ProtocolError(
                ErrorCode.BAD_FIELD, "field 'kind' is not a shared record kind", request.id
            ) from None
    if isinstance(request, Transcript):
        event = _check_event(request.event, request.id)
        if event["call_id"] != request.call_id:
            raise ProtocolError(ErrorCode.BAD_FIELD, "event.call_id differs from call_id", request.id)
        return replace(request, event=event)
    if isinstance(request, EraseCustomer) and request.call_ids is not None:
        ids = request.call_ids
        if len(ids) > MAX_ERASE_CALLS or not all(
            isinstance(i, str) and 0 < len(i) <= MAX_ID_LENGTH for i in ids
        ):
            raise ProtocolError(
                ErrorCode.BAD_FIELD,
                f"field 'call_ids' must be at most {MAX_ERASE_CALLS} non-empty strings of at most"
                f" {MAX_ID_LENGTH} characters",
                request.id,
            )
    reason = request.reason if isinstance(request, RaiseHand) else None
    if reason is not None and (len(reason) > MAX_HAND_REASON or any(c in reason for c in "\r\n")):
        raise ProtocolError(
            ErrorCode.BAD_FIELD,
            f"field 'reason' must be one line of at most {MAX_HAND_REASON} characters",
            request.id,
        )
    if isinstance(
        request, Resume | FeedSince | AuditQuery | History | ListCalls | ListPresence | ListWhispers
    ):
        values = [
            getattr(request, n)
            for n in ("whisper_after", "feed_after", "after", "limit", "offset")
            if hasattr(request, n)
        ]
        if any(v < 0 for v in values):
            raise ProtocolError(
                ErrorCode.BAD_FIELD, "sequence numbers and limits must not be negative", request.id
            )
    return request


def encode_request(request: Request) -> str:
    body: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": request.TYPE}
    for f in fields(request):
        value = getattr(request, f.name)
        if value is not None:
            body[f.name] = value
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------------------
# Server -> client frames. They share the envelope; ``ref`` names the request a reply answers.


class ServerType(StrEnum):
    WELCOME = "welcome"
    ACK = "ack"
    ERROR = "error"
    WHISPER = "whisper"
    WHISPER_STATUS = "whisper_status"
    CHANGE = "change"
    PRESENCE = "presence"
    CALL_EVENT = "call_event"
    CALL_SNAPSHOT = "call_snapshot"


@dataclass(frozen=True, slots=True)
class ServerFrame:
    type: ServerType
    id: str
    body: dict[str, Any]
    ref: str | None = None

    def encode(self) -> str:
        frame: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": self.type.value, "id": self.id}
        if self.ref is not None:
            frame["ref"] = self.ref
        frame.update(self.body)
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


_ENVELOPE = {"v", "type", "id", "ref"}


def decode_server_frame(raw: str | bytes) -> ServerFrame:
    """What the client uses on frames from the server; raises only ProtocolError."""
    if isinstance(raw, bytes):
        raise ProtocolError(ErrorCode.BAD_JSON, "binary frame from server")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError(ErrorCode.BAD_JSON, "server frame is not valid JSON") from None
    if not isinstance(data, dict) or data.get("v") != PROTOCOL_VERSION:
        raise ProtocolError(ErrorCode.BAD_VERSION, "server frame has an unknown version")
    try:
        kind = ServerType(str(data.get("type")))
    except ValueError:
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"unknown server frame type {str(data.get('type'))[:40]!r}"
        ) from None
    ref = data.get("ref")
    return ServerFrame(
        type=kind,
        id=str(data.get("id", "")),
        ref=ref if isinstance(ref, str) else None,
        body={k: v for k, v in data.items() if k not in _ENVELOPE},
    )
