"""Scheduling in the streaming transcriber: finals first, stale partials dropped, speculative finals.

The recognizer is a stand-in here (it returns a text derived from the audio length and records what it was
asked); the real model is exercised in test_live.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from audio.events import Channel, EventKind, TranscriptEvent
from audio.segmenter import Utterance, UtteranceState
from audio.source import SAMPLE_RATE, Samples
from audio.transcriber import Recognition, StreamingTranscriber
from tests.waiting import wait_until


class ScriptedRecognizer:
    """Says how many seconds of audio it heard; can be held to simulate a slow model."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, bool]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def recognize(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition:
        self.entered.set()
        assert self.gate.wait(10)
        seconds = round(len(audio) / SAMPLE_RATE, 1)
        self.calls.append((seconds, final))
        return Recognition(f"heard {seconds} seconds", -0.2, 0.01, language or "en")


def utt(seg: str, state: UtteranceState, end: float, channel: Channel = Channel.CUSTOMER) -> Utterance:
    audio = np.full(int(end * SAMPLE_RATE), 0.1, dtype=np.float32)
    return Utterance(channel, seg, state, 0.0, end, 0.0, audio, 0.95)


def make(
    rec: ScriptedRecognizer | None = None, workers: int = 1, partial_share: float = 0.3
) -> tuple[StreamingTranscriber, ScriptedRecognizer, list[TranscriptEvent]]:
    rec = rec or ScriptedRecognizer()
    events: list[TranscriptEvent] = []
    t = StreamingTranscriber(
        rec, call_id="c1", language="en", on_event=events.append, workers=workers, partial_share=partial_share
    )
    t.start()
    return t, rec, events


def test_finals_jump_ahead_of_partials_and_stale_partials_are_dropped() -> None:
    t, rec, events = make()
    rec.gate.clear()
    t.offer(utt("a", UtteranceState.PARTIAL, 1.0))
    assert rec.entered.wait(5)  # the model is busy with the first partial
    for end in (2.0, 3.0, 4.0):
        t.offer(utt("a", UtteranceState.PARTIAL, end))
    t.offer(utt("b", UtteranceState.ENDED, 2.5, Channel.AGENT))
    t.advance(6.0)
    assert t.lag > 3.0
    rec.gate.set()
    t.offer(utt("a", UtteranceState.ENDED, 5.0))
    t.close()
    assert t.join(10)
    assert rec.calls[1] == (2.5, True)  # the agent's final before any newer partial
    assert (2.0, False) not in rec.calls and (3.0, False) not in rec.calls
    finals = [e for e in events if e.kind is EventKind.FINAL]
    assert [(e.segment_id, e.text) for e in finals] == [
        ("b", "heard 2.5 seconds"),
        ("a", "heard 5.0 seconds"),
    ]
    assert all(e.segment_id != "a" for e in events[events.index(finals[-1]) + 1 :])
    assert t.lag == 0.0


def test_a_speculative_final_is_used_when_the_pause_becomes_the_end() -> None:
    t, rec, events = make()
    t.offer(utt("a", UtteranceState.PAUSED, 3.0))
    wait_until(lambda: len(rec.calls) == 1)
    assert events == []  # not shown before the silence is confirmed
    t.offer(utt("a", UtteranceState.ENDED, 3.0))
    wait_until(lambda: len(events) == 1)
    t.close()
    assert t.join(10)
    assert rec.calls == [(3.0, True)]  # computed once, during the pause
    assert events[0].kind is EventKind.FINAL and events[0].text == "heard 3.0 seconds"


def test_when_speech_resumes_the_speculative_text_becomes_a_partial_and_the_final_is_redone() -> None:
    t, rec, events = make()
    t.offer(utt("a", UtteranceState.PAUSED, 3.0))
    wait_until(lambda: len(rec.calls) == 1)
    t.offer(utt("a", UtteranceState.PARTIAL, 4.0))
    t.offer(utt("a", UtteranceState.ENDED, 6.0))
    t.close()
    assert t.join(10)
    assert next((e.kind, e.text) for e in events) == (EventKind.PARTIAL, "heard 3.0 seconds")
    assert [(e.kind, e.text) for e in events][-1] == (EventKind.FINAL, "heard 6.0 seconds")


def test_an_empty_final_retracts_partials_and_is_silent_otherwise() -> None:
    t, _, events = make()
    t.offer(utt("a", UtteranceState.PARTIAL, 1.0))
    wait_until(lambda: len(events) == 1)
    t.offer(
        Utterance(Channel.CUSTOMER, "a", UtteranceState.ENDED, 0.0, 1.2, 0.0, np.zeros(0, np.float32), 0.0)
    )
    t.offer(
        Utterance(Channel.CUSTOMER, "b", UtteranceState.ENDED, 2.0, 2.2, 2.0, np.zeros(0, np.float32), 0.0)
    )
    t.close()
    assert t.join(10)
    assert [(e.segment_id, e.kind, e.text) for e in events] == [
        ("a", EventKind.PARTIAL, "heard 1.0 seconds"),
        ("a", EventKind.FINAL, ""),
    ]


def test_stop_abandons_pending_work_without_hanging() -> None:
    t, rec, _events = make()
    rec.gate.clear()
    t.offer(utt("a", UtteranceState.ENDED, 2.0))
    assert rec.entered.wait(5)
    t.offer(utt("b", UtteranceState.ENDED, 2.0))
    t.stop()
    rec.gate.set()
    assert t.join(10)
    assert len(rec.calls) == 1


class HeldSome(ScriptedRecognizer):
    """Only calls that ``hold`` picks wait for ``gate`` (a slow job beside quick ones)."""

    def __init__(self, hold: Callable[[float, bool], bool]) -> None:
        super().__init__()
        self.hold = hold

    def recognize(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition:
        seconds = round(len(audio) / SAMPLE_RATE, 1)
        if self.hold(seconds, final):
            return super().recognize(audio, language=language, prompt=prompt, hotwords=hotwords, final=final)
        self.calls.append((seconds, final))
        return Recognition(f"heard {seconds} seconds", -0.2, 0.01, language or "en")


def test_with_two_workers_a_final_does_not_wait_for_a_running_partial() -> None:
    t, rec, events = make(HeldSome(lambda _seconds, final: not final), workers=2)
    rec.gate.clear()
    t.offer(utt("a", UtteranceState.PARTIAL, 8.0))
    assert rec.entered.wait(5)  # a long partial is being computed when the speaker stops
    t.offer(utt("a", UtteranceState.ENDED, 8.5))
    wait_until(lambda: any(e.kind is EventKind.FINAL for e in events))
    assert [(e.kind, e.text) for e in events] == [(EventKind.FINAL, "heard 8.5 seconds")]
    rec.gate.set()
    t.close()
    assert t.join(10)
    assert [e.kind for e in events] == [EventKind.FINAL]  # the late partial is not shown after its final


def test_with_two_workers_one_channel_s_finals_still_come_out_in_order() -> None:
    t, rec, events = make(HeldSome(lambda seconds, _final: seconds >= 3.0), workers=2)
    rec.gate.clear()
    t.offer(utt("a", UtteranceState.ENDED, 3.0))
    assert rec.entered.wait(5)
    t.offer(utt("b", UtteranceState.ENDED, 1.0))  # a short one after a long one on the same channel
    t.offer(utt("c", UtteranceState.ENDED, 2.0, Channel.AGENT))  # the other channel needn't wait
    wait_until(lambda: (2.0, True) in rec.calls)
    assert (1.0, True) not in rec.calls
    rec.gate.set()
    t.close()
    assert t.join(10)
    customer = [e.segment_id for e in events if e.channel is Channel.CUSTOMER]
    assert customer == ["a", "b"]


def test_the_first_partial_of_an_utterance_is_not_held_back_by_the_partial_budget() -> None:
    # a tiny share: after any partial, the next one would wait hundreds of times its cost
    t, rec, events = make(partial_share=0.001)
    rec.gate.clear()
    t.offer(utt("a", UtteranceState.PARTIAL, 1.0))
    assert rec.entered.wait(5)
    time.sleep(0.05)  # the partial takes a while: 50 s of budget to wait afterwards
    rec.gate.set()
    wait_until(lambda: len(events) == 1)
    t.offer(utt("a", UtteranceState.PARTIAL, 2.0))  # an update: waits for the budget
    t.offer(utt("b", UtteranceState.PARTIAL, 1.5, Channel.AGENT))  # someone starts talking: goes now
    wait_until(lambda: len(events) == 2)
    assert (events[1].segment_id, events[1].kind) == ("b", EventKind.PARTIAL)
    assert (2.0, False) not in rec.calls
    t.stop()
    assert t.join(10)


def test_a_listener_waiting_for_a_thread_that_calls_the_transcriber_does_not_deadlock() -> None:
    """The desk hands each line to its UI thread and may wait there; that thread reads ``lag`` and sets the
    biasing. Listeners are called outside the transcriber's lock, so neither side waits for the other."""
    events: list[TranscriptEvent] = []
    helpers: list[threading.Thread] = []
    stuck: list[bool] = []  # per line: the helper was still blocked when the listener gave up waiting
    transcriber: StreamingTranscriber

    def other_thread() -> None:
        transcriber.set_biasing("Tanaka", None)
        assert transcriber.lag >= 0.0

    def listener(event: TranscriptEvent) -> None:
        helper = threading.Thread(target=other_thread, name="listener-helper")
        helpers.append(helper)
        helper.start()
        helper.join(5)
        stuck.append(helper.is_alive())
        events.append(event)

    rec = ScriptedRecognizer()
    transcriber = StreamingTranscriber(rec, call_id="c1", language="en", on_event=listener)
    transcriber.start()
    try:
        transcriber.offer(utt("a", UtteranceState.ENDED, 1.0))
        transcriber.offer(utt("b", UtteranceState.ENDED, 2.0, Channel.AGENT))
        transcriber.close()
        assert transcriber.join(15)
    finally:
        transcriber.stop()
        transcriber.join(5)
    assert stuck == [False, False]  # each helper got in while the listener waited for it
    assert not any(h.is_alive() for h in helpers)
    assert [(e.segment_id, e.text) for e in events] == [
        ("a", "heard 1.0 seconds"),
        ("b", "heard 2.0 seconds"),
    ]
    assert transcriber.prompt == "Tanaka"


def test_a_slow_listener_does_not_hold_up_the_capture_side() -> None:
    """While a listener is busy with one line, the capture thread still hands over the next utterance."""
    busy, release = threading.Event(), threading.Event()
    events: list[TranscriptEvent] = []

    def listener(event: TranscriptEvent) -> None:
        busy.set()
        assert release.wait(10)
        events.append(event)

    t = StreamingTranscriber(ScriptedRecognizer(), call_id="c1", language="en", on_event=listener)
    t.start()
    try:
        t.offer(utt("a", UtteranceState.ENDED, 1.0))
        assert busy.wait(5)
        offered = threading.Thread(target=t.offer, args=(utt("b", UtteranceState.ENDED, 2.0),))
        offered.start()
        offered.join(5)
        assert not offered.is_alive()  # offer() returned while the listener still held the first line
        release.set()
        t.close()
        assert t.join(10)
    finally:
        release.set()
        t.stop()
        t.join(5)
    assert [e.segment_id for e in events] == ["a", "b"]
