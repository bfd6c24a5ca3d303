"""A biasing prompt (the call's words) may only make the recognizer spell domain words: measured safe by
tests/bench/bench_support_ja.py and bench_guard.py, checked here on the rule and with the real model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import soxr

from assist.domain import Customer, KnowledgeEntry
from assist.domain_words import biasing_hotwords, biasing_prompt, support_words
from audio.events import Channel, EventKind, TranscriptEvent
from audio.guards import prompt_agrees
from audio.lexicon import merge_prompted, sound_agreement
from audio.live import LiveTranscription, SharedModel
from audio.segmenter import Utterance, UtteranceState
from audio.source import ChannelMap, FileSource
from audio.transcriber import Recognition, StreamingTranscriber, WhisperRecognizer
from tests.conftest import EVAL_DIR
from tests.waiting import wait_until

WORDS = ["料金", "料金プラン", "請求書", "キャンセル料", "割引", "二重請求"]


def test_the_prompted_hearing_only_brings_in_the_domain_words_it_spelled() -> None:
    plain = "ローキンプランの変更は大別から適用されます。"
    prompted = "料金プランの変更は大別から適用されます"
    assert prompt_agrees(plain, prompted)
    assert merge_prompted(plain, prompted, WORDS) == "料金プランの変更は大別から適用されます。"
    # other words the prompt changed stay as first heard: 送付先 is not a domain word here
    assert merge_prompted(
        "青級所の創作を健康したいのですが", "請求書の送付先を健康したいのですが", WORDS
    ) == ("請求書の創作を健康したいのですが")


def test_a_prompted_hearing_that_says_something_else_is_refused() -> None:
    # a word of the prompt put in place of what was said (発生 -> 割引) sounds different
    assert not prompt_agrees("キャンセル料は確定いたしません。", "キャンセル料、割引いたしません")
    # the prompt's words on casual speech
    assert not prompt_agrees("よーちゃんと聞いてますか?", "二重を立たしてくれますか?")
    # a stretch dropped
    assert not prompt_agrees(
        "この機械が日本語をちゃんと聞き取れているかどうかを分かります", "この機械が日本語をちゃんと"
    )
    # nothing heard plainly: the prompt cannot add speech
    assert not prompt_agrees("", "料金")


def test_the_call_s_prompt_names_the_caller_and_the_cards_on_screen_first() -> None:
    caller = Customer(id="c1", name="山田 花子", kana="ヤマダ ハナコ")
    card = KnowledgeEntry(
        id="k1", title="二重請求の返金手続き", language="ja", aliases=("ダブルチャージ",), tags=("請求",)
    )
    prompt = biasing_prompt("ja", caller=caller, cards=[card], notes=["明日折り返し"])
    assert prompt is not None and prompt.startswith("お電話ありがとうございます。")
    words = prompt.split("。")[-1].split("、")
    assert words[:3] == ["山田花子", "ダブルチャージ", "請求"]
    assert "明日折り返し" in words and "料金" in words
    assert len("、".join(words)) <= 80
    # English: only the call's own words (not measured with the support list), none without them
    assert biasing_prompt("en") is None
    assert biasing_prompt("en", caller=Customer(id="c2", name="Ann Lee")) == "Ann Lee"
    assert biasing_prompt("ja", support=0) is None


def test_the_hotwords_are_the_support_words_the_prompt_left_out() -> None:
    prompt = biasing_prompt("ja")
    hotwords = biasing_hotwords("ja", prompt)
    assert prompt is not None and hotwords is not None
    listed = hotwords.split()
    assert "料金" in prompt and "料金" not in listed  # said once, in the prompt
    assert {"ご用件", "ルーター", "二段階認証"} <= set(listed)
    assert all(word.isascii() is False for word in listed)  # the English support words stay out
    # English is not measured, and hotwords only ever go with a prompt
    assert biasing_hotwords("en", "Ann Lee") is None
    assert biasing_hotwords("ja", None) is None


def _kept(events: list[TranscriptEvent]) -> str:
    lines: dict[str, str] = {}
    for event in events:
        if event.kind is EventKind.FINAL:
            lines[event.segment_id] = event.text
    return "".join(lines.values())


def _hear(path: Path, model: Any, prompt: str | None, words: list[str]) -> str:
    events: list[TranscriptEvent] = []
    live = LiveTranscription(
        FileSource(path, realtime=False, channel_map=ChannelMap.mono(Channel.CUSTOMER)),
        call_id="bias",
        language="ja",
        model=model,
        on_event=events.append,
        prompt=prompt,
        lexicon=words,
    )
    live.start()
    assert live.wait(180)
    return _kept(events)


@pytest.mark.slow
def test_with_the_prompt_real_casual_speech_is_heard_as_without_it_and_noise_stays_empty(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    clip = EVAL_DIR / "audio" / "reazonspeech_k2_test_wavs" / "test_ja_2.wav"
    if not clip.is_file():
        pytest.skip(f"no evaluation clip at {clip}")
    model = SharedModel.get("base", "ja")
    prompt = biasing_prompt("ja")
    # the telephone band, where the unguarded prompt turned 日本語 into 日本王 in bench_guard
    audio, rate = sf.read(str(clip), dtype="float32", always_2d=True)
    phone = tmp_path / "phone.wav"
    sf.write(str(phone), soxr.resample(audio.mean(axis=1), rate, 8000), 8000, subtype="ULAW")
    plain = _hear(phone, model, None, WORDS)
    assert "機械" in plain
    assert _hear(phone, model, prompt, WORDS) == plain
    # silence, line noise and a music-like run between two seconds of speech-free padding: no words
    noise = np.concatenate(
        [sf.read(str(clips[name]), dtype="float32")[0] for name in ("silence", "noise", "music")]
    )
    path = tmp_path / "nonspeech.wav"
    sf.write(str(path), noise, 16000, subtype="PCM_16")
    assert _hear(path, model, prompt, WORDS) == ""


class Listening(WhisperRecognizer):
    """The real recognizer, noting the hotwords each prompted hearing of a whole turn was given."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.turn_hotwords: list[str] = []

    def recognize_turn(
        self, audio: Any, *, language: str | None, prompt: str | None, hotwords: str | None
    ) -> Recognition:
        if prompt is not None:
            self.turn_hotwords.append(hotwords or "")
        return super().recognize_turn(audio, language=language, prompt=prompt, hotwords=hotwords)


@pytest.mark.slow
def test_the_words_an_utterance_sounds_like_lead_its_hotwords_however_long_the_team_s_list(
    tmp_path: Path,
) -> None:
    clip = EVAL_DIR / "audio" / "reazonspeech_k2_test_wavs" / "test_ja_2.wav"
    if not clip.is_file():
        pytest.skip(f"no evaluation clip at {clip}")
    model = SharedModel.get("base", "ja")
    prompt = f"{biasing_prompt('ja')}、日本語"
    hotwords = biasing_hotwords("ja", prompt)
    assert hotwords is not None
    # the team's words said in the clip come last in a long list: the whole list's hotwords, of which
    # Whisper keeps only the first ~220 tokens, never name them
    words = [*support_words(), "機械", "聞き取り", "日本語"]
    recognizer = Listening(model)
    events: list[TranscriptEvent] = []
    live = LiveTranscription(
        FileSource(clip, realtime=False, channel_map=ChannelMap.mono(Channel.CUSTOMER)),
        call_id="near",
        language="ja",
        model=model,
        recognizer=recognizer,
        on_event=events.append,
        prompt=prompt,
        hotwords=hotwords,
        lexicon=words,
    )
    live.start()
    assert live.wait(180)
    assert "機械" in _kept(events)
    assert recognizer.turn_hotwords, "the turn was not heard again with the call's words"
    for given in recognizer.turn_hotwords:
        first = given.split()[:10]
        assert "機械" in first and "聞き取り" in first
        assert "日本語" not in given.split()  # the prompt says it already: said twice, it cost the calls
        # then the rest of the list, as before
        assert given.split()[-1] == hotwords.split()[-1]


class TwoHearings:
    """Hears ``plain`` without the biasing prompt and ``prompted`` with it (``None``: non-speech)."""

    def __init__(self, plain: str, prompted: str, no_speech: float = 0.01) -> None:
        self.plain, self.prompted, self.no_speech = plain, prompted, no_speech
        self.prompts: list[tuple[str | None, bool]] = []

    def recognize(
        self, audio: Any, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition:
        self.prompts.append((prompt, final))
        biased = prompt is not None and "料金" in prompt
        return Recognition(self.prompted if biased else self.plain, -0.3, self.no_speech, "ja")


def _transcribe(recognizer: TwoHearings) -> list[TranscriptEvent]:
    return _transcribe_with(recognizer, WORDS)


def _transcribe_with(recognizer: TwoHearings, words: list[str]) -> list[TranscriptEvent]:
    events: list[TranscriptEvent] = []
    t = StreamingTranscriber(
        recognizer,
        call_id="c",
        language="ja",
        on_event=events.append,
        prompt="料金、料金プラン",
        words=frozenset(words),
    )
    t.start()
    audio = np.full(2 * 16000, 0.1, dtype=np.float32)
    t.offer(Utterance(Channel.CUSTOMER, "u1", UtteranceState.PARTIAL, 0.0, 1.0, 0.0, audio[:16000], 0.95))
    assert wait_until(lambda: bool(recognizer.prompts), 10)
    t.offer(Utterance(Channel.CUSTOMER, "u1", UtteranceState.ENDED, 0.0, 2.0, 0.0, audio, 0.95))
    t.close()
    assert t.join(10)
    return events


def test_a_final_takes_the_domain_words_the_prompted_hearing_spelled_and_partials_are_not_prompted() -> None:
    recognizer = TwoHearings("ローキンプランの変更は大別から", "料金プランの変更は大別から")
    events = _transcribe(recognizer)
    (final,) = [e for e in events if e.kind is EventKind.FINAL]
    assert final.text == "料金プランの変更は大別から"
    assert all(prompt is None for prompt, final_ in recognizer.prompts if not final_)
    assert any(prompt and "料金" in prompt for prompt, final_ in recognizer.prompts if final_)


def test_where_the_plain_hearing_finds_no_speech_the_prompt_adds_nothing() -> None:
    # what a prompt makes Whisper write on line noise, with a no-speech probability the plain guard lets by
    recognizer = TwoHearings("", "料金プラン", no_speech=0.3)
    events = _transcribe(recognizer)
    assert not [e for e in events if e.kind is EventKind.FINAL and e.text]


class NextBest(TwoHearings):
    """The prompted hearing's best text misses a domain word that its beam's next-best texts spell."""

    def __init__(self, plain: str, prompted: str, alternatives: tuple[str, ...]) -> None:
        super().__init__(plain, prompted)
        self.alternatives = alternatives

    def recognize(
        self, audio: Any, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition:
        rec = super().recognize(audio, language=language, prompt=prompt, hotwords=hotwords, final=final)
        biased = prompt is not None and "料金" in prompt
        return Recognition(
            rec.text,
            rec.avg_logprob,
            rec.no_speech_prob,
            "ja",
            alternatives=self.alternatives if biased else (),
        )


def test_a_domain_word_the_prompted_beam_spelled_only_in_a_next_best_text_is_kept() -> None:
    recognizer = NextBest(
        "両金の請求書が届きました",
        "両金の青級所が届きました",
        # the second text spells 料金; the third says something else and is refused, domain word or not
        ("料金の青級所が届きました", "割引の料金プランです"),
    )
    (final,) = [e for e in _transcribe(recognizer) if e.kind is EventKind.FINAL]
    assert final.text == "料金の請求書が届きました"
    # a word the plain hearing found in the dictionary stays: a less likely text's listed word may not
    # take its place (担当部署 -> 担当者)
    recognizer = NextBest("担当部署におつなぎします", "担当部署におつなぎします", ("担当者におつなぎします",))
    (final,) = [e for e in _transcribe_with(recognizer, [*WORDS, "担当者"]) if e.kind is EventKind.FINAL]
    assert final.text == "担当部署におつなぎします"


@pytest.mark.slow
def test_a_prompted_hearing_of_a_turn_brings_the_beam_s_next_best_texts_and_the_same_best_one() -> None:
    clip = EVAL_DIR / "audio" / "reazonspeech_k2_test_wavs" / "test_ja_2.wav"
    if not clip.is_file():
        pytest.skip(f"no evaluation clip at {clip}")
    model = SharedModel.get("base", "ja")
    audio, rate = sf.read(str(clip), dtype="float32", always_2d=True)
    speech = soxr.resample(audio.mean(axis=1), rate, 16000).astype(np.float32)
    prompt, hotwords = biasing_prompt("ja"), "機械 聞き取り 日本語"
    heard = WhisperRecognizer(model).recognize_turn(speech, language="ja", prompt=prompt, hotwords=hotwords)
    alone = WhisperRecognizer(model, biased_hypotheses=1).recognize_turn(
        speech, language="ja", prompt=prompt, hotwords=hotwords
    )
    assert heard.text == alone.text and "機械" in heard.text  # asking for more texts changes not the best
    assert alone.alternatives == ()
    assert heard.alternatives and heard.text not in heard.alternatives
    assert len(set(heard.alternatives)) == len(heard.alternatives) <= 4
    assert all(sound_agreement(heard.text, other) > 0.7 for other in heard.alternatives)
    # a plain hearing (no hotwords) asks for nothing more
    plain = WhisperRecognizer(model).recognize_turn(speech, language="ja", prompt=None, hotwords=None)
    assert plain.alternatives == ()
