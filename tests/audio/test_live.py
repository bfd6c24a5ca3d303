"""The real model on real speech through the streaming path, as a call would go through it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription
from audio.source import ChannelMap, FileSource

pytestmark = pytest.mark.slow


def transcribe(
    path: Path, model: Any, channel_map: ChannelMap | None = None, **kwargs: Any
) -> tuple[list[TranscriptEvent], list[AudioStatusEvent], LiveTranscription]:
    events: list[TranscriptEvent] = []
    statuses: list[AudioStatusEvent] = []
    lock = threading.Lock()

    def on_event(event: TranscriptEvent) -> None:
        with lock:
            events.append(event)

    live = LiveTranscription(
        FileSource(path, channel_map=channel_map),
        call_id="test-call",
        language="en",
        model=model,
        on_event=on_event,
        on_status=statuses.append,
        **kwargs,
    )
    live.start()
    assert live.wait(120), "transcription did not finish"
    return events, statuses, live


def finals(events: list[TranscriptEvent], channel: Channel | None = None) -> list[TranscriptEvent]:
    return [
        e
        for e in events
        if e.kind is EventKind.FINAL and e.text and (channel is None or e.channel is channel)
    ]


def words(events: list[TranscriptEvent]) -> str:
    return " ".join(e.text for e in events).lower()


def test_speech_becomes_partials_then_a_final_with_the_spoken_words(
    clips: dict[str, Path], tiny_en: Any
) -> None:
    events, statuses, _ = transcribe(clips["customer"], tiny_en, ChannelMap.mono(Channel.CUSTOMER))
    done = finals(events)
    assert done, f"no final in {events}"
    text = words(done)
    for word in ("thank", "calling", "customer", "support", "help", "today"):
        assert word in text
    first_final = done[0]
    partials = [e for e in events if e.kind is EventKind.PARTIAL]
    assert partials and all(p.segment_id == first_final.segment_id for p in partials[:1])
    assert events.index(partials[0]) < events.index(first_final)
    assert 0.0 <= first_final.start < 0.6 and 3.5 < done[-1].end < 4.8
    assert 0.0 < first_final.confidence <= 1.0
    assert statuses[-1].kind is AudioStatusKind.SOURCE_ENDED


def test_each_side_of_a_stereo_call_lands_on_its_own_channel(clips: dict[str, Path], tiny_en: Any) -> None:
    events, _, _ = transcribe(clips["call_stereo"], tiny_en, ChannelMap.parse("agent=left,customer=right"))
    agent, customer = words(finals(events, Channel.AGENT)), words(finals(events, Channel.CUSTOMER))
    assert "order" in agent and "number" in agent
    assert "customer support" in customer and "order" not in customer
    assert "support" not in agent
    assert max(e.end for e in finals(events, Channel.AGENT)) < min(
        e.start for e in finals(events, Channel.CUSTOMER)
    )


def test_a_finished_turn_is_kept_as_the_model_reads_the_whole_turn(
    clips: dict[str, Path], tiny_en: Any
) -> None:
    import soundfile as sf

    from audio.transcriber import WhisperRecognizer

    events, _, live = transcribe(clips["turn"], tiny_en, ChannelMap.mono(Channel.CUSTOMER))
    first_pass = [e for e in finals(events) if not e.revised]
    assert len(first_pass) >= 2, f"the breath should split the turn: {first_pass}"
    # what the agent ends up with: the latest final per line, empty ones gone
    latest: dict[str, TranscriptEvent] = {}
    for e in events:
        if e.kind is EventKind.FINAL:
            latest[e.segment_id] = e
    kept = sorted((e for e in latest.values() if e.text), key=lambda e: e.start)
    text = words(kept)
    for word in ("order", "thank", "support", "help"):
        assert word in text
    # ... reads as the turn decoded whole (the second pass), whether or not that changed a letter
    audio, rate = sf.read(str(clips["turn"]), dtype="float32")
    span = audio[int((first_pass[0].start - 0.2) * rate) : int((first_pass[-1].end + 0.3) * rate)]
    whole = WhisperRecognizer(tiny_en).recognize_turn(span, language="en", prompt=None, hotwords=None).text
    assert letters(text) == letters(whole)
    assert live.stats.revisions + live.stats.revisions_kept_first == 1
    if live.stats.revisions:
        assert len(kept) == 1 and (kept[0].start, kept[0].end) == (first_pass[0].start, first_pass[-1].end)


def test_a_recording_that_ends_right_after_its_last_word_still_gets_its_second_pass(
    clips: dict[str, Path], tiny_en: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import soundfile as sf

    from audio.transcriber import Recognition, WhisperRecognizer

    audio, rate = sf.read(str(clips["turn"]), dtype="float32")
    events, _, _ = transcribe(clips["turn"], tiny_en, ChannelMap.mono(Channel.CUSTOMER))
    last_word = max(e.end for e in finals(events) if not e.revised)
    cut = tmp_path / "cut.wav"
    sf.write(str(cut), audio[: int((last_word + 0.1) * rate)], rate)  # the recording stops 0.1 s later
    heard: list[float] = []
    real_turn = WhisperRecognizer.recognize_turn

    def watched_turn(self: WhisperRecognizer, audio: Any, **kwargs: Any) -> Recognition:
        heard.append(len(audio) / rate)
        return real_turn(self, audio, **kwargs)

    monkeypatch.setattr(WhisperRecognizer, "recognize_turn", watched_turn)
    events, _, _ = transcribe(cut, tiny_en, ChannelMap.mono(Channel.CUSTOMER))
    first_pass = [e for e in finals(events) if not e.revised]
    assert len(heard) == 1, "the last turn was not decoded again"
    # the whole turn, up to where the recording ends (its 0.3 s margin is cut short, not the turn)
    assert first_pass[-1].end - first_pass[0].start <= heard[0] <= len(audio) / rate


def letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def test_telephone_audio_8khz_mulaw_is_transcribed(clips: dict[str, Path], tiny_en: Any) -> None:
    events, _, _ = transcribe(clips["call_8k_ulaw"], tiny_en)
    assert "order" in words(finals(events, Channel.AGENT))
    assert "support" in words(finals(events, Channel.CUSTOMER))


def test_speakerphone_bleed_is_transcribed_once_on_the_louder_side(
    clips: dict[str, Path], tiny_en: Any
) -> None:
    events, _, live = transcribe(clips["bleed_stereo"], tiny_en)
    assert "support" in words(finals(events, Channel.CUSTOMER))
    assert finals(events, Channel.AGENT) == []
    assert live.stats.dropped_as_bleed >= 1


@pytest.mark.parametrize("name", ["silence", "noise", "tone", "dtmf", "music"])
def test_non_speech_produces_no_text(name: str, clips: dict[str, Path], tiny_en: Any) -> None:
    events, _, _ = transcribe(clips[name], tiny_en, ChannelMap.mono(Channel.CUSTOMER))
    assert finals(events) == [], f"{name} produced {[e.text for e in finals(events)]}"


def test_recordings_hold_the_call_per_channel(clips: dict[str, Path], tiny_en: Any, tmp_path: Path) -> None:
    import wave

    _, _, live = transcribe(clips["call_stereo"], tiny_en, record_dir=tmp_path)
    assert set(live.recordings) == {Channel.AGENT, Channel.CUSTOMER}
    for path in live.recordings.values():
        with wave.open(str(path)) as w:
            assert w.getframerate() == 16000 and w.getnchannels() == 1
            assert abs(w.getnframes() / 16000 - live.audio_seconds) < 0.2


def test_the_shared_model_is_loaded_once_and_a_bad_path_is_named(tiny_en: Any, tmp_path: Path) -> None:
    from audio.live import SharedModel
    from audio.models import ModelNotFoundError

    assert SharedModel.get("tiny.en", "en") is tiny_en
    assert SharedModel.preload("tiny.en", "en").result(1) is tiny_en
    missing = tmp_path / "no-model-here"
    missing.mkdir()
    with pytest.raises(ModelNotFoundError, match="no-model-here"):
        SharedModel.get(str(missing), "en", timeout=30)


def test_japanese_speech_from_the_eval_set_is_transcribed_with_the_multilingual_model() -> None:
    from audio.live import SharedModel
    from tests.conftest import EVAL_DIR

    clip = EVAL_DIR / "audio" / "reazonspeech_k2_test_wavs" / "test_ja_2.wav"
    if not clip.is_file():
        pytest.skip(f"{clip} is not available (../shared/eval is optional)")
    events: list[TranscriptEvent] = []
    live = LiveTranscription(
        FileSource(clip, channel_map=ChannelMap.mono(Channel.CUSTOMER)),
        call_id="ja",
        language="ja",
        model=SharedModel.get("base", "ja"),
        on_event=events.append,
    )
    live.start()
    assert live.wait(120)
    text = "".join(e.text for e in finals(events, Channel.CUSTOMER))
    # reference: これはテスト文ですこの機械が日本語をちゃんと聞き取れているかどうかを計ります
    assert "テスト" in text and "日本語" in text and "ちゃんと" in text
    assert all(e.language == "ja" for e in finals(events))


@pytest.mark.parametrize(
    ("cores", "workers", "threads"),
    [(1, 1, 1), (2, 2, 1), (3, 2, 1), (4, 2, 2), (8, 2, 3), (16, 2, 4)],
)
def test_the_model_s_workers_and_threads_fit_the_pc(
    monkeypatch: pytest.MonkeyPatch, cores: int, workers: int, threads: int
) -> None:
    """Two workers wherever there are two cores, sharing the cores out between them (up to four threads each),
    so they never ask for more threads than there are cores."""
    from audio import live, models

    monkeypatch.setattr(models.os, "cpu_count", lambda: cores)
    assert (live.transcription_workers(), live.transcription_threads()) == (workers, threads)


def test_a_turn_s_prompted_second_pass_reuses_its_plain_decode_s_encoding_and_hears_the_same() -> None:
    """The second pass decodes a finished turn plainly and then with the biasing prompt; the full 30 s window
    is encoded once (half the encoder's work, which was most of the call's CPU), and the prompted hearing is
    what it is with an encoding of its own."""
    from assist.domain_words import biasing_hotwords, biasing_prompt
    from audio.live import EncoderMemo, SharedModel
    from audio.transcriber import WhisperRecognizer
    from tests.conftest import EVAL_DIR

    clip = EVAL_DIR / "audio" / "reazonspeech_k2_test_wavs" / "test_ja_2.wav"
    if not clip.is_file():
        pytest.skip(f"{clip} is not available (../shared/eval is optional)")
    import soundfile as sf
    import soxr

    stereo, rate = sf.read(str(clip), dtype="float32", always_2d=True)
    audio = soxr.resample(stereo.mean(axis=1), rate, 16000).astype("float32")
    model = SharedModel.get("base", "ja")
    memo = model.encode
    assert isinstance(memo, EncoderMemo)
    recognizer = WhisperRecognizer(model)
    prompt = biasing_prompt("ja")
    hotwords = biasing_hotwords("ja", prompt)
    memo.clear()
    hits = memo.hits
    plain = recognizer.recognize_turn(audio, language="ja", prompt=None, hotwords=None)
    assert memo.hits == hits  # a window not seen before is encoded
    prompted = recognizer.recognize_turn(audio, language="ja", prompt=prompt, hotwords=hotwords)
    reused = memo.hits - hits
    assert reused >= 1  # at least its first window: the turn's windows are the same, whatever the prompt
    memo.clear()
    fresh = recognizer.recognize_turn(audio, language="ja", prompt=prompt, hotwords=hotwords)
    assert memo.hits == hits + reused
    assert "日本語" in plain.text and prompted.text == fresh.text
    assert prompted.avg_logprob == pytest.approx(fresh.avg_logprob)
