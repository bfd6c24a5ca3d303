"""Exports a person opens elsewhere: subtitles and JSON that read back to the same lines, a CSV that Excel
opens in Japanese, and one customer's archive."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest

from assist.domain import CallRecord, Segment, WhisperRecord
from assist.dynamics import measure_call
from assist.exports import (
    JA_LABELS,
    ExportError,
    TranscriptFormat,
    export_calls_csv,
    export_customer_archive,
    read_customer_archive,
    read_srt,
    read_transcript_json,
    read_vtt,
    render_transcript,
    transcript_srt,
    transcript_txt,
    transcript_vtt,
)
from assist.store import Store
from tests.review.conftest import TANAKA_SECRET

TRICKY = [
    Segment("c1", "s1", "customer", 0.0, 2.345, "えーと、請求書が届いていません"),
    Segment("c1", "s2", "agent", 2.5, 5.0, "Is it <b>bold</b> & A --> B? 5 < 6"),
    Segment("c1", "s3", "customer", 3661.007, 3665.5, "Agent: said so\nover two lines"),
    Segment("c1", "s4", "agent", 7200.999, 7201.0, "1\n\n00:00:01,000 --> 00:00:02,000"),
]


def _expected(segments: list[Segment]) -> list[tuple[str, float, float, str]]:
    return [(s.channel, round(s.start, 3), round(s.end, 3), " ".join(s.text.split())) for s in segments]


@pytest.mark.parametrize("labels", [None, JA_LABELS])
def test_srt_round_trip(labels: dict[str, str] | None) -> None:
    text = transcript_srt(TRICKY, labels) if labels else transcript_srt(TRICKY)
    lines = read_srt(text, labels=labels) if labels else read_srt(text)
    assert [(x.channel, x.start, x.end, x.text) for x in lines] == _expected(TRICKY)
    assert "01:01:01,007 --> 01:01:05,500" in text


@pytest.mark.parametrize("labels", [None, JA_LABELS])
def test_vtt_round_trip(labels: dict[str, str] | None) -> None:
    text = transcript_vtt(TRICKY, labels) if labels else transcript_vtt(TRICKY)
    assert text.startswith("WEBVTT\n")
    assert "&lt;b&gt;" in text  # markup in speech must not become WebVTT markup
    lines = read_vtt(text, labels=labels) if labels else read_vtt(text)
    assert [(x.channel, x.start, x.end, x.text) for x in lines] == _expected(TRICKY)


def test_json_round_trip_is_lossless() -> None:
    call = CallRecord(
        "c1",
        "cust-1",
        agent="suzuki",
        started_at="2026-03-02T01:00:00+00:00",
        summary="要約",
        tags=("請求", "vip"),
    )
    back_call, back_segments = read_transcript_json(render_transcript(TranscriptFormat.JSON, call, TRICKY))
    assert back_call == call
    assert back_segments == TRICKY


def test_txt_is_readable() -> None:
    call = CallRecord("c1", "cust-1", agent="suzuki", started_at="2026-03-02T01:00:00+00:00", summary="要約")
    text = transcript_txt(call, TRICKY[:3], JA_LABELS, customer_name="田中花子")
    assert "[00:00:00] お客様: えーと、請求書が届いていません" in text
    assert "[01:01:01] お客様: Agent: said so over two lines" in text
    assert "田中花子" in text.splitlines()[2]


def test_broken_subtitles_say_where() -> None:
    with pytest.raises(ExportError, match=r"x\.srt, line 2: not a subtitle time"):
        read_srt("1\n00:00:xx,000 --> 00:00:01,000\nhello\n", name="x.srt")
    with pytest.raises(ExportError, match="must start with 'WEBVTT'"):
        read_vtt("1\n00:00:00.000 --> 00:00:01.000\nhello\n", name="y.vtt")
    with pytest.raises(ExportError, match=r"z\.json"):
        read_transcript_json("{}", name="z.json")


def test_store_transcript_round_trips_through_every_format(store: Store) -> None:
    call = store.get_call("call-ja-1")
    assert call is not None
    segments = store.segments_for("call-ja-1")
    srt = read_srt(render_transcript(TranscriptFormat.SRT, call, segments))
    vtt = read_vtt(render_transcript(TranscriptFormat.VTT, call, segments))
    expected = _expected(segments)
    assert [(x.channel, x.start, x.end, x.text) for x in srt] == expected
    assert [(x.channel, x.start, x.end, x.text) for x in vtt] == expected


def test_calls_csv_opens_as_utf8_with_bom_and_japanese_intact(store: Store, tmp_path: Path) -> None:
    from assist.domain import CallRecord

    store.upsert_call(
        CallRecord(
            "call-evil",
            None,
            started_at="2026-01-01T00:00:00+00:00",
            summary='=HYPERLINK("http://x")',
            tags=("a", "b"),
        )
    )
    target = tmp_path / "calls.csv"
    assert export_calls_csv(store, target) == 4
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["call_id"] for r in rows] == ["call-ja-2", "call-en-1", "call-ja-1", "call-evil"]
    assert rows[0]["customer_name"] == "田中花子"
    assert rows[0]["tags"] == "解約;請求"
    assert rows[0]["summary"] == "解約を希望。引き止め手順を案内。"
    assert rows[0]["duration_seconds"] == "600"
    assert rows[3]["summary"].startswith("'=")  # never run as a formula in Excel
    assert rows[0]["overlaps"] == ""  # not measured: empty, not zero


def test_calls_csv_carries_each_calls_conversation_figures(store: Store, tmp_path: Path) -> None:
    measure_call(store, "call-en-1", "en")
    target = tmp_path / "calls.csv"
    export_calls_csv(store, target)
    with target.open(encoding="utf-8-sig", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["call_id"] == "call-en-1")
    # Agent, customer, agent: 5 s against 2.5 s, no overlap, no silence of 3 s or more.
    assert (row["talk_listen_ratio"], row["agent_share"], row["overlaps"], row["silences"]) == (
        "2.0",
        "0.667",
        "0",
        "0",
    )
    assert row["rate_unit"] == "wpm"
    assert row["agent_rate"] == str(round((8 + 14) / 5.0 * 60.0, 1))  # 8 + 14 words in 5 s


def test_customer_archive_holds_everything_about_them(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "tanaka.zip"
    report = export_customer_archive(store, "cust-tanaka", target)
    assert (report.calls, report.notes, report.follow_ups, report.recordings) == (2, 1, 1, 4)
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        assert {
            "customer.json",
            "calls/call-ja-1/transcript.json",
            "calls/call-ja-1/transcript.txt",
            "calls/call-ja-1/recordings/agent.wav",
            "calls/call-ja-2/recordings/customer.wav",
        } <= names
        assert not any("call-en-1" in n for n in names)  # nobody else's data
        transcript = json.loads(zf.read("calls/call-ja-1/transcript.json"))
        assert TANAKA_SECRET in transcript["segments"][3]["text"]
        assert transcript["whispers"][0]["text"].startswith(TANAKA_SECRET)
    data = read_customer_archive(target)
    assert data["customer"]["name"] == "田中花子"
    assert data["notes"][0]["text"].startswith(TANAKA_SECRET)
    assert [c["id"] for c in data["calls"]] == ["call-ja-1", "call-ja-2"]
    assert data["calls"][1]["suggestion_feedback"][1]["action"] == "used"


def test_archive_of_unknown_customer_is_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no customer with id 'nobody'"):
        export_customer_archive(store, "nobody", tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_whispers_go_with_the_transcript_where_the_format_can_hold_them(store: Store, tmp_path: Path) -> None:
    call = store.get_call("call-ja-1")
    assert call is not None
    segments = store.segments_for(call.id)
    whispers = store.whispers_for(call.id)
    unanchored = WhisperRecord("wh-late", call.id, "lead", "最後に確認を", "2026-03-02T01:04:30+00:00")
    store.upsert_whisper(unanchored)
    store.mark_whisper_read("wh-late", "2026-03-02T01:04:40+00:00")
    whispers = store.whispers_for(call.id)
    assert [w.id for w in whispers] == ["wh-1", "wh-late"]

    txt = render_transcript(TranscriptFormat.TXT, call, segments, JA_LABELS, whispers=whispers)
    lines = txt.splitlines()
    anchored = next(n for n, line in enumerate(lines) if "経理へ" in line)
    # Right after the line it was about, marked as the supervisor's and as unread.
    assert segments[3].text in lines[anchored - 1] and "» ささやき (lead, 未読)" in lines[anchored]
    # Without a line, at the time it was sent (4.5 minutes into the call), read.
    assert "[00:04:30]   » ささやき (lead, 既読 01:04:40): 最後に確認を" in lines

    vtt = render_transcript(TranscriptFormat.VTT, call, segments, whispers=whispers)
    assert vtt.count("\nNOTE ") == 2
    assert read_vtt(vtt) == read_vtt(transcript_vtt(segments))  # players and readers see the same cues
    srt = render_transcript(TranscriptFormat.SRT, call, segments, whispers=whispers)
    assert srt == transcript_srt(segments)  # SRT has no comments: the spoken words only

    data = json.loads(render_transcript(TranscriptFormat.JSON, call, segments, whispers=whispers))
    assert [(w["id"], w["read_at"]) for w in data["whispers"]] == [
        ("wh-1", None),
        ("wh-late", "2026-03-02T01:04:40+00:00"),
    ]
    assert read_transcript_json(json.dumps(data)) == (call, segments)

    target = tmp_path / "calls.csv"
    export_calls_csv(store, target)
    with target.open(encoding="utf-8-sig", newline="") as fh:
        counts = {r["call_id"]: r["whispers"] for r in csv.DictReader(fh)}
    assert counts == {"call-ja-1": "2", "call-ja-2": "0", "call-en-1": "0"}
