"""Retention: old recordings deleted, recent ones kept; transcripts kept, redacted or deleted per setting."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assist import paths
from assist.domain import Segment
from assist.history import CallHistory, SearchQuery
from assist.retention import RetentionPolicy, TranscriptRetention, apply_retention, load_policy, save_policy
from assist.store import Store
from tests.review.conftest import write_wav

NOW = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # call-ja-1 ended 8 days before, call-en-1 7, call-ja-2 1


def _clock() -> datetime:
    return NOW


def test_recordings_older_than_n_days_are_deleted(store: Store) -> None:
    orphan = write_wav(
        paths.recordings_dir() / "call-gone" / "agent.wav"
    )  # its call is no longer in the store
    os.utime(orphan, (NOW.timestamp() - 30 * 86400,) * 2)
    fresh_orphan = write_wav(paths.recordings_dir() / "call-live" / "agent.wav")  # being recorded right now
    os.utime(fresh_orphan, (NOW.timestamp(),) * 2)
    report = apply_retention(store, RetentionPolicy(recording_days=5), clock=_clock)
    root = paths.recordings_dir()
    deleted = {p.relative_to(root).as_posix() for p in report.recordings_deleted}
    assert deleted == {
        "call-ja-1/agent.wav",
        "call-ja-1/customer.wav",
        "call-en-1/agent.wav",
        "call-en-1/customer.wav",
        "call-gone/agent.wav",
    }
    assert (root / "call-ja-2" / "customer.wav").exists()
    assert fresh_orphan.exists()
    # Transcripts stay by default, and the calls are still searchable.
    assert len(store.segments_for("call-ja-1")) == 4
    assert CallHistory(store).search(SearchQuery("請求書")).hits
    # Idempotent: a second run finds nothing more to do.
    assert apply_retention(store, RetentionPolicy(recording_days=5), clock=_clock).recordings_deleted == ()


def test_redacted_transcripts_lose_contact_details_everywhere(store: Store) -> None:
    store.add_segments(
        [
            Segment(
                "call-en-1",
                "s09",
                "customer",
                30.0,
                33.0,
                "my email is zed.quux@example.org and my number is 090-8765-4321",
            )
        ]
    )
    policy = RetentionPolicy(transcripts=TranscriptRetention.REDACT, transcript_days=5)
    report = apply_retention(store, policy, clock=_clock)
    assert report.transcripts_redacted == 1
    text = next(s.text for s in store.segments_for("call-en-1") if s.segment_id == "s09")
    assert "zed.quux" not in text and "8765" not in text
    assert "[EMAIL]" in text and "[PHONE]" in text
    dump = store.dump_all_text()
    assert "quux" not in dump and "8765" not in dump
    assert CallHistory(store).search(SearchQuery("quux")).hits == ()
    assert len(store.segments_for("call-en-1")) == 4  # the rest of the transcript is kept


def test_deleted_transcripts_only_for_old_calls(store: Store) -> None:
    policy = RetentionPolicy(transcripts=TranscriptRetention.DELETE, transcript_days=5)
    report = apply_retention(store, policy, clock=_clock)
    assert report.transcripts_deleted == 7
    assert store.segments_for("call-ja-1") == [] and store.segments_for("call-en-1") == []
    assert len(store.segments_for("call-ja-2")) == 3
    assert store.get_call("call-ja-1") is not None  # the call and its summary remain
    assert "請求書がまだ" not in store.dump_all_text()


def test_policy_is_saved_in_the_store_and_validated(store: Store, tmp_path: Path) -> None:
    assert load_policy(store) == RetentionPolicy()
    policy = RetentionPolicy(recording_days=90, transcripts=TranscriptRetention.REDACT, transcript_days=365)
    save_policy(store, policy)
    assert load_policy(store) == policy
    report = apply_retention(store, clock=_clock)  # the saved policy applies
    assert report.recordings_deleted == ()
    with pytest.raises(ValueError, match="recording_days must be 0 or more"):
        RetentionPolicy(recording_days=-1)
