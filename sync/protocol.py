"""The wire protocol between the desktop app and the team server, without any I/O.

Every frame is one JSON object in a WebSocket text frame: ``{"v": 1, "type": ..., "id": ...}`` plus the
fields of that message type. This module owns the message definitions (one msgspec Struct per message,
tagged by its ``type``, and one per payload inside them), and the one codec that turns untrusted text into
one of them and them into text. The decoder never raises anything but :class:`ProtocolError`, which names
the problem, so the server can answer a malformed frame with an error frame and keep going. docs/protocol.md
is the human reference and must change together with this file.

msgspec validates while it parses (types, lengths, ranges, unknown fields): a well-formed frame is read in one
pass. Only a frame it refuses as JSON is read again with the standard library, to say *where* the problem is
(a lone surrogate, NaN): the slow path is for the bad frames, never for the good ones.
"""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from typing import Annotated, ClassVar, Final, Generic, Self

import msgspec
from msgspec import Meta, Struct, field
from typing_extensions import TypeVar

from audio.events import Channel, EventKind, TranscriptEvent

PROTOCOL_VERSION: Final = 1
MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 4000
MAX_NESTING = 32
MAX_HAND_REASON = 200
MAX_ERASE_CALLS = 10_000
# Every frame the server sends is at most this many bytes (UTF-8), so a client with the usual default receive
# limit of WebSocket libraries (1 MiB) can read all of them. Longer lists come in pages (``more``), a call
# snapshot in parts; docs/protocol.md, "Limits".
MAX_SERVER_FRAME_BYTES = 2**20
# Objects a client sends that the server keeps and sends on, in UTF-8 bytes of their compact JSON. A call's
# ``info`` is bounded after merging (the server checks it); these bounds keep every server frame that carries
# one of them (or a page of them) under MAX_SERVER_FRAME_BYTES.
MAX_OBJECT_BYTES = {"customer": 16 * 1024, "attachment": 32 * 1024, "record": 128 * 1024, "info": 128 * 1024}
MAX_EVENT_LANGUAGE = 16

# Field types with their wire limits (docs/protocol.md, "Frames"): msgspec checks them while parsing.
Id = Annotated[str, Meta(min_length=1, max_length=MAX_ID_LENGTH)]
Text = Annotated[str, Meta(max_length=MAX_TEXT_LENGTH)]
Count = Annotated[int, Meta(ge=0, le=2**62)]
Number = Annotated[float, Meta(ge=-(2.0**62), le=2.0**62)]
# A client's own object the server keeps and relays without reading it (a customer, a record, an attachment):
# any JSON object, bounded in size and depth. Its ``object`` values are JSON values (msgspec decodes them so).
JsonObject = dict[str, object]


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class RecordKind(StrEnum):
    """The kinds of shared team record the change feed carries (not assist.domain.ChangeKind, which names what
    changed about a customer since their last call)."""

    CUSTOMER = "customer"
    NOTE = "note"
    FOLLOW_UP = "follow_up"
    KNOWLEDGE = "knowledge"
    CALL_SUMMARY = "call_summary"
    # The server's own entry when a customer is erased (record: customer_id, call_ids; no personal data):
    # every client drops its local copy. Clients cannot push it (erase_customer makes it).
    ERASURE = "erasure"


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


def _version() -> int:
    # A factory, not a plain default: msgspec's omit_defaults then still writes "v" into every frame.
    return PROTOCOL_VERSION


class TranscriptLine(Struct, frozen=True, kw_only=True):
    """A transcript event on the wire (audio.events.TranscriptEvent without its local-only ``corrections``).
    Unknown fields are dropped: followers receive this normal form."""

    call_id: Id
    channel: Channel
    kind: EventKind
    start: Annotated[float, Meta(ge=0.0, le=2.0**62)]
    end: Annotated[float, Meta(ge=0.0, le=2.0**62)]
    text: Text
    segment_id: Id
    confidence: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.0
    emitted_at: Annotated[float, Meta(ge=0.0, le=2.0**62)] = 0.0
    language: Annotated[str, Meta(max_length=MAX_EVENT_LANGUAGE)] = ""
    revised: bool = False
    merged_into: Annotated[str, Meta(max_length=MAX_ID_LENGTH)] = ""

    @classmethod
    def of(cls, event: TranscriptEvent) -> TranscriptLine:
        return cls(
            call_id=event.call_id, channel=event.channel, kind=event.kind, start=event.start, end=event.end,
            text=event.text, segment_id=event.segment_id, confidence=event.confidence,
            emitted_at=event.emitted_at, language=event.language, revised=event.revised,
            merged_into=event.merged_into,
        )  # fmt: skip

    def event(self) -> TranscriptEvent:
        return TranscriptEvent(
            call_id=self.call_id, channel=self.channel, kind=self.kind, start=self.start, end=self.end,
            text=self.text, confidence=self.confidence, segment_id=self.segment_id,
            emitted_at=self.emitted_at, language=self.language, revised=self.revised,
            merged_into=self.merged_into,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# The shapes the app puts inside a call's ``customer`` and ``info`` and a whisper's ``attachment`` (requests
# and records below are generic over them). Clients read them leniently: unknown fields are ignored, so a
# newer server or app can add one without breaking an older reader.


class Hand(Struct, frozen=True, kw_only=True):
    """An agent's raised hand on a live call (the server keeps it in the call's ``info``)."""

    raised_at: float
    reason: str = ""


class SharedNote(Struct, frozen=True, kw_only=True):
    text: str
    author: str = ""
    when: str = ""
    kind: str = "context"
    pinned: bool = False


class SharedCustomer(Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The customer as the agent's app shares it with the call (only the phone number of a new caller)."""

    id: str = ""
    name: str = ""
    phone: str = ""
    company: str = ""
    tags: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    notes: tuple[SharedNote, ...] = ()


class SharedCard(Struct, frozen=True, kw_only=True):
    """A suggestion card the agent is seeing."""

    key: str
    title: str
    kind: str = "knowledge"
    body: str = ""
    matched_terms: tuple[str, ...] = ()
    reason: str = ""
    entry_id: str = ""
    pushed_by: str = ""


class SharedCue(Struct, frozen=True, kw_only=True):
    """A cue the agent's app noticed (the board counts frustration and anger from these)."""

    kind: str
    trigger: str = ""
    segment_id: str = ""


class CallInfo(Struct, frozen=True, kw_only=True):
    """What the agent sees besides the transcript, as the app publishes it (``call_update``) and followers
    read it: ``cards`` is None until the app shared its cards. ``hand`` is written by the server only
    (``raise_hand``): the app never sends it, so publishing the info never lowers a hand."""

    customer: SharedCustomer | None = None
    cards: tuple[SharedCard, ...] | None = None
    cues: tuple[SharedCue, ...] = ()
    # A hard call (anger, repeated frustration, long): the supervisors see only that (docs/protocol.md).
    needs_moment: bool = False
    hand: Hand | msgspec.UnsetType | None = msgspec.UNSET

    @property
    def raised_hand(self) -> Hand | None:
        return self.hand if isinstance(self.hand, Hand) else None


class Attachment(Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What a whisper carries besides its text: a team knowledge entry pushed to the agent's cards
    (``kind`` "knowledge"), or the "coming" answer to a raised hand (``kind`` "coming")."""

    kind: str = ""
    entry_id: str = ""
    title: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()


class KnowledgeRecord(Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A shared record of kind ``knowledge``: team reference text supervisors keep."""

    title: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    language: str = ""  # "ja", "en"; empty: read from the title
    aliases: tuple[str, ...] = ()  # other ways customers name it (the agents' matcher uses them)
    deleted: bool = False


# The objects a client sends that the server keeps and relays without reading them: a call's ``customer`` and
# ``info``, a whisper's ``attachment``. Clients read them as the Structs above; the server holds them as plain
# JSON objects (JsonObject), so what it relays keeps every key the sender put in, also keys this version does
# not name. The records and frames that carry them are generic over them: one definition, two views.
# - ``Call`` (and ``Whisper``, ...) written bare in an annotation is the clients' view (the default).
# - The server writes ``Call[JsonObject, JsonObject]`` (``ServerCall``, ...; sync/store.py's rows are these).
# - msgspec does not apply a TypeVar's default: a decoder must name the view (``Call[SharedCustomer,
#   CallInfo]``, or the aliases ``ClientCall``, ...). Each bound is a union of two object types, which msgspec
#   refuses, so a bare generic given to a decoder raises TypeError instead of silently decoding plain dicts.
CustomerT = TypeVar("CustomerT", bound=SharedCustomer | JsonObject, default=SharedCustomer)
InfoT = TypeVar("InfoT", bound=CallInfo | JsonObject, default=CallInfo)
AttachmentT = TypeVar("AttachmentT", bound=Attachment | JsonObject, default=Attachment)


# ---------------------------------------------------------------------------------------------------------
# Client -> server requests. Field names are the JSON keys; a field with a default is optional on the wire.


class Request(
    Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True, tag_field="type"
):
    TYPE: ClassVar[str] = ""
    v: int = field(default_factory=_version)
    id: Id


class Resume(Request, tag="resume", frozen=True):
    """Sent after connecting: replay whispers after ``whisper_after``, team changes after ``feed_after``."""

    whisper_after: Count = 0
    feed_after: Count = 0


class CallStart(Request, Generic[CustomerT], tag="call_start", frozen=True):
    call_id: Id
    customer: CustomerT | None = None
    started_at: Number | None = None
    # The change-feed seq the sender had read when it wrote this (see ChangePush.seen).
    seen: Count | None = None


class CallEnd(Request, tag="call_end", frozen=True):
    call_id: Id


class Transcript(Request, tag="transcript", frozen=True):
    """One transcript line of the sender's own call, partial or final."""

    call_id: Id
    event: TranscriptLine


class CallUpdate(Request, Generic[InfoT], tag="call_update", frozen=True):
    """What else the agent sees on a live call (cues, cards, customer context) for the supervisors following
    it; merged key by key into the call's info (a key set to null removes it)."""

    call_id: Id
    info: InfoT


class RaiseHand(Request, tag="raise_hand", frozen=True):
    """The agent asks the team's supervisors for help on their own live call (``raised``), or lowers the hand;
    ``reason`` is one optional line (at most MAX_HAND_REASON characters)."""

    call_id: Id
    reason: Annotated[str, Meta(max_length=MAX_HAND_REASON, pattern=r"^[^\r\n]*$")] | None = None
    raised: bool = True


class Subscribe(Request, tag="subscribe", frozen=True):
    call_id: Id


class Unsubscribe(Request, tag="unsubscribe", frozen=True):
    call_id: Id


class ListCalls(Request, tag="list_calls", frozen=True):
    offset: Count = 0


class ListPresence(Request, tag="list_presence", frozen=True):
    offset: Count = 0


class WhisperSend(Request, Generic[AttachmentT], tag="whisper_send", frozen=True):
    """A supervisor's advice to one agent; ``whisper_id`` is the sender's, so a retry never duplicates."""

    whisper_id: Id
    agent: Id
    text: Text
    call_id: Id | None = None
    anchor_segment_id: Id | None = None
    attachment: AttachmentT | None = None
    # The change-feed seq the sender had read when it wrote this (see ChangePush.seen).
    seen: Count | None = None


class WhisperDelivered(Request, tag="whisper_delivered", frozen=True):
    """The agent's client stored the whisper (it is now on the agent's screen)."""

    whisper_id: Id


class WhisperRead(Request, tag="whisper_read", frozen=True):
    whisper_id: Id


class ListWhispers(Request, tag="list_whispers", frozen=True):
    """Whispers with their status: of one call, or (without ``call_id``) the agent's own or, for supervisors,
    the team's. ``offset`` skips that many (the next page when an answer said ``more``)."""

    call_id: Id | None = None
    offset: Count = 0


class ChangePush(Request, tag="change_push", frozen=True):
    """A change to shared team data; ``change_id`` is chosen by the client so a retry never duplicates."""

    change_id: Id
    kind: RecordKind
    record_id: Id
    record: JsonObject
    # The change-feed seq the sender had read when it made the change. A change about a customer or call
    # erased by a later feed entry is refused (it was made before its client knew of the erasure); missing
    # counts as 0 (docs/protocol.md, "Erasure and retention").
    seen: Count | None = None


class FeedSince(Request, tag="feed_since", frozen=True):
    after: Count = 0
    limit: Count = 500


class History(Request, tag="history", frozen=True):
    """Every version of one shared record, oldest first."""

    kind: RecordKind
    record_id: Id
    after: Count = 0


class AuditQuery(Request, tag="audit_query", frozen=True):
    after: Count = 0
    limit: Count = 200


class EraseCustomer(Request, tag="erase_customer", frozen=True):
    """Erase everything the server holds about one customer of the team (a right-to-erasure request), and the
    calls ``call_ids`` the client knows of (the server adds those it knows). Supervisors and admins."""

    customer_id: Id
    call_ids: Annotated[list[Id], Meta(max_length=MAX_ERASE_CALLS)] | None = None


AnyRequest = (
    Resume | CallStart | CallEnd | Transcript | CallUpdate | RaiseHand | Subscribe | Unsubscribe | ListCalls
    | ListPresence | WhisperSend | WhisperDelivered | WhisperRead | ListWhispers | ChangePush | FeedSince
    | History | AuditQuery | EraseCustomer
)  # fmt: skip


def _tag(cls: type[Struct]) -> str:
    tag = cls.__struct_config__.tag
    assert isinstance(tag, str), cls
    return tag


REQUEST_TYPES: dict[str, type[Request]] = {}
for _cls in (
    Resume, CallStart, CallEnd, Transcript, CallUpdate, RaiseHand, Subscribe, Unsubscribe, ListCalls,
    ListPresence, WhisperSend, WhisperDelivered, WhisperRead, ListWhispers, ChangePush, FeedSince, History,
    AuditQuery, EraseCustomer,
):  # fmt: skip
    _cls.TYPE = _tag(_cls)
    REQUEST_TYPES[_cls.TYPE] = _cls
# The server reads the objects it relays in its own view: plain JSON objects, every key kept.
_SERVER_VIEW: dict[type[Request], object] = {
    CallStart: CallStart[JsonObject],
    CallUpdate: CallUpdate[JsonObject],
    WhisperSend: WhisperSend[JsonObject],
}
_REQUEST_DECODERS = {
    name: msgspec.json.Decoder(_SERVER_VIEW.get(cls, cls)) for name, cls in REQUEST_TYPES.items()
}
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
_OBJECT_FIELDS = tuple(MAX_OBJECT_BYTES)


class _Envelope(Struct):
    """The three fields every frame has, read first (loosely) so a refusal can say what is wrong with them."""

    v: object = None
    type: object = None
    id: object = None


_ENVELOPE_DECODER = msgspec.json.Decoder(_Envelope)
_ENCODER = msgspec.json.Encoder()


def json_size(value: object) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON, as the server stores and sends it."""
    return len(_ENCODER.encode(value))


def to_json(value: object) -> str:
    """``value`` (a Struct, or plain JSON values) as compact JSON text, as the server stores it."""
    return _ENCODER.encode(value).decode()


S = TypeVar("S")


def from_json(text: str | bytes, kind: type[S]) -> S:
    """A stored JSON text read back as ``kind``; ValueError (naming where) when it is not one."""
    try:
        return msgspec.json.decode(text, type=kind)
    except msgspec.MsgspecError as exc:
        raise ValueError(str(exc)) from None


def convert(value: object, kind: type[S]) -> S:
    """Plain JSON values (e.g. a stored row's columns) as ``kind``, checked; ValueError when they are not."""
    try:
        return msgspec.convert(value, kind)
    except msgspec.MsgspecError as exc:
        raise ValueError(str(exc)) from None


def json_object(value: Struct) -> JsonObject:
    """A Struct as the plain JSON object it is on the wire (to send it inside another message)."""
    result = msgspec.to_builtins(value)
    assert isinstance(result, dict)
    return result


def _usable_ref(raw_id: object) -> str | None:
    # An id that is not Unicode cannot be echoed in ``ref`` (the reply could not be encoded).
    if isinstance(raw_id, str) and 0 < len(raw_id) <= MAX_ID_LENGTH and _text_problem(raw_id) is None:
        return raw_id
    return None


def frame_id(raw: str | bytes) -> str | None:
    """The id of a frame the server will not process (rate limited), so the refusal can name it in ``ref``."""
    if isinstance(raw, bytes):
        return None
    try:
        return _usable_ref(_ENVELOPE_DECODER.decode(raw).id)
    except (msgspec.MsgspecError, UnicodeEncodeError, RecursionError):
        return None


def decode_request(raw: str | bytes) -> Request:
    """Validate one client frame and return its typed request. Raises only ProtocolError."""
    if isinstance(raw, bytes):
        raise ProtocolError(ErrorCode.BAD_JSON, "binary frames are not accepted; send JSON in a text frame")
    try:
        envelope = _ENVELOPE_DECODER.decode(raw)
    except msgspec.ValidationError:  # valid JSON, but not an object
        raise ProtocolError(ErrorCode.BAD_JSON, "frame must be a JSON object") from None
    except (msgspec.DecodeError, UnicodeEncodeError, RecursionError):
        raise _diagnose(raw) from None
    ref = _usable_ref(envelope.id)
    kind = _check_envelope(envelope.v, envelope.type, ref)
    cls = REQUEST_TYPES.get(kind)
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}", ref)
    if ref is None:
        raise ProtocolError(
            ErrorCode.BAD_FIELD, "field 'id' must be a non-empty string of at most 128 characters"
        )
    try:
        request = _REQUEST_DECODERS[kind].decode(raw)
    except msgspec.ValidationError as exc:
        raise _refusal(str(exc), kind, ref) from None
    except (msgspec.DecodeError, UnicodeEncodeError, RecursionError):  # pragma: no cover - read before
        raise _diagnose(raw) from None
    return _check_semantics(request)


def encode_request(request: Request) -> str:
    return _ENCODER.encode(request).decode()


def _check_envelope(version: object, kind: object, ref: str | None) -> str:
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise ProtocolError(ErrorCode.BAD_VERSION, f"field 'v' must be {PROTOCOL_VERSION} (an integer)", ref)
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_FIELD, "field 'type' must be a string", ref)
    return kind


# "Expected `str` of length >= 1 - at `$.call_id`" and its kin, as a sentence that names the field.
_MSGSPEC_ERROR = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_EXPECTED = re.compile(r"^Expected `(?P<type>[a-z]+)(?: \| null)?`(?P<rest>.*)$", re.DOTALL)
_DESCRIPTIONS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
                 "object": "an object", "array": "an array"}  # fmt: skip


def _refusal(text: str, kind: str, ref: str) -> ProtocolError:
    match = _MSGSPEC_ERROR.match(text)
    assert match is not None  # the pattern matches any text
    what, path = match["what"], (match["path"] or "").lstrip(".")
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    named = re.search(r"field `([^`]*)`", what)
    if what.startswith("Object missing required field") and named:
        problem = f"missing field {named[1]!r}"
        return ProtocolError(ErrorCode.BAD_FIELD, f"{problem} for {kind!r}" if not path else
                             f"field {path!r}: {problem}", ref)  # fmt: skip
    if what.startswith("Object contains unknown field") and named:
        return ProtocolError(ErrorCode.BAD_FIELD, f"unknown field {named[1][:40]!r} for {kind!r}", ref)
    expected = _EXPECTED.match(what)
    if what.startswith("Invalid enum value") and name == "kind":
        problem = "must be one of " + ", ".join(k.value for k in RecordKind)
    elif what.startswith("Invalid enum value"):
        problem = "has a value this protocol does not know (" + what.split("value ", 1)[-1][:40] + ")"
    elif expected is None:
        problem = what[:1].lower() + what[1:]
    elif name in _ID_FIELDS and expected["type"] == "str":
        problem = f"must be a non-empty string of at most {MAX_ID_LENGTH} characters"
    elif "of length >= 1" in expected["rest"]:
        problem = "must be a non-empty string"
    elif "of length <=" in expected["rest"]:
        limit = expected["rest"].split("<=")[-1].strip()
        unit = "entries" if expected["type"] == "array" else "characters"
        problem = f"is longer than {limit} {unit}"
    elif expected["rest"].startswith(" >= 0"):
        problem = "must not be negative"
    elif expected["rest"].startswith(" matching regex"):
        problem = "must be one line"
    elif expected["rest"].startswith(", got") or not expected["rest"]:
        problem = f"must be {_DESCRIPTIONS.get(expected['type'], expected['type'])}"
    else:  # a range: "Expected `float` <= 1.0"
        problem = f"must be {_DESCRIPTIONS.get(expected['type'], expected['type'])}{expected['rest']}"
    top, _, inner = path.partition(".")
    where = f"field {top!r}: {inner!r}" if inner else f"field {path or '?'!r}"
    return ProtocolError(ErrorCode.BAD_FIELD, f"{where} {problem}", ref)


def _diagnose(raw: str) -> ProtocolError:
    """Why msgspec refused ``raw`` as JSON, naming the field where it can: Python's reader also accepts lone
    surrogates and NaN or Infinity, which JSON allows or does not forbid clearly but the server must never
    store or relay (every reader of a stored copy would fail on it)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return ProtocolError(ErrorCode.BAD_JSON, f"frame is not valid JSON ({type(exc).__name__})")
    if not isinstance(data, dict):
        return ProtocolError(ErrorCode.BAD_JSON, "frame must be a JSON object")
    ref = _usable_ref(data.get("id"))
    try:
        _check_envelope(data.get("v"), data.get("type"), ref)
        for key, value in data.items():
            if _text_problem(key) is not None:
                raise ProtocolError(ErrorCode.BAD_FIELD, "a field name is not valid Unicode", ref)
            _scan(value, key, ref)
    except ProtocolError as exc:
        return exc
    return ProtocolError(ErrorCode.BAD_JSON, "frame is not valid JSON", ref)  # pragma: no cover


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


def _scan(value: object, where: str, ref: str | None, depth: int = 0) -> None:
    """Refuse, naming the field, a string that is not Unicode or a number that is not finite."""
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


def _too_deep(value: object, depth: int = 0) -> bool:
    if depth > MAX_NESTING:
        return True
    if isinstance(value, dict):
        return any(_too_deep(item, depth + 1) for item in value.values())
    if isinstance(value, list):
        return any(_too_deep(item, depth + 1) for item in value)
    return False


def _check_semantics(request: Request) -> Request:
    """What the types cannot say: size and depth of the client's own objects, the transcript line's order."""
    for name in _OBJECT_FIELDS:
        value = getattr(request, name, None)
        if value is None:
            continue
        if _too_deep(value):
            raise ProtocolError(ErrorCode.BAD_FIELD, f"field {name!r} is nested too deeply", request.id)
        limit = MAX_OBJECT_BYTES[name]
        if json_size(value) > limit:
            raise ProtocolError(
                ErrorCode.BAD_FIELD, f"field {name!r} is larger than {limit // 1024} KiB of JSON", request.id
            )
    if isinstance(request, Transcript):
        event = request.event
        if event.end < event.start:
            raise ProtocolError(
                ErrorCode.BAD_FIELD, "field 'event': 'end' must not be before 'start'", request.id
            )
        if event.call_id != request.call_id:
            raise ProtocolError(ErrorCode.BAD_FIELD, "event.call_id differs from call_id", request.id)
    return request


# ---------------------------------------------------------------------------------------------------------
# The records the server keeps and sends (docs/protocol.md, "Records"), generic over the objects above.


class Whisper(Struct, Generic[AttachmentT], frozen=True, kw_only=True):
    whisper_id: str
    agent: str = ""
    seq: int = 0
    team: str = ""
    sender: str = ""
    call_id: str | None = None
    text: str = ""
    anchor_segment_id: str | None = None
    attachment: AttachmentT | None = None
    created_at: float = 0.0
    delivered_at: float | None = None
    read_at: float | None = None
    status: WhisperStatus = WhisperStatus.SENT


class Change(Struct, frozen=True, kw_only=True):
    """One version of a shared record in the team's change feed; ``seq`` is the server's order."""

    seq: int
    kind: RecordKind
    record_id: str
    record: JsonObject
    change_id: str = ""
    team: str = ""
    author: str = ""
    at: float = 0.0


class Call(Struct, Generic[CustomerT, InfoT], frozen=True, kw_only=True):
    """A live (or ended) call as the server keeps it; ``info`` is always sent (``{}`` before any update)."""

    call_id: str
    team: str = ""
    agent: str = ""
    customer: CustomerT | None = None
    started_at: float = 0.0
    ended_at: float | None = None
    info: InfoT
    last_final: str = ""
    last_whisper_at: float | None = None


class PresenceCall(Struct, Generic[CustomerT], frozen=True, kw_only=True):
    call_id: str
    customer: CustomerT | None = None
    since: float | None = None


class Presence(Struct, Generic[CustomerT], frozen=True, kw_only=True):
    user: str
    role: str = ""
    online: bool = False
    online_since: float | None = None
    call: PresenceCall[CustomerT] | None = None


class AuditEntry(Struct, frozen=True, kw_only=True):
    seq: int
    at: float = 0.0
    actor: str = ""
    team: str = ""
    action: str = ""
    target: str = ""
    detail: JsonObject = {}


class Erasure(Struct, frozen=True, kw_only=True):
    """The record of an ``erasure`` entry of the change feed: a customer erased on the team server (ids only).
    Every client drops its copy (docs/protocol.md, "Erasure and retention")."""

    customer_id: str
    call_ids: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------------------
# Server -> client frames, as the client reads them. They share the envelope; ``ref`` names the request a
# reply answers. Call events are told apart by their ``event`` (their ``type`` is always "call_event").


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


class Frame(Struct, frozen=True, kw_only=True, tag_field="type"):
    v: int = field(default_factory=_version)
    id: str = ""


class Welcome(Frame, tag="welcome", frozen=True):
    user: str
    role: Role
    team: str
    server_time: float = 0.0
    # What this server understands beyond protocol version 1's first release (SERVER_FEATURES). A client
    # leaves out of its frames the optional fields an older server (which sends none) would refuse.
    features: tuple[str, ...] = ()


FEATURE_SEEN = "seen"
"""The server reads ``seen`` on change_push, call_start and whisper_send (docs/protocol.md, "Erasure")."""
SERVER_FEATURES: tuple[str, ...] = (FEATURE_SEEN,)


class Ack(Frame, tag="ack", frozen=True, kw_only=True):
    """A reply; its result fields depend on ``request``: the subclasses below (all of type "ack") are the
    replies that carry some, and the client reads a reply with the one its request gets."""

    ref: str = ""
    request: str = ""

    def answering(self, frame_id: str, request: Request) -> Self:
        """This reply with its envelope: its own id, and the request it answers."""
        return msgspec.structs.replace(self, id=frame_id, ref=request.id, request=request.TYPE)


class CallStartAck(Ack, Generic[CustomerT, InfoT], tag="ack", frozen=True):
    call: Call[CustomerT, InfoT]


class HandAck(Ack, tag="ack", frozen=True):
    """The reply to ``raise_hand``: the hand as stored (None once lowered)."""

    hand: Hand | None = None


class WhisperAck(Ack, Generic[AttachmentT], tag="ack", frozen=True):
    whisper: Whisper[AttachmentT]


class ChangeAck(Ack, tag="ack", frozen=True):
    """The reply to ``change_push``: the change's place in the feed; ``duplicate`` when it was a retry."""

    seq: int
    duplicate: bool = False


class ResumeAck(Ack, tag="ack", frozen=True):
    """How many whispers and changes were replayed before this reply, and whether to ask again for more."""

    whispers: int = 0
    changes: int = 0
    more: bool = False


class EraseReport(Ack, tag="ack", frozen=True):
    """The server's answer to ``erase_customer``."""

    customer_id: str
    calls: tuple[str, ...] = ()
    rows: dict[str, int] = {}
    files_cleared: bool = True
    # Where the server keeps its data: "sqlite" (files it rebuilds itself) or "postgresql" (the database's own
    # files, log and backups are its operator's to reclaim: files_cleared is then always false).
    database: str = "sqlite"


class Page(Ack, tag="ack", frozen=True, kw_only=True):
    """A reply with one page of a list; ``more``: ask again with ``offset`` (or ``after``) for the rest."""

    more: bool = False


class CallsPage(Page, Generic[CustomerT, InfoT], tag="ack", frozen=True):
    calls: tuple[Call[CustomerT, InfoT], ...] = ()


class PresencePage(Page, Generic[CustomerT], tag="ack", frozen=True):
    users: tuple[Presence[CustomerT], ...] = ()


class WhispersPage(Page, Generic[AttachmentT], tag="ack", frozen=True):
    whispers: tuple[Whisper[AttachmentT], ...] = ()


class ChangesPage(Page, tag="ack", frozen=True):
    changes: tuple[Change, ...] = ()


class AuditPage(Page, tag="ack", frozen=True):
    entries: tuple[AuditEntry, ...] = ()


class ErrorFrame(Frame, tag="error", frozen=True):
    code: str
    message: str = ""
    ref: str | None = None


class WhisperPush(Frame, Generic[AttachmentT], tag="whisper", frozen=True):
    whisper: Whisper[AttachmentT]


class WhisperReceipt(Frame, Generic[AttachmentT], tag="whisper_status", frozen=True):
    """A whisper this user sent was stored, delivered or read."""

    whisper_id: str
    status: WhisperStatus
    whisper: Whisper[AttachmentT] | None = None


class ChangePushed(Frame, tag="change", frozen=True):
    change: Change


class PresenceUpdate(Frame, Generic[CustomerT], tag="presence", frozen=True):
    users: tuple[Presence[CustomerT], ...] = ()


class CallSnapshot(Frame, Generic[CustomerT, InfoT, AttachmentT], tag="call_snapshot", frozen=True):
    """A followed call so far (one part of it: the client joins the parts before anyone sees it)."""

    call: Call[CustomerT, InfoT]
    transcript: tuple[TranscriptLine, ...] = ()
    whispers: tuple[Whisper[AttachmentT], ...] = ()
    ref: str | None = None
    part: int = 0
    more: bool = False


def _call_event_type() -> str:
    return ServerType.CALL_EVENT.value


class CallEvent(Struct, frozen=True, kw_only=True, tag_field="event"):
    type: str = field(default_factory=_call_event_type)
    v: int = field(default_factory=_version)
    id: str = ""
    call_id: str


class CallStarted(CallEvent, Generic[CustomerT, InfoT], tag="started", frozen=True):
    call: Call[CustomerT, InfoT]


class CallEnded(CallEvent, Generic[CustomerT, InfoT], tag="ended", frozen=True):
    call: Call[CustomerT, InfoT] | None = None


class CallTranscript(CallEvent, tag="transcript", frozen=True):
    transcript: TranscriptLine


class CallUpdated(CallEvent, Generic[InfoT], tag="updated", frozen=True):
    info: InfoT


class CallWhispered(CallEvent, Generic[AttachmentT], tag="whispered", frozen=True):
    whisper: Whisper[AttachmentT]


class HandChanged(CallEvent, tag="hand", frozen=True):
    agent: str = ""
    hand: Hand | None = None


# The clients' view, spelled out for decoders (msgspec does not apply a TypeVar's default; see CustomerT).
ClientCall = Call[SharedCustomer, CallInfo]
ClientWhisper = Whisper[Attachment]
ClientPresence = Presence[SharedCustomer]
# The server's view: the objects it relays stay as the sender wrote them.
ServerCall = Call[JsonObject, JsonObject]
ServerWhisper = Whisper[JsonObject]
ServerPresence = Presence[JsonObject]

AnyCallEvent = (
    CallStarted[SharedCustomer, CallInfo] | CallEnded[SharedCustomer, CallInfo] | CallTranscript
    | CallUpdated[CallInfo] | CallWhispered[Attachment] | HandChanged
)  # fmt: skip
AnyFrame = (
    Welcome | Ack | ErrorFrame | WhisperPush[Attachment] | WhisperReceipt[Attachment] | ChangePushed
    | PresenceUpdate[SharedCustomer] | CallSnapshot[SharedCustomer, CallInfo, Attachment]
)  # fmt: skip
# Everything the server sends, as it builds them (sync/server.py): one of the frames above, in its own view.
ServerMessage = Frame | CallEvent


class _ServerEnvelope(Struct):
    type: str = ""


_SERVER_ENVELOPE = msgspec.json.Decoder(_ServerEnvelope)
_FRAME_DECODER = msgspec.json.Decoder(AnyFrame)
_CALL_EVENT_DECODER = msgspec.json.Decoder(AnyCallEvent)


def decode_server_frame(raw: str | bytes) -> AnyFrame | AnyCallEvent:
    """What the client uses on frames from the server; raises only ProtocolError."""
    if isinstance(raw, bytes):
        raise ProtocolError(ErrorCode.BAD_JSON, "binary frame from server")
    try:
        kind = _SERVER_ENVELOPE.decode(raw).type
        if kind == ServerType.CALL_EVENT:
            return _CALL_EVENT_DECODER.decode(raw)
        return _FRAME_DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"server frame: {exc}") from None
    except (msgspec.DecodeError, UnicodeEncodeError, RecursionError):
        raise ProtocolError(ErrorCode.BAD_JSON, "server frame is not valid JSON") from None


def encode_frame(frame: ServerMessage) -> bytes:
    """A server frame as the UTF-8 JSON text sent to every receiver (encoded once per frame)."""
    return _ENCODER.encode(frame)


class _Seq(Struct):
    seq: int = 0


class _Carried(Struct):
    type: str = ""
    whisper: _Seq | None = None
    change: _Seq | None = None


_CARRIED = msgspec.json.Decoder(_Carried)


def carried_seq(data: bytes) -> tuple[str, int]:
    """The type of an encoded server frame and the ``seq`` of the whisper or change it carries (0 for any
    other frame): what an instance needs to relay a frame another instance encoded (sync/backplane.py)."""
    carried = _CARRIED.decode(data)
    item = carried.whisper if carried.type == ServerType.WHISPER else carried.change
    return carried.type, 0 if item is None else item.seq
