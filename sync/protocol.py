"""The wire protocol between the desktop app and the team server, without any I/O.

Every frame is one JSON object in a WebSocket text frame: ``{"v": 1, "type": ..., "id": ...}`` plus the fields of
that message type. This module owns the message definitions (one frozen dataclass per client request), the
decoder that turns untrusted text into one of them, and the encoder for server frames. The decoder never raises
anything but :class:`ProtocolError`, which names the problem, so the server can answer a malformed frame with an
error frame and keep going. docs/protocol.md is the human reference and must change together with this file.
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
    """Sent after connecting: replay whispers after ``whisper_after`` and team changes after ``feed_after``."""

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
    """What else the agent sees on a live call (cues, cards, customer context) for the supervisors following it."""

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


@dataclass(frozen=True, slots=True)
class ListPresence(Request):
    TYPE: ClassVar[str] = "list_presence"


@dataclass(frozen=True, slots=True)
class WhisperSend(Request):
    """A supervisor's advice to one agent; ``whisper_id`` is chosen by the sender so a retry never duplicates."""

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
    """Whispers of one call with their status (supervisor history), or the caller's own whispers (agent)."""

    TYPE: ClassVar[str] = "list_whispers"
    call_id: str | None = None


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


@dataclass(frozen=True, slots=True)
class AuditQuery(Request):
    TYPE: ClassVar[str] = "audit_query"
    after: int = 0
    limit: int = 200


REQUEST_TYPES: dict[str, type[Request]] = {
    cls.TYPE: cls
    for cls in (
        Resume, CallStart, CallEnd, Transcript, CallUpdate, Subscribe, Unsubscribe, ListCalls, ListPresence,
        WhisperSend, WhisperDelivered, WhisperRead, ListWhispers, ChangePush, FeedSince, History, AuditQuery,
        RaiseHand,
    )
}  # fmt: skip

_ID_FIELDS = {"id", "call_id", "whisper_id", "change_id", "record_id", "agent", "anchor_segment_id"}


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
    ref = raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= MAX_ID_LENGTH else None
    if data.get("v") != PROTOCOL_VERSION or isinstance(data.get("v"), bool):
        raise ProtocolError(ErrorCode.BAD_VERSION, f"field 'v' must be {PROTOCOL_VERSION}", ref)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_FIELD, "field 'type' must be a string", ref)
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
    return _check_semantics(cls(**values))


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
        try:
            from audio.events import TranscriptEvent

            event = TranscriptEvent.from_json(request.event)
        except (KeyError, ValueError, TypeError) as exc:
            raise ProtocolError(
                ErrorCode.BAD_FIELD, f"field 'event' is not a transcript event ({exc})", request.id
            ) from None
        if event.call_id != request.call_id:
            raise ProtocolError(ErrorCode.BAD_FIELD, "event.call_id differs from call_id", request.id)
        if (
            len(event.text) > MAX_TEXT_LENGTH
            or not event.segment_id
            or len(event.segment_id) > MAX_ID_LENGTH
            or len(event.merged_into) > MAX_ID_LENGTH
        ):
            raise ProtocolError(ErrorCode.BAD_FIELD, "event text or segment_id out of bounds", request.id)
        if not all(math.isfinite(v) for v in (event.start, event.end, event.confidence, event.emitted_at)):
            raise ProtocolError(
                ErrorCode.BAD_FIELD, "event times and confidence must be finite numbers", request.id
            )
        # Stored and forwarded in its normal form: followers never see a field the sender made up.
        return replace(request, event=event.to_json())
    reason = request.reason if isinstance(request, RaiseHand) else None
    if reason is not None and (len(reason) > MAX_HAND_REASON or any(c in reason for c in "\r\n")):
        raise ProtocolError(
            ErrorCode.BAD_FIELD,
            f"field 'reason' must be one line of at most {MAX_HAND_REASON} characters",
            request.id,
        )
    if isinstance(request, Resume | FeedSince | AuditQuery):
        values = [
            getattr(request, n)
            for n in ("whisper_after", "feed_after", "after", "limit")
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
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


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
