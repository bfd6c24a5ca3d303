"""Hallucination, repetition and bleed checks on their own."""

from __future__ import annotations

import numpy as np
import pytest

from audio.guards import bias_terms, bleed_ratio, collapse_repetitions, is_hallucination, only_bias_terms


@pytest.mark.parametrize(
    "text", ["Thank you.", "ご視聴ありがとうございました", "Thanks for watching!", "you"]
)
def test_subtitle_phrases_from_unsure_audio_are_dropped(text: str) -> None:
    assert is_hallucination(text, no_speech_prob=0.4, avg_logprob=-0.9, speech_prob=0.6, duration=1.5)


def test_a_clearly_spoken_thank_you_is_kept() -> None:
    assert not is_hallucination(
        "Thank you.", no_speech_prob=0.01, avg_logprob=-0.2, speech_prob=0.97, duration=1.0
    )


def test_subtitle_credits_are_dropped_even_when_confident() -> None:
    assert is_hallucination(
        "字幕：山田", no_speech_prob=0.0, avg_logprob=-0.1, speech_prob=0.99, duration=2.0
    )
    assert is_hallucination(
        "Subtitles by the Amara.org community",
        no_speech_prob=0.0,
        avg_logprob=-0.1,
        speech_prob=0.99,
        duration=2.0,
    )


def test_ordinary_call_sentences_are_kept() -> None:
    for text in ("I'd like to change my delivery address.", "注文番号を教えていただけますか。"):
        assert not is_hallucination(
            text, no_speech_prob=0.05, avg_logprob=-0.3, speech_prob=0.9, duration=2.5
        )


def test_too_much_text_for_a_blip_is_dropped() -> None:
    assert is_hallucination("a" * 200, no_speech_prob=0.1, avg_logprob=-0.3, speech_prob=0.9, duration=0.5)


def test_repetition_loops_are_collapsed() -> None:
    assert collapse_repetitions("I see. I see. I see. I see. I see. I see.") == "I see. I see."
    assert collapse_repetitions("はいはいはいはいはいはいはい") == "はいはい"
    assert collapse_repetitions("the order the order the order the order number is five") == (
        "the order the order number is five"
    )
    assert collapse_repetitions("no no, that is fine") == "no no, that is fine"


def test_the_same_voice_quieter_on_the_other_channel_is_bleed() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(32000) / 16000
    voice = (rng.normal(0, 0.2, 32000) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    delayed = np.concatenate([np.zeros(80, np.float32), voice[:-80]]) * 0.4
    correlation, ratio = bleed_ratio(delayed, voice)
    assert correlation > 0.9 and ratio < 0.5
    other_voice = (rng.normal(0, 0.2, 32000) * (0.5 + 0.5 * np.sin(2 * np.pi * 2.3 * t + 1))).astype(
        np.float32
    )
    correlation, _ = bleed_ratio(other_voice, voice)
    assert correlation < 0.5
    correlation, _ = bleed_ratio(voice, np.zeros_like(voice))
    assert correlation == 0.0


def test_with_a_biasing_prompt_an_unsure_line_with_some_no_speech_probability_is_dropped() -> None:
    # what base wrote on noise past the VAD with a support-term prompt (tests/bench/bench_guard.py)
    bias = bias_terms("料金 返金 違約金 ご用件 請求書 ルーター 解約 プラン変更")
    for text, no_speech, logprob in (
        ("オーブンスタート", 0.46, -1.81),
        ("クッキー", 0.55, -1.59),
        ("エンディング エンディング", 0.36, -1.09),
    ):
        assert is_hallucination(
            text, no_speech_prob=no_speech, avg_logprob=logprob, speech_prob=0.7, duration=3.5, bias=bias
        )
        # the earlier guard (0.6 / -0.8, still used without a prompt) let them through
        assert not is_hallucination(
            text, no_speech_prob=no_speech, avg_logprob=logprob, speech_prob=0.7, duration=3.5
        )


def test_unclear_real_telephone_speech_is_kept() -> None:
    # real lines measured by tests/bench/bench_guard.py that a 0.2 / -0.5 guard would have dropped
    for text, no_speech, logprob in (
        ("きるぐんのおし払いを目がいたします", 0.45, -0.73),  # 延滞している分のお支払いを… over 8 kHz mu-law
        ("分かります", 0.21, -0.51),
        ("But it's", 0.43, -1.43),
        ("ご用件をお伺いします", 0.35, -0.3),
    ):
        assert not is_hallucination(
            text, no_speech_prob=no_speech, avg_logprob=logprob, speech_prob=0.78, duration=2.0
        )


def test_a_line_of_nothing_but_the_biasing_words_is_dropped_when_speech_is_doubtful() -> None:
    bias = bias_terms("料金 返金 違約金、ルーター", "山田")
    assert only_bias_terms("料金、返金。", bias)
    assert is_hallucination(
        "料金、返金。", no_speech_prob=0.3, avg_logprob=-0.2, speech_prob=0.8, duration=2.0, bias=bias
    )
    # clearly speech, or more than the biasing words: kept
    assert not is_hallucination(
        "料金、返金。", no_speech_prob=0.05, avg_logprob=-0.2, speech_prob=0.9, duration=2.0, bias=bias
    )
    assert not is_hallucination(
        "料金を返金してください",
        no_speech_prob=0.3,
        avg_logprob=-0.2,
        speech_prob=0.9,
        duration=2.0,
        bias=bias,
    )


def test_a_held_kana_is_a_hum_unless_clearly_spoken() -> None:
    for text in ("うう", "んん", "あー"):
        assert is_hallucination(text, no_speech_prob=0.56, avg_logprob=-0.24, speech_prob=0.9, duration=2.0)
    assert not is_hallucination("うう", no_speech_prob=0.02, avg_logprob=-0.2, speech_prob=0.95, duration=0.8)
