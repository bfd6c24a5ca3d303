"""The second pass over finished turns: when a turn closes, what the app keeps, and what it never delays.

The recognizer is a stand-in that names what it heard (the real model's second pass is exercised in
test_live.py and measured in tests/bench); the clock is the audio time the test feeds in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from audio.events import Channel, EventKind, TranscriptEvent
from audio.segmenter import Utterance, UtteranceState
from audio.source import SAMPLE_RATE, Samples
from audio.transcriber import Recognition, StreamingTranscriber
from tests.waiting import wait_until


class TurnRecognizer:
    """Sentence finals say "sentence <n>"; a whole turn says what the test scripted for it."""

    def __init__(self, turn_text: str | Callable[[float], str] = "the whole turn, decoded again") -> None:
        self.turn_text = turn_text
        self.turns: list[float] = []  # seconds of audio of each second pass
        self.turn_gate = threading.Event()
        self.turn_gate.set()
        self.turn_entered = threading.Event()
        self.partials = 0

    def recognize(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition:
        if not final:
            self.partials += 1
            return Recognition("someone is speaking", -0.2, 0.01, "en")
        return Recognition(f"sentence {round(len(audio) / SAMPLE_RATE, 1)}", -0.2, 0.01, "en")

    def recognize_turn(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None
    ) -> Recognition:
        self.turn_entered.set()
        assert self.turn_gate.wait(10)
        seconds = round(len(audio) / SAMPLE_RATE, 2)
        self.turns.append(seconds)
        text = self.turn_text(seconds) if callable(self.turn_text) else self.turn_text
        return Recognition(text, -0.1, 0.01, "en")


class Audio:
    """Each channel's audio as the live engine keeps it: here a tone, so every span has the asked length."""

    def __init__(self) -> None:
        self.asked: list[tuple[Channel, float, float]] = []
        self.gone = False

    def __call__(self, channel: Channel, start: float, end: float) -> Samples:
        self.asked.append((channel, round(start, 2), round(end, 2)))
        if self.gone:
            return np.zeros(0, dtype=np.float32)
        return np.full(int((end - start) * SAMPLE_RATE), 0.1, dtype=np.float32)


def ended(
    seg: str, start: float, end: float, channel: Channel = Channel.CUSTOMER, onset: float | None = None
) -> Utterance:
    audio = np.full(int((end - start) * SAMPLE_RATE), 0.1, dtype=np.float32)
    return Utterance(channel, seg, UtteranceState.ENDED, start, end, start, audio, 0.95, onset)


def partial(seg: str, start: float, end: float, channel: Channel = Channel.CUSTOMER) -> Utterance:
    audio = np.full(int((end - start) * SAMPLE_RATE), 0.1, dtype=np.float32)
    return Utterance(channel, seg, UtteranceState.PARTIAL, start, end, start, audio, 0.95)


def make(
    rec: TurnRecognizer | None = None, audio: Audio | None = None, workers: int = 1
) -> tuple[StreamingTranscriber, TurnRecognizer, Audio, list[TranscriptEvent]]:
    rec = rec or TurnRecognizer()
    audio = audio or Audio()
    events: list[TranscriptEvent] = []
    lock = threading.Lock()

    def on_event(event: TranscriptEvent) -> None:
        with lock:
            events.append(event)

    t = StreamingTranscriber(
        rec, call_id="c1", language="en", on_event=on_event, workers=workers, audio_for=audio, turn_gap=2.5
    )
    t.start()
    return t, rec, audio, events


def kept(events: list[TranscriptEvent]) -> list[tuple[str, str, float, float]]:
    """The transcript as the app keeps it: the latest final per segment, empty ones dropped."""
    latest: dict[str, TranscriptEvent] = {}
    for e in events:
        if e.kind is EventKind.FINAL:
            latest[e.segment_id] = e
    return [
        (e.segment_id, e.text, e.start, e.end)
        for e in sorted(latest.values(), key=lambda e: e.start)
        if e.text
    ]


def speak_two_sentences(t: StreamingTranscriber, events: list[TranscriptEvent]) -> None:
    t.offer(ended("a", 1.0, 3.0))
    t.advance(3.5, Channel.CUSTOMER, False)
    t.offer(ended("b", 4.0, 6.0))  # a second sentence after a 1 s breath: the same turn
    t.advance(6.5, Channel.CUSTOMER, False)
    wait_until(lambda: len([e for e in events if e.kind is EventKind.FINAL]) == 2)


def test_after_the_speaker_falls_silent_the_turn_is_decoded_again_and_replaces_its_lines() -> None:
    t, rec, audio, events = make()
    speak_two_sentences(t, events)
    assert kept(events) == [("a", "sentence 2.0", 1.0, 3.0), ("b", "sentence 2.0", 4.0, 6.0)]
    assert not rec.turns  # 0.5 s of silence is a breath, not the end of the turn

    t.advance(8.6, Channel.CUSTOMER, False)  # 2.6 s of silence: the turn is over
    wait_until(lambda: any(e.revised for e in events))
    wait_until(lambda: len([e for e in events if e.revised]) == 2)
    assert kept(events) == [("a", "the whole turn, decoded again", 1.0, 6.0)]
    assert audio.asked == [(Channel.CUSTOMER, 0.8, 6.3)]  # the whole turn, with the pauses and a margin
    assert [(e.text, e.merged_into) for e in events if e.revised and e.segment_id == "b"] == [("", "a")]
    assert len(t.stats.final_latencies) == 2  # a correction is not a new final to time
    assert t.stats.revisions == 1
    t.close()
    assert t.join(10)


def test_the_other_side_answering_ends_the_turn_at_once() -> None:
    t, _, _, events = make()
    speak_two_sentences(t, events)
    t.advance(6.6, Channel.AGENT, True)  # the agent starts talking 0.6 s after the customer stopped
    wait_until(lambda: len([e for e in events if e.revised]) == 2)
    assert kept(events) == [("a", "the whole turn, decoded again", 1.0, 6.0)]
    t.close()
    assert t.join(10)


def test_a_turn_is_heard_from_its_soft_onset_but_never_from_inside_the_speaker_s_previous_turn() -> None:
    t, _, audio, events = make(TurnRecognizer(lambda seconds: f"turn of {seconds} s"))
    t.offer(ended("a", 1.0, 3.0, onset=0.6))  # the VAD was unsure of its first 0.4 s (a soft ま)
    wait_until(lambda: any(e.kind is EventKind.FINAL for e in events))
    t.advance(3.1, Channel.AGENT, True)  # the agent says "はい": the customer's turn is over
    wait_until(lambda: any(e.revised for e in events))
    t.advance(3.4, Channel.AGENT, False)
    t.offer(ended("b", 3.6, 5.0, onset=3.0))  # the customer goes on: the onset reaches back into the pause
    wait_until(lambda: any(e.segment_id == "b" and e.kind is EventKind.FINAL for e in events))
    t.advance(5.1, Channel.AGENT, True)
    wait_until(lambda: any(e.revised and e.segment_id == "b" for e in events))
    # 0.2 s before the onset; the second turn from where the first one's audio ended
    assert audio.asked == [(Channel.CUSTOMER, 0.4, 3.3), (Channel.CUSTOMER, 3.3, 5.3)]
    assert kept(events) == [("a", "turn of 2.9 s", 1.0, 3.0), ("b", "turn of 2.0 s", 3.6, 5.0)]
    t.close()
    assert t.join(10)


def test_a_turn_stays_open_while_its_speaker_is_still_talking() -> None:
    t, rec, _, events = make()
    speak_two_sentences(t, events)
    t.advance(9.0, Channel.CUSTOMER, True)  # a long sentence under way: no final yet, but speech
    t.offer(partial("c", 8.0, 9.0))
    wait_until(lambda: rec.partials == 1)
    t.offer(ended("c", 8.0, 12.0))
    t.advance(12.5, Channel.CUSTOMER, False)
    wait_until(lambda: any(e.segment_id == "c" and e.kind is EventKind.FINAL for e in events))
    assert not rec.turns
    t.advance(15.0, Channel.CUSTOMER, False)
    wait_until(lambda: len([e for e in events if e.revised]) == 3)
    assert kept(events) == [("a", "the whole turn, decoded again", 1.0, 12.0)]
    t.close()
    assert t.join(10)


def test_a_long_monologue_is_revised_in_pieces_that_fit_whisper_s_window() -> None:
    # about as many letters as the sentences it replaces, so the second pass is plausible
    t, _, audio, events = make(
        TurnRecognizer(lambda seconds: " ".join(f"heard{i:02d}again" for i in range(round(seconds / 5))))
    )
    for i in range(7):  # 4 s sentences with 1 s breaths: 34 s of speech in one turn
        t.offer(ended(f"s{i}", 1.0 + 5 * i, 5.0 + 5 * i))
        t.advance(5.5 + 5 * i, Channel.CUSTOMER, False)
    t.close()
    assert t.join(10)
    assert all(end - start <= 28.5 for _, start, end in audio.asked)
    # the sixth sentence would have made the first piece 29 s long: it starts the second
    assert [s for s, _, _, _ in kept(events)] == ["s0", "s5"]


def test_the_first_pass_stands_when_the_second_adds_nothing_or_looks_wrong() -> None:
    for turn_text in (
        "sentence 2.0 sentence 2.0",
        "ok",
        "and then a great deal more that nobody ever said on this call at all",
    ):
        t, rec, _, events = make(TurnRecognizer(turn_text))
        speak_two_sentences(t, events)
        t.close()
        assert t.join(10)
        assert rec.turns, turn_text  # the second pass ran ...
        assert not any(e.revised for e in events), turn_text  # ... and changed nothing on screen
        assert [text for _, text, _, _ in kept(events)] == ["sentence 2.0", "sentence 2.0"]


def test_when_the_turn_s_audio_is_no_longer_kept_the_first_pass_stands() -> None:
    audio = Audio()
    audio.gone = True  # far behind on a slow PC: the history no longer holds the turn
    t, rec, _, events = make(audio=audio)
    speak_two_sentences(t, events)
    t.close()
    assert t.join(10)
    assert audio.asked and not rec.turns
    assert not any(e.revised for e in events)


def test_closing_the_stream_waits_for_the_last_turn_s_second_pass() -> None:
    t, _, _, events = make()
    speak_two_sentences(t, events)
    t.close()  # the call ended right after the customer's last words
    assert t.join(10)
    assert kept(events) == [("a", "the whole turn, decoded again", 1.0, 6.0)]


def test_a_running_second_pass_does_not_hold_back_the_first_words_of_the_next_utterance() -> None:
    t, rec, _, events = make(workers=2)
    speak_two_sentences(t, events)
    rec.turn_gate.clear()
    t.advance(8.6, Channel.CUSTOMER, False)
    assert rec.turn_entered.wait(5)  # the second pass is busy (seconds, on a real PC)
    t.offer(partial("x", 9.0, 9.6, Channel.AGENT))
    wait_until(lambda: any(e.kind is EventKind.PARTIAL and e.segment_id == "x" for e in events))
    assert not any(e.revised for e in events)
    rec.turn_gate.set()
    t.close()
    assert t.join(10)
    assert any(e.revised for e in events)


def test_without_the_channel_s_audio_there_is_no_second_pass() -> None:
    rec = TurnRecognizer()
    events: list[TranscriptEvent] = []
    t = StreamingTranscriber(rec, call_id="c1", language="en", on_event=events.append)
    t.start()
    speak_two_sentences(t, events)
    t.advance(20.0, Channel.CUSTOMER, False)
    t.close()
    assert t.join(10)
    assert not rec.turns and not any(e.revised for e in events)


def test_misheard_domain_words_are_put_right_in_finals_and_in_the_second_pass_with_what_they_replaced() -> (
    None
):
    from audio.lexicon import corrector_for

    class Misheard(TurnRecognizer):
        def recognize(
            self,
            audio: Samples,
            *,
            language: str | None,
            prompt: str | None,
            hotwords: str | None,
            final: bool,
        ) -> Recognition:
            return Recognition("両金について" if final else "両金", -0.2, 0.01, "ja")

    rec = Misheard("両金についてと変金について")
    t, _, _, events = make(rec)
    t.set_corrector(corrector_for(["料金", "返金"]))
    speak_two_sentences(t, events)
    finals = [e for e in events if e.kind is EventKind.FINAL and not e.revised]
    assert [(e.text, e.corrections) for e in finals] == [("料金について", ("両金 -> 料金",))] * 2
    t.advance(8.6, Channel.CUSTOMER, False)
    wait_until(lambda: len([e for e in events if e.revised]) == 2)
    assert kept(events) == [("a", "料金についてと返金について", 1.0, 6.0)]
    revised = next(e for e in events if e.revised and e.text)
    assert revised.corrections == ("両金 -> 料金", "変金 -> 返金")
    assert all(not e.corrections for e in events if e.revised and not e.text)
    assert all(not e.corrections for e in events if e.kind is EventKind.PARTIAL)  # partials are left raw
    assert TranscriptEvent.from_json(revised.to_json()) == revised
    t.close()
    assert t.join(10)


class HotwordHearing(TurnRecognizer):
    """Sentences come out as ご予見; the whole turn spells ご用件 only when it is given as a hotword."""

    def __init__(self) -> None:
        super().__init__()
        self.biasing: list[tuple[str | None, str | None]] = []

    def recognize(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition:
        return Recognition("ご予見をお伺いします" if final else "ご予見", -0.2, 0.01, "ja")

    def recognize_turn(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None
    ) -> Recognition:
        self.biasing.append((prompt, hotwords))
        word = "ご用件" if hotwords and "ご用件" in hotwords.split() else "ご予見"
        return Recognition(f"{word}をお伺いしてもよろしいでしょうか", -0.1, 0.01, "ja")


def test_a_support_word_given_only_as_a_hotword_is_spelled_by_the_prompted_second_pass() -> None:
    kept_texts = []
    for hotwords in ("ご用件 ルーター", None):
        rec = HotwordHearing()
        events: list[TranscriptEvent] = []
        t = StreamingTranscriber(
            rec,
            call_id="c1",
            language="ja",
            on_event=events.append,
            audio_for=Audio(),
            turn_gap=2.5,
            prompt="お電話ありがとうございます。料金",
            hotwords=hotwords,
        )
        t.start()
        speak_two_sentences(t, events)
        t.advance(8.6, Channel.CUSTOMER, False)
        wait_until(lambda rec=rec: len(rec.biasing) == 2, 30)  # plainly, then with the prompt
        t.close()
        assert t.join(30)
        assert rec.biasing == [(None, None), ("お電話ありがとうございます。料金", hotwords)]
        kept_texts.append([text for _, text, _, _ in kept(events)])
    assert kept_texts[0] == ["ご用件をお伺いしてもよろしいでしょうか"]  # the hotword's spelling, merged in
    assert kept_texts[1] == ["ご予見をお伺いしてもよろしいでしょうか"]  # without it, as heard
