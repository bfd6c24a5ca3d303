"""The events the transcription engine hands to the rest of the app.

One definition per concept: assist/, sync/ and desktop/ all consume these types, so they stay small,
frozen and free of any dependency beyond the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    """Which side of the call a piece of audio or text belongs to."""

    AGENT = "agent"
    CUSTOMER = "customer"


class EventKind(StrEnum):
    """A partial hypothesis may still change; a final one is what gets stored (and may be revised once, when
    the speaker's turn is over: see :class:`TranscriptEvent`)."""

    PARTIAL = "partial"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class TranscriptEvent:
    """A piece of transcript for one channel.

    ``start``/``end`` are seconds since the call started (audio time); ``emitted_at`` is seconds since the
    stream started (wall-clock time of the engine), so in real-time replay ``emitted_at - end`` is latency.
    ``segment_id`` is stable across the partials of one utterance and its final, so a view can replace the
    provisional line in place.

    ``revised`` marks the second pass over a finished turn (several finals of one speaker with short pauses
    between them, decoded again as one stretch, which is more accurate than sentence by sentence): the
    turn's first segment comes again as a final with the whole turn's text, start and end, and its other
    segments come again as finals with empty text and ``merged_into`` naming that first segment (where a
    bookmark or a cue on them belongs now). Anyone keeping finals by ``segment_id`` (replacing, and dropping
    empty ones) therefore ends with the revised transcript; ``revised`` only tells them it is a correction,
    not new speech (no latency to measure, nothing new to react to).

    ``corrections`` lists the words the domain lexicon put right in ``text``, each as ``"heard -> word"``
    (``"両金 -> 料金"``), so a reviewer sees what the recognizer wrote: nothing is rewritten silently.
    """

    call_id: str
    channel: Channel
    kind: EventKind
    start: float
    end: float
    text: str
    confidence: float
    segment_id: str
    emitted_at: float = 0.0
    language: str = ""
    revised: bool = False
    merged_into: str = ""
    corrections: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["channel"] = self.channel.value
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> TranscriptEvent:
        return cls(
            call_id=str(data["call_id"]),
            channel=Channel(str(data["channel"])),
            kind=EventKind(str(data["kind"])),
            start=_number(data["start"]),
            end=_number(data["end"]),
            text=str(data["text"]),
            confidence=_number(data.get("confidence", 0.0)),
            segment_id=str(data["segment_id"]),
            emitted_at=_number(data.get("emitted_at", 0.0)),
            language=str(data.get("language", "")),
            revised=bool(data.get("revised", False)),
            merged_into=str(data.get("merged_into", "")),
            corrections=_strings(data.get("corrections")),
        )


def _number(value: object) -> float:
    if not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _strings(value: object) -> tuple[str, ...]:
    if not value:
        return ()
    if not isinstance(value, Iterable):
        raise TypeError(f"expected a list of strings, got {type(value).__name__}")
    return tuple(str(c) for c in value)


class AudioStatusKind(StrEnum):
    DEVICE_LOST = "device_lost"
    DEVICE_RESTORED = "device_restored"
    RECORDING_STOPPED = "recording_stopped"
    SOURCE_ENDED = "source_ended"
    LEVEL = "level"
    LAG = "lag"


@dataclass(frozen=True, slots=True)
class AudioStatusEvent:
    """Something the agent should see about the audio path: a device gone or back, recording stopped,
    the input level of a channel (0..1), or how far transcription lags behind the audio (seconds)."""

    kind: AudioStatusKind
    channel: Channel | None = None
    message: str = ""
    value: float = 0.0
    detail: dict[str, object] = field(default_factory=dict)
