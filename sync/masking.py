"""The team server masks personal data in whatever it stores or relays (defence in depth).

The app redacts what customers say before it leaves the PC (assist/redaction.py). The server cannot rely on
that: an older client, a script or a client written from docs/protocol.md may send raw text. So every request
that carries free text goes through the same patterns here before it is stored, audited or fanned out:

* free text (a transcript line, a whisper, a note, a follow-up, a call summary, a raised hand's reason, and
  the ``text``/``summary``/``next_action``/``reason`` values inside a call's ``info`` or a record): card
  numbers, security codes, My Number **and phone numbers**;
* every other string of an object a client sends (``customer``, ``info``, ``record``, ``attachment``): card
  numbers, security codes and My Number. Ids (``id``, ``*_id``) and the fields that are meant to hold a phone
  number or an address (``phone``, ``phones``, ``email``) are left as they are: they identify the customer,
  and erasure (``erase_customer``) is how they leave the server.

Knowledge entries are team reference text, not customer data: their phone numbers (a help desk's) stay.
A transcript keeps one :class:`Redactor` per call, so a card number read out over two lines is caught as in
the app.
"""

from __future__ import annotations

from msgspec.structs import replace

from assist.redaction import RedactionPolicy, Redactor
from audio.events import EventKind
from sync.protocol import (
    CallStart,
    CallUpdate,
    ChangePush,
    JsonObject,
    RaiseHand,
    RecordKind,
    Request,
    Transcript,
    WhisperSend,
)

FREE_TEXT = RedactionPolicy(phones=True)
STRUCTURED = RedactionPolicy(phones=False, emails=False)
FREE_TEXT_KEYS = frozenset({"text", "summary", "next_action", "reason"})
UNMASKED_KEYS = frozenset({"id", "phone", "phones", "email"})


def mask_text(text: str, policy: RedactionPolicy = FREE_TEXT) -> str:
    return Redactor(policy).redact(text, remember=False).text


def mask_object(value: JsonObject, free_text_keys: frozenset[str] = FREE_TEXT_KEYS) -> JsonObject:
    """``value`` with every string masked: free text under ``free_text_keys``, the rest for cards and My
    Number."""
    masked = _mask(value, free_text_keys, "")
    assert isinstance(masked, dict)
    return masked


def _mask(value: object, free_text_keys: frozenset[str], key: str) -> object:
    if isinstance(value, str):
        if key in UNMASKED_KEYS or key.endswith("_id"):
            return value
        return mask_text(value, FREE_TEXT if key in free_text_keys else STRUCTURED)
    if isinstance(value, dict):
        return {k: _mask(v, free_text_keys, k) for k, v in value.items()}
    if isinstance(value, list):
        # A list keeps the meaning of its key: the phones of "phones", the lines of a "text" list.
        return [_mask(v, free_text_keys, key) for v in value]
    return value


class Masker:
    """Masks requests before the server acts on them; keeps each live call's transcript redactor."""

    def __init__(self) -> None:
        self._calls: dict[str, Redactor] = {}

    def call_ended(self, call_id: str) -> None:
        self._calls.pop(call_id, None)

    def mask(self, request: Request) -> Request:
        if isinstance(request, Transcript):
            redactor = self._calls.setdefault(request.call_id, Redactor(FREE_TEXT))
            event = request.event
            text = redactor.redact(event.text, remember=event.kind is EventKind.FINAL).text
            return request if text == event.text else replace(request, event=replace(event, text=text))
        if isinstance(request, WhisperSend):
            attachment = None if request.attachment is None else mask_object(request.attachment, frozenset())
            return replace(request, text=mask_text(request.text), attachment=attachment)
        if isinstance(request, ChangePush):
            keys = frozenset() if request.kind is RecordKind.KNOWLEDGE else FREE_TEXT_KEYS
            return replace(request, record=mask_object(request.record, keys))
        if isinstance(request, CallUpdate):
            return replace(request, info=mask_object(request.info))
        if isinstance(request, CallStart) and request.customer is not None:
            return replace(request, customer=mask_object(request.customer))
        if isinstance(request, RaiseHand) and request.reason is not None:
            return replace(request, reason=mask_text(request.reason))
        return request
