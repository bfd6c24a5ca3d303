"""The after-call quality pass: a tiny.en call's recording transcribed again with base in the background, and
the call's record taking its lines (marked), with a whisper's anchor moved along."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from assist.after_call import apply_after_call
from assist.domain import WhisperRecord
from assist.session import CallSession
from assist.store import Store
from audio.after_call import AfterCallPass, AfterCallResult
from audio.events import Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription
from audio.source import ChannelMap, FileSource

pytestmark = pytest.mark.slow


def test_after_a_tiny_en_call_base_rewrites_the_record_s_lines_marked_for_review(
    clips: dict[str, Path], tiny_en: Any, tmp_path: Path
) -> None:
    store = Store.open(tmp_path / "store.sqlite3")
    session = CallSession(store, "call-1", None, "en")
    lock = threading.Lock()

    def heard(event: TranscriptEvent) -> None:
        with lock:
            session.feed(event)

    live = LiveTranscription(
        FileSource(clips["call_stereo"], channel_map=ChannelMap.stereo()),
        call_id="call-1",
        language="en",
        model=tiny_en,
        record_dir=tmp_path / "recordings",
        on_event=heard,
    )
    live.start()
    assert live.wait(120)
    before = store.segments_for("call-1")
    assert before and all(s.source == "" for s in before)
    customer_line = next(s for s in before if s.channel == "customer")
    store.upsert_whisper(
        WhisperRecord("w1", "call-1", "lead", "ask for the order number", "t", customer_line.segment_id)
    )

    done: list[AfterCallResult] = []
    errors: list[BaseException] = []
    finished = threading.Event()

    def on_done(result: AfterCallResult) -> None:
        done.append(result)
        finished.set()

    def on_error(exc: BaseException) -> None:
        errors.append(exc)
        finished.set()

    after = AfterCallPass(
        live.recordings, model="base", language="en", on_done=on_done, on_error=on_error, lexicon=["料金"]
    )
    after.start()
    assert finished.wait(180) and after.join(10), "the after-call pass did not finish"
    assert not errors, errors
    (result,) = done
    assert result.source == "after-call base" and not result.cancelled
    assert {line.channel for line in result.lines} == {Channel.AGENT, Channel.CUSTOMER}

    assert apply_after_call(store, "call-1", result) == len(result.lines)
    lines = store.segments_for("call-1")
    assert [s.source for s in lines] == ["after-call base"] * len(result.lines)
    text = " ".join(s.text for s in lines).lower()
    assert "order" in text and "help" in text
    assert {s.segment_id for s in before}.isdisjoint({s.segment_id for s in lines})
    assert store.search_segments("order")[0].source == "after-call base"
    # the whisper now points at the new customer line over the same speech
    (whisper,) = store.whispers_for("call-1")
    anchor = next(s for s in lines if s.segment_id == whisper.segment_id)
    assert (
        anchor.channel == "customer" and anchor.start < customer_line.end and customer_line.start < anchor.end
    )
    store.close()


def test_a_cancelled_or_empty_pass_leaves_the_live_lines(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.sqlite3")
    session = CallSession(store, "call-2", None, "en")
    session.feed(
        TranscriptEvent("call-2", Channel.AGENT, EventKind.FINAL, 0.0, 1.0, "hello there", 0.9, "a-1")
    )
    assert apply_after_call(store, "call-2", AfterCallResult("base", cancelled=True)) == 0
    assert apply_after_call(store, "call-2", AfterCallResult("base")) == 0
    assert [s.text for s in store.segments_for("call-2")] == ["hello there"]
    store.close()


def test_a_missing_model_is_reported_not_raised_in_the_background(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    after = AfterCallPass(
        {Channel.AGENT: tmp_path / "agent.wav"},
        model="medium",
        language="ja",
        on_done=lambda r: None,
        on_error=errors.append,
    )
    after.start()
    assert after.join(30)
    assert errors and "medium" in str(errors[0])
