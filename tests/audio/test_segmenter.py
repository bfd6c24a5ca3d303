"""Per-channel utterance cutting with the real Silero VAD, on generated speech."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import soundfile as sf

from audio.events import Channel
from audio.segmenter import WINDOW, Segmenter, SegmenterSettings, Utterance, UtteranceState
from audio.source import SAMPLE_RATE


def feed(segmenter: Segmenter, audio: np.ndarray, step: int = 1600) -> list[Utterance]:
    out: list[Utterance] = []
    for i in range(0, len(audio), step):
        out.extend(segmenter.push(audio[i : i + step].astype(np.float32)))
    out.extend(segmenter.flush())
    return out


def speech(clips: dict[str, Path], name: str = "customer") -> np.ndarray:
    audio, rate = sf.read(str(clips[name]), dtype="float32")
    assert rate == SAMPLE_RATE
    return audio


def test_one_sentence_gives_partials_a_pause_and_one_final_around_the_speech(clips: dict[str, Path]) -> None:
    audio = np.concatenate(
        [np.zeros(SAMPLE_RATE, np.float32), speech(clips), np.zeros(SAMPLE_RATE, np.float32)]
    )
    out = feed(Segmenter(Channel.CUSTOMER), audio)
    finals = [u for u in out if u.state is UtteranceState.ENDED]
    assert len(finals) == 1
    final = finals[0]
    assert 0.9 <= final.start <= 1.3 and 5.0 <= final.end <= 5.9
    assert final.audio_start < final.start  # the onset is kept
    assert len(final.audio) / SAMPLE_RATE >= final.end - final.start
    assert final.speech_prob > 0.8
    partials = [u for u in out if u.state is UtteranceState.PARTIAL]
    assert partials and all(p.segment_id == final.segment_id for p in partials)
    assert partials[0].end - partials[0].start < 1.2  # first provisional text is asked for early
    assert out.index(partials[-1]) < out.index(final)


def test_two_sentences_with_a_pause_become_two_utterances(clips: dict[str, Path]) -> None:
    gap = np.zeros(SAMPLE_RATE, np.float32)
    audio = np.concatenate([gap, speech(clips, "agent"), gap, speech(clips), gap])
    finals = [u for u in feed(Segmenter(Channel.AGENT), audio) if u.state is UtteranceState.ENDED]
    assert len(finals) >= 2
    assert len({u.segment_id for u in finals}) == len(finals)
    assert all(a.end <= b.start for a, b in itertools.pairwise(finals))


def test_a_monologue_is_split_before_the_limit(clips: dict[str, Path]) -> None:
    talk = np.concatenate([speech(clips, "agent"), speech(clips), speech(clips, "agent"), speech(clips)])
    settings = SegmenterSettings(max_utterance=6.0, end_silence=2.0)  # pauses inside do not end it
    finals = [u for u in feed(Segmenter(Channel.AGENT, settings), talk) if u.state is UtteranceState.ENDED]
    assert len(finals) >= 3
    assert all(len(u.audio) / SAMPLE_RATE <= 6.0 + 0.5 for u in finals)
    covered = sum(u.end - u.start for u in finals)
    assert covered > 0.7 * len(talk) / SAMPLE_RATE  # nothing big is lost at the cuts


def test_silence_noise_and_a_click_give_no_utterances() -> None:
    rng = np.random.default_rng(1)
    silence = np.zeros(3 * SAMPLE_RATE, np.float32)
    noise = rng.normal(0, 0.01, 3 * SAMPLE_RATE).astype(np.float32)
    click = np.zeros(SAMPLE_RATE, np.float32)
    click[8000:8040] = 0.9
    out = feed(Segmenter(Channel.CUSTOMER), np.concatenate([silence, noise, click]))
    assert [u for u in out if u.state is not UtteranceState.ENDED or len(u.audio)] == []


def test_any_chunk_size_gives_the_same_cut(clips: dict[str, Path]) -> None:
    audio = np.concatenate([np.zeros(8000, np.float32), speech(clips), np.zeros(SAMPLE_RATE, np.float32)])
    a = [u for u in feed(Segmenter(Channel.CUSTOMER), audio, step=160) if u.state is UtteranceState.ENDED]
    b = [u for u in feed(Segmenter(Channel.CUSTOMER), audio, step=4801) if u.state is UtteranceState.ENDED]
    assert [(u.start, u.end) for u in a] == [(u.start, u.end) for u in b]


def test_a_long_utterance_ends_at_its_next_short_pause(clips: dict[str, Path]) -> None:
    gap = np.zeros(int(0.35 * SAMPLE_RATE), np.float32)  # a breath
    first = speech(clips, "agent")
    talk = np.concatenate([first, gap, speech(clips), np.zeros(SAMPLE_RATE, np.float32)])

    def finals_with_position(settings: SegmenterSettings) -> list[tuple[Utterance, float]]:
        segmenter = Segmenter(Channel.AGENT, settings)
        out = []
        for i in range(0, len(talk), 512):
            for u in segmenter.push(talk[i : i + 512]):
                if u.state is UtteranceState.ENDED:
                    out.append((u, segmenter.position))
        out.extend((u, segmenter.position) for u in segmenter.flush())
        return out

    breath = len(first) / SAMPLE_RATE
    # (espeak leaves some silence at the end of its sentence: end_silence is set above breath + that)
    short = finals_with_position(SegmenterSettings(long_utterance=3.0, end_silence=2.0, max_utterance=30.0))
    assert len(short) == 2
    (head, cut_at), _ = short
    assert abs(head.end - breath) < 0.4  # the first sentence is final at the breath ...
    assert cut_at - head.end < 0.4  # ... as soon as the breath is heard, not after the next sentence
    kept_together = finals_with_position(
        SegmenterSettings(long_utterance=60.0, end_silence=2.0, max_utterance=30.0)
    )
    assert len(kept_together) == 1  # shorter speech runs on across the same breath


class ScriptedDetector:
    """The VAD's probabilities for each 32 ms window, as scripted (the real network is used above)."""

    def __init__(self, probs: list[float]) -> None:
        self.probs = list(probs)

    def push(self, samples: np.ndarray) -> np.ndarray:
        count = len(samples) // WINDOW
        out, self.probs = self.probs[:count], self.probs[count:]
        return np.asarray(out, dtype=np.float32)


def onsets(probs: list[float]) -> list[tuple[float, float]]:
    segmenter = Segmenter(Channel.CUSTOMER)
    segmenter._detector = ScriptedDetector(probs)  # type: ignore[assignment]
    out = feed(segmenter, np.full(len(probs) * WINDOW, 0.01, np.float32), step=WINDOW)
    return [(round(u.start, 3), round(u.onset or -1.0, 3)) for u in out if u.state is UtteranceState.ENDED]


def test_a_soft_start_the_vad_was_unsure_of_is_the_utterance_s_onset() -> None:
    quiet, unsure, sure, pause = [0.01] * 20, [0.3, 0.2, 0.4, 0.25, 0.3], [0.9] * 20, [0.01] * 20
    # a soft まいばん: five windows the VAD gave 0.2-0.4 before it was sure
    assert onsets(quiet + unsure + sure + pause) == [(25 * 0.032, 20 * 0.032)]
    # a clear start: the onset is the first speech window; one unsure window counts, a quiet one breaks it
    assert onsets(quiet + sure + pause) == [(20 * 0.032, 20 * 0.032)]
    assert onsets([*quiet, 0.3, 0.05, 0.3, *sure, *pause]) == [(23 * 0.032, 22 * 0.032)]
    # at most onset_lookback (1 s, 31 windows) back; the next utterance never reaches into the last one
    long_unsure = [0.3] * 40
    assert onsets(quiet + long_unsure + sure + pause + unsure + sure + pause) == [
        (60 * 0.032, (60 - 31) * 0.032),
        (105 * 0.032, 100 * 0.032),
    ]
