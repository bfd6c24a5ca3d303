"""A small but realistic call history for the review tests: two customers, Japanese and English calls with
transcripts, notes, feedback, cues, whispers and recordings on disk (a real SQLite file in the test's
home)."""

from __future__ import annotations

import os
import tempfile
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from assist import paths
from assist.domain import (
    CallRecord,
    Customer,
    FeedbackAction,
    FollowUp,
    KnowledgeEntry,
    Note,
    NoteKind,
    Segment,
    SuggestionFeedback,
    SuggestionKind,
    WhisperRecord,
)
from assist.store import Store
from sync.protocol import Role
from sync.server import ServerThread
from sync.store import TeamStore

# Hypothesis would otherwise keep its example cache in ./.hypothesis inside the repository.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "agent-assist-hypothesis")
)

# Words that exist only in one customer's data, so tests can prove they are gone after erasure.
TANAKA_SECRET = "ミズバショウ温泉旅館"
TANAKA_EMAIL = "tanaka.hanako@example.jp"
SMITH_SECRET = "zanzibarian"


def write_wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00" * int(seconds * rate))
    return path


def _lines(call_id: str, lines: list[tuple[str, str]]) -> list[Segment]:
    result, t = [], 0.0
    for i, (channel, text) in enumerate(lines):
        result.append(Segment(call_id, f"s{i:02d}", channel, round(t, 2), round(t + 2.5, 2), text, 0.9))
        t += 3.0
    return result


def fill(store: Store) -> None:
    store.upsert_customer(
        Customer(
            "cust-tanaka",
            "田中花子",
            kana="タナカハナコ",
            phones=("090-1234-5678",),
            email=TANAKA_EMAIL,
            tags=("vip",),
        )
    )
    store.upsert_customer(
        Customer("cust-smith", "John Smith", phones=("+1 415 555 0199",), email="js@example.com")
    )
    store.upsert_knowledge(
        [
            KnowledgeEntry("kb-cancel", "解約の手続き", "解約はマイページから", language="ja"),
            KnowledgeEntry("kb-invoice", "Invoice not received", "Resend the invoice", language="en"),
        ]
    )
    store.upsert_call(
        CallRecord(
            "call-ja-1",
            "cust-tanaka",
            agent="suzuki",
            started_at="2026-03-02T01:00:00+00:00",
            ended_at="2026-03-02T01:05:00+00:00",
            language="ja",
            disposition="resolved",
            summary="請求書が届かないとのお問い合わせ。再送した。",
            tags=("請求",),
        )
    )
    store.add_segments(
        _lines(
            "call-ja-1",
            [
                ("agent", "お電話ありがとうございます。"),
                ("customer", "えーと、先月の請求書がまだ届いていないんですけど"),
                ("agent", "確認いたします。再送いたしますね"),
                ("customer", f"去年{TANAKA_SECRET}に泊まったときの領収書も欲しいです"),
            ],
        )
    )
    store.upsert_call(
        CallRecord(
            "call-ja-2",
            "cust-tanaka",
            agent="sato",
            started_at="2026-03-09T02:00:00+00:00",
            ended_at="2026-03-09T02:10:00+00:00",
            language="ja",
            disposition="escalated",
            summary="解約を希望。引き止め手順を案内。",
            tags=("解約", "請求"),
        )
    )
    store.add_segments(
        _lines(
            "call-ja-2",
            [
                ("customer", "あのー、解約したいんですが"),
                ("agent", "ご契約の内容を確認させてください"),
                ("customer", "イオン板橋ショッピングセンターの近くに引っ越すので"),
            ],
        )
    )
    store.upsert_call(
        CallRecord(
            "call-en-1",
            "cust-smith",
            agent="suzuki",
            started_at="2026-03-03T15:00:00+00:00",
            ended_at="2026-03-03T15:04:00+00:00",
            language="en",
            disposition="follow_up",
            summary="Invoice missing; will call back.",
            tags=("billing",),
            next_action="Call back tomorrow",
        )
    )
    store.add_segments(
        _lines(
            "call-en-1",
            [
                ("agent", "Thank you for calling, how can I help?"),
                ("customer", f"I cancelled my {SMITH_SECRET} subscription but was still charged"),
                ("agent", "I'm sorry about that, I will refund the charges and call you back tomorrow"),
            ],
        )
    )
    store.upsert_note(
        Note(
            "note-1",
            "cust-tanaka",
            f"{TANAKA_SECRET}の件で以前も問い合わせあり",
            author="suzuki",
            kind=NoteKind.CAUTION,
        )
    )
    store.upsert_note(
        Note("note-2", "cust-smith", "Prefers e-mail; cancelling is a sensitive topic", author="sato")
    )
    store.upsert_follow_up(
        FollowUp("fu-1", "cust-smith", "Call back about the refund", due="2026-03-04", call_id="call-en-1")
    )
    store.upsert_follow_up(
        FollowUp("fu-2", "cust-tanaka", "領収書を郵送", due="2026-03-05", call_id="call-ja-1")
    )
    for call_id, target, action in (
        ("call-ja-1", "kb-invoice", FeedbackAction.SHOWN),
        ("call-ja-2", "kb-cancel", FeedbackAction.SHOWN),
        ("call-ja-2", "kb-cancel", FeedbackAction.USED),
        ("call-en-1", "kb-invoice", FeedbackAction.SHOWN),
        ("call-en-1", "kb-invoice", FeedbackAction.USED),
    ):
        store.add_feedback(
            SuggestionFeedback(call_id, SuggestionKind.KNOWLEDGE, target, action, "2026-03-02T01:01:00+00:00")
        )
    store.add_cue(
        "call-en-1",
        "s01",
        "frustration",
        "still charged",
        "I understand how frustrating that is",
        "2026-03-03T15:01:00+00:00",
    )
    store.upsert_whisper(
        WhisperRecord(
            "wh-1",
            "call-ja-1",
            "lead",
            f"{TANAKA_SECRET}の領収書は経理へ",
            "2026-03-02T01:02:00+00:00",
            "s03",
        )
    )


@pytest.fixture
def store(agent_assist_home: Path) -> Iterator[Store]:
    s = Store.open(paths.store_path())
    fill(s)
    for call_id in ("call-ja-1", "call-ja-2", "call-en-1"):
        for channel in ("agent", "customer"):
            write_wav(paths.recordings_dir() / call_id / f"{channel}.wav")
    yield s
    s.close()


def start_team_server(
    server_dir: Path | None, database: str | None = None
) -> tuple[ServerThread, dict[str, str]]:
    """A running team server on 127.0.0.1 (its data in ``server_dir``, or the PostgreSQL ``database``) with an
    agent (sato) and a supervisor (suzuki) of one team; the caller stops it."""
    users = TeamStore(server_dir, database=database)
    try:
        tokens = {
            "sato": users.add_user("sato", Role.AGENT, "tokyo"),
            "suzuki": users.add_user("suzuki", Role.SUPERVISOR, "tokyo"),
        }
    finally:
        users.close()
    thread = ServerThread(server_dir, database=database)
    thread.start()
    return thread, tokens
