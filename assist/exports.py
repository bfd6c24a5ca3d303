"""Taking calls out of the app: transcripts as TXT, SRT, WebVTT and JSON, the call list as CSV for Excel, and
everything held about one customer as a single ZIP archive (personal-information requests).

Why these formats: TXT for reading and pasting into tickets, SRT/VTT so a transcript plays as subtitles beside
the recording in any media player, JSON for other tools (and it reads back losslessly), CSV because team leads
live in Excel, which only reads Japanese correctly from CSV when the file starts with a UTF-8 BOM. The SRT,
VTT and JSON readers here exist so exports are proven to round-trip, and so a transcript edited in a subtitle
editor can be read back.

Speaker labels are plain data passed in by the caller (the desktop translates them); the defaults are English.

Supervisor whispers belong to the call's record and go with it: in JSON as a ``whispers`` list (text, author,
sent, delivered and read times, the line they point at), in TXT as marked lines after the line they point at
(or at the time they were sent), in WebVTT as NOTE blocks (players do not show them, readers skip them), and
in the call list CSV as a count. SRT has no comments, so an SRT file stays the spoken transcript only.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from assist import paths
from assist.domain import CallRecord, Segment, WhisperRecord, system_clock, utc_iso
from assist.dynamics import stored_figures
from assist.history import CallFilter, CallHistory, CallListItem
from assist.spreadsheet import write_csv
from assist.store import Store

DEFAULT_LABELS: Mapping[str, str] = {
    "agent": "Agent",
    "customer": "Customer",
    "whisper": "Whisper",
    "read": "read",
    "unread": "not read",
}
JA_LABELS: Mapping[str, str] = {
    "agent": "オペレーター",
    "customer": "お客様",
    "whisper": "ささやき",
    "read": "既読",
    "unread": "未読",
}


class TranscriptFormat(StrEnum):
    TXT = "txt"
    SRT = "srt"
    VTT = "vtt"
    JSON = "json"


class ExportError(Exception):
    """An export or import could not be done; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """A line read back from an exported transcript."""

    channel: str
    start: float
    end: float
    text: str


def _one_line(text: str) -> str:
    # Subtitle blocks end at a blank line; a transcript line never needs more than one line of text.
    return " ".join(text.split())


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{3})")


def _parse_clock(text: str, where: str) -> float:
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise ExportError(f"{where}: not a subtitle time: {text!r}")
    hours, minutes, secs, millis = (int(g or 0) for g in m.groups())
    return (((hours * 60 + minutes) * 60 + secs) * 1000 + millis) / 1000


def _label(channel: str, labels: Mapping[str, str]) -> str:
    return labels.get(channel, channel)


def _channel(label: str, labels: Mapping[str, str]) -> str:
    for channel, name in labels.items():
        if name == label:
            return channel
    return label


def _seconds_between(start: str, moment: str) -> float | None:
    try:
        return (datetime.fromisoformat(moment) - datetime.fromisoformat(start)).total_seconds()
    except ValueError:
        return None


def _placed_whispers(
    call: CallRecord, segments: Sequence[Segment], whispers: Iterable[WhisperRecord]
) -> list[tuple[float, int, WhisperRecord]]:
    """Each whisper with its place on the call's time axis: right after the line it points at, else at the
    time it was sent (from the call's start). The middle number keeps a whisper after its line."""
    starts = {s.segment_id: s.start for s in segments}
    placed = []
    for w in whispers:
        if w.segment_id and w.segment_id in starts:
            placed.append((starts[w.segment_id], 1, w))
        else:
            offset = _seconds_between(call.started_at, w.sent_at) if call.started_at and w.sent_at else None
            placed.append((max(0.0, offset or 0.0), 1, w))
    return placed


def _whisper_text(w: WhisperRecord, labels: Mapping[str, str]) -> str:
    read = (
        f"{labels.get('read', 'read')} {w.read_at[11:19]}" if w.read_at else labels.get("unread", "not read")
    )
    author = f"{w.author}, " if w.author else ""
    return f"{labels.get('whisper', 'Whisper')} ({author}{read}): {_one_line(w.text)}"


def transcript_txt(
    call: CallRecord,
    segments: Sequence[Segment],
    labels: Mapping[str, str] = DEFAULT_LABELS,
    customer_name: str = "",
    whispers: Iterable[WhisperRecord] = (),
) -> str:
    head = [f"# {call.id}", f"# {call.started_at} - {call.ended_at}".rstrip(" -")]
    who = " / ".join(x for x in (customer_name, call.customer_id or "", call.agent) if x)
    if who:
        head.append(f"# {who}")
    if call.summary:
        head.append(f"# {_one_line(call.summary)}")
    lines: list[tuple[float, int, str]] = [
        (s.start, 0, f"[{_clock(s.start, '.')[:-4]}] {_label(s.channel, labels)}: {_one_line(s.text)}")
        for s in segments
    ]
    for at, order, w in _placed_whispers(call, segments, whispers):
        lines.append((at, order, f"[{_clock(at, '.')[:-4]}]   » {_whisper_text(w, labels)}"))
    lines.sort(key=lambda line: (line[0], line[1]))
    return "\n".join([*head, "", *(text for _, _, text in lines)]) + "\n"


def transcript_srt(segments: Sequence[Segment], labels: Mapping[str, str] = DEFAULT_LABELS) -> str:
    blocks = []
    for n, s in enumerate(segments, 1):
        blocks.append(
            f"{n}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n"
            f"{_label(s.channel, labels)}: {_one_line(s.text)}\n"
        )
    return "\n".join(blocks)


def transcript_vtt(
    segments: Sequence[Segment],
    labels: Mapping[str, str] = DEFAULT_LABELS,
    whispers: Iterable[WhisperRecord] = (),
    call: CallRecord | None = None,
) -> str:
    blocks: list[tuple[float, int, str]] = []
    for s in segments:
        # <v Speaker> is WebVTT's own voice tag; players show the name, and it reads back unambiguously.
        speaker = html.escape(_label(s.channel, labels), quote=False).replace(">", "&gt;")
        text = html.escape(_one_line(s.text), quote=False)
        blocks.append(
            (
                s.start,
                0,
                f"{s.segment_id}\n{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n<v {speaker}>{text}\n",
            )
        )
    for at, order, w in _placed_whispers(call or CallRecord(id="", customer_id=None), segments, whispers):
        # A NOTE is WebVTT's comment: kept in the file, never shown; "-->" would end it early.
        note = _whisper_text(w, labels).replace("-->", "->")
        blocks.append((at, order, f"NOTE {_clock(at, '.')} {note}\n"))
    blocks.sort(key=lambda block: (block[0], block[1]))
    return "\n".join(["WEBVTT\n", *(text for _, _, text in blocks)])


def transcript_json(
    call: CallRecord, segments: Sequence[Segment], extra: Mapping[str, object] | None = None
) -> str:
    data = {
        "format": "agent-assist-transcript",
        "version": 1,
        "call": call.to_dict(),
        "segments": [s.to_dict() for s in segments],
        **(extra or {}),
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_transcript(
    fmt: TranscriptFormat,
    call: CallRecord,
    segments: Sequence[Segment],
    labels: Mapping[str, str] = DEFAULT_LABELS,
    customer_name: str = "",
    whispers: Sequence[WhisperRecord] = (),
) -> str:
    """One call's transcript in ``fmt``, with the supervisor's whispers where the format can hold them."""
    if fmt is TranscriptFormat.TXT:
        return transcript_txt(call, segments, labels, customer_name, whispers)
    if fmt is TranscriptFormat.SRT:
        return transcript_srt(segments, labels)
    if fmt is TranscriptFormat.VTT:
        return transcript_vtt(segments, labels, whispers, call)
    return transcript_json(call, segments, {"whispers": [w.to_dict() for w in whispers]})


def stored_transcript(
    store: Store, call: CallRecord, fmt: TranscriptFormat, labels: Mapping[str, str] = DEFAULT_LABELS
) -> str:
    """A stored call's transcript in ``fmt``: its lines, its customer's name and its whispers from ``store``
    (what ``review export`` and the review window's Export write)."""
    customer = store.get_customer(call.customer_id) if call.customer_id else None
    return render_transcript(
        fmt,
        call,
        store.segments_for(call.id),
        labels,
        customer.name if customer else "",
        store.whispers_for(call.id),
    )


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for n, line in enumerate(text.replace("\r\n", "\n").lstrip("\ufeff").split("\n"), 1):
        if line.strip():
            if not current:
                first = n
            current.append(line)
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _cue(block: list[str], first: int, name: str, labels: Mapping[str, str], vtt: bool) -> TranscriptLine:
    timing = next((i for i, line in enumerate(block) if "-->" in line), None)
    if timing is None:
        raise ExportError(f"{name}, line {first}: a cue without a 'start --> end' time line")
    start_text, _, rest = block[timing].partition("-->")
    where = f"{name}, line {first + timing}"
    start = _parse_clock(start_text, where)
    end = _parse_clock(rest.split()[0] if rest.split() else "", where)
    payload = " ".join(block[timing + 1 :])
    channel = ""
    if vtt:
        m = re.match(r"<v(?:\.[\w.-]+)?\s+([^>]*)>(.*?)(?:</v>)?$", payload)
        if m:
            channel = _channel(html.unescape(m.group(1)), labels)
            payload = m.group(2)
        payload = html.unescape(re.sub(r"</?[a-z][^>]*>", "", payload))
    else:
        label, sep, rest_text = payload.partition(": ")
        if sep and label in labels.values():
            channel, payload = _channel(label, labels), rest_text
    return TranscriptLine(channel, start, end, payload)


def read_srt(
    text: str, name: str = "<srt>", labels: Mapping[str, str] = DEFAULT_LABELS
) -> list[TranscriptLine]:
    return [_cue(block, first, name, labels, vtt=False) for first, block in _blocks(text)]


def read_vtt(
    text: str, name: str = "<vtt>", labels: Mapping[str, str] = DEFAULT_LABELS
) -> list[TranscriptLine]:
    blocks = _blocks(text)
    if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
        raise ExportError(f"{name}: not a WebVTT file (it must start with 'WEBVTT')")
    return [
        _cue(block, first, name, labels, vtt=True)
        for first, block in blocks[1:]
        if not block[0].startswith(("NOTE", "STYLE", "REGION"))
    ]


def read_transcript_json(text: str, name: str = "<json>") -> tuple[CallRecord, list[Segment]]:
    try:
        data = json.loads(text)
        return CallRecord.from_dict(data["call"]), [Segment.from_dict(s) for s in data["segments"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ExportError(f"{name}: not an Agent Assist transcript: {exc}") from exc


# --- call list CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "call_id",
    "started_at",
    "ended_at",
    "duration_seconds",
    "customer_id",
    "customer_name",
    "agent",
    "language",
    "disposition",
    "tags",
    "summary",
    "next_action",
    "whispers",  # how many supervisor whispers the call had
)
# The conversation's figures (assist.dynamics), empty for a call measured before they existed.
DYNAMICS_CSV_COLUMNS = (
    "talk_listen_ratio",
    "agent_share",
    "overlaps",
    "silences",
    "dead_air_seconds",
    "holds",
    "agent_longest_monologue_seconds",
    "agent_rate",
    "customer_rate",
    "rate_unit",
)


def write_calls_csv(
    items: Iterable[CallListItem],
    target: Path,
    dynamics: Callable[[str], Mapping[str, object] | None] | None = None,
    whispers: Callable[[str], int] | None = None,
) -> int:
    """Write the call list as UTF-8 with a BOM (what Excel needs to show Japanese), every cell formula-safe.
    ``dynamics`` gives a call's conversation figures by id (None: not measured). Returns the row count."""

    def rows() -> Iterable[list[object]]:
        for item in items:
            c = item.call
            figures = (dynamics(c.id) if dynamics else None) or {}
            duration = "" if item.duration_seconds is None else f"{item.duration_seconds:.0f}"
            yield [
                c.id,
                c.started_at,
                c.ended_at,
                duration,
                c.customer_id,
                item.customer_name,
                c.agent,
                c.language,
                c.disposition,
                ";".join(c.tags),
                c.summary,
                c.next_action,
                whispers(c.id) if whispers else "",
                *(figures.get(name, "") for name in DYNAMICS_CSV_COLUMNS),
            ]

    try:
        return write_csv(target, (*CSV_COLUMNS, *DYNAMICS_CSV_COLUMNS), rows())
    except OSError as exc:
        raise ExportError(f"{target}: cannot write the call list: {exc.strerror or exc}") from exc


def export_calls_csv(store: Store, target: Path, call_filter: CallFilter | None = None) -> int:
    history = CallHistory(store)

    def every() -> Iterable[CallListItem]:
        offset = 0
        while True:
            page = history.calls(call_filter, limit=1000, offset=offset)
            yield from page
            if len(page) < 1000:
                return
            offset += 1000

    def whisper_count(call_id: str) -> int:
        row = store.conn.execute("SELECT COUNT(*) FROM whispers WHERE call_id = ?", (call_id,)).fetchone()
        return int(row[0])

    return write_calls_csv(every(), target, lambda call_id: stored_figures(store, call_id), whisper_count)


# --- one customer's archive -------------------------------------------------------------------------------


def call_recording_dir(call_id: str, root: Path | None = None) -> Path:
    """Where the live call wrote its WAVs: one folder per call (named as audio.live names it)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in call_id) or "call"
    return (root if root is not None else paths.recordings_dir()) / safe


def recording_files(call_id: str, root: Path | None = None) -> list[Path]:
    folder = call_recording_dir(call_id, root)
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    path: Path
    customer_id: str
    calls: int
    notes: int
    follow_ups: int
    recordings: int


def _call_extras(store: Store, call_id: str) -> dict[str, object]:
    from assist.review_schema import ReviewNotes, bookmark_dict, comment_dict

    conn = store.conn
    review = ReviewNotes(store)
    return {
        "whispers": [w.to_dict() for w in store.whispers_for(call_id)],
        "suggestion_feedback": [
            dict(zip(("kind", "target_id", "action", "at"), r, strict=True))
            for r in conn.execute(
                "SELECT kind, target_id, action, at FROM suggestion_feedback WHERE call_id = ? ORDER BY "
                "rowid",
                (call_id,),
            )
        ],
        "cues": [
            dict(zip(("segment_id", "kind", "trigger", "phrase", "at"), r, strict=True))
            for r in conn.execute(
                "SELECT segment_id, kind, trigger, phrase, at FROM call_cues WHERE call_id = ? ORDER BY "
                "rowid",
                (call_id,),
            )
        ],
        "bookmarks": [bookmark_dict(b) for b in review.bookmarks(call_id)],
        "comments": [comment_dict(c) for c in review.comments(call_id)],
    }


def customer_call_ids(store: Store, customer_id: str) -> list[str]:
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT id FROM calls WHERE customer_id = ? ORDER BY started_at", (customer_id,)
        )
    ]


def export_customer_archive(
    store: Store,
    customer_id: str,
    target: Path,
    recordings_root: Path | None = None,
    labels: Mapping[str, str] = DEFAULT_LABELS,
) -> ArchiveReport:
    """Everything held about one customer in one ZIP: customer.json (profile, notes, follow-ups, calls with
    whispers, cues, feedback, bookmarks and comments), each call's transcript as JSON and TXT, and the
    recordings. Raises ExportError when the customer is unknown or the file cannot be written."""
    customer = store.get_customer(customer_id)
    call_ids = customer_call_ids(store, customer_id)
    if customer is None and not call_ids:
        raise ExportError(f"no customer with id {customer_id!r} in the store")
    notes = store.notes_for(customer_id)
    follow_ups = store.follow_ups_for(customer_id, status=None)
    calls: list[dict[str, object]] = []
    recordings = 0
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for call_id in call_ids:
                call = store.get_call(call_id)
                if call is None:
                    continue
                segments = store.segments_for(call_id)
                extras = _call_extras(store, call_id)
                calls.append({**call.to_dict(), **extras})
                folder = f"calls/{call_recording_dir(call_id, Path('.')).name}"
                zf.writestr(f"{folder}/transcript.json", transcript_json(call, segments, extras))
                zf.writestr(
                    f"{folder}/transcript.txt",
                    transcript_txt(
                        call, segments, labels, customer.name if customer else "", store.whispers_for(call_id)
                    ),
                )
                for wav in recording_files(call_id, recordings_root):
                    zf.write(wav, f"{folder}/recordings/{wav.name}")
                    recordings += 1
            manifest = {
                "format": "agent-assist-customer-archive",
                "version": 1,
                "exported_at": utc_iso(system_clock()),
                "customer": customer.to_dict() if customer else {"id": customer_id},
                "notes": [n.to_dict() for n in notes],
                "follow_ups": [f.to_dict() for f in follow_ups],
                "calls": calls,
            }
            zf.writestr("customer.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise ExportError(f"{target}: cannot write the archive: {exc.strerror or exc}") from exc
    return ArchiveReport(target, customer_id, len(calls), len(notes), len(follow_ups), recordings)


def read_customer_archive(source: Path) -> dict[str, object]:
    """The customer.json of an archive (for checking what was handed over)."""
    try:
        with zipfile.ZipFile(source) as zf:
            data: object = json.loads(zf.read("customer.json").decode("utf-8"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ExportError(f"{source}: not a customer archive: {exc}") from exc
    if not isinstance(data, dict):
        raise ExportError(f"{source}: not a customer archive: customer.json holds no object")
    return data


def write_text(target: Path, text: str) -> None:
    try:
        target.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise ExportError(f"{target}: cannot write: {exc.strerror or exc}") from exc


__all__ = [
    "ArchiveReport",
    "ExportError",
    "TranscriptFormat",
    "TranscriptLine",
    "export_calls_csv",
    "export_customer_archive",
    "read_customer_archive",
    "read_srt",
    "read_transcript_json",
    "read_vtt",
    "recording_files",
    "render_transcript",
    "transcript_json",
    "transcript_srt",
    "transcript_txt",
    "transcript_vtt",
    "write_calls_csv",
]
