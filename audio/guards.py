"""Keep text that nobody said out of the transcript.

Whisper, given silence, music or line noise, confidently writes things like "Thank you." or
「ご視聴ありがとうございました」 (it learned them from subtitled videos), and it can loop on a phrase. On a
speakerphone the customer's voice also leaks into the agent's microphone. An agent reading the live transcript
(and a CRM storing it) must see none of that. These checks are pure functions so they can be tested alone.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from audio.source import SAMPLE_RATE, Samples

# Phrases Whisper produces from non-speech. They can also be said for real ("Thank you."), so they are only
# dropped when the audio or the decoder was unsure (see is_hallucination).
_SUSPECT_PHRASES = {
    "thank you",
    "thank you very much",
    "thanks for watching",
    "thank you for watching",
    "you",
    "bye",
    "thank you so much for watching",
    "please subscribe",
    "so",
    "oh",
    "okay",
    "the end",
    "music",
    "ご視聴ありがとうございました",
    "ご清聴ありがとうございました",
    "ありがとうございました",
    "おやすみなさい",
    "お疲れ様でした",
    "はい",
    "チャンネル登録お願いします",
    "ん",
    "うん",
}
# Substrings that only ever come from subtitle credits, never from a support call.
_CREDIT_PATTERNS = re.compile(
    r"(subtitles by|amara\.org|字幕|チャンネル登録|高評価|ご視聴|thanks for watching|transcribed by|"
    r"www\.|\.com)",
    re.IGNORECASE,
)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
# One kana held or repeated ("うう", "んん", "あー"): what Whisper writes for a hum or a held note of hold
# music.
_HUM = re.compile(r"([ぁ-ゖァ-ヺ])(\1|ー)*")


def normalize(text: str) -> str:
    """Width-normalized, lower-cased, without punctuation or spaces: for comparing phrases."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


def _words(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", unicodedata.normalize("NFKC", text).lower()).split())


PLAIN_LIMITS = (0.6, -0.8)
"""(no-speech probability, average log-probability): a line above the first and below the second is dropped
as invented. Without a biasing prompt, Whisper invented nothing on non-speech in tests/bench/bench_guard.py,
and stricter limits dropped real, unclear telephone speech (a whole sentence at 0.45 / -0.73)."""
PROMPTED_LIMITS = (0.2, -0.5)
"""With a biasing prompt Whisper writes words on non-speech (20 of 48 windows past the VAD, at 0.36-0.60 /
-0.90 to -1.92); these limits (issue 15's) dropped all of them and, of real speech decoded with the prompt,
only an invented 「解約金」 (and second passes, whose first pass then stands)."""
BIAS_NO_SPEECH_PROB = 0.2
"""A line of nothing but the biasing words is dropped above this no-speech probability."""


def bias_terms(*texts: str | None) -> frozenset[str]:
    """The words of a biasing prompt or hotword list (split at spaces and list punctuation), normalized."""
    terms: set[str] = set()
    for text in texts:
        for part in re.split(r"[\s,、，。・/|;；]+", text or ""):
            norm = normalize(part)
            if norm:
                terms.add(norm)
    return frozenset(terms)


def only_bias_terms(text: str, terms: frozenset[str]) -> bool:
    """True when ``text`` is made of the biasing words alone (what a prompt makes Whisper write on noise)."""
    rest = normalize(text)
    if not rest or not terms:
        return False
    for term in sorted(terms, key=len, reverse=True):
        rest = rest.replace(term, "")
    return not rest


PROMPT_AGREEMENT = 0.8
"""A biasing prompt's hearing is kept only when it sounds this much like the plain one (0..1, see
:func:`prompt_agrees`); chosen on the tuning half of tests/bench/bench_support_ja.py, where the prompt turned
ローキンプラン into 料金プラン (0.91) but 発生いたしません into 割引いたしません (0.72)."""


def prompt_agrees(plain: str, prompted: str) -> bool:
    """True when a hearing with a biasing prompt says what the plain hearing said, in other spellings: the
    same sounds (:func:`audio.lexicon.sound_agreement` >= :data:`PROMPT_AGREEMENT`) at about the same length.
    A prompt that put its own words in, or dropped a stretch, is refused."""
    from audio.lexicon import sound_agreement, spoken_form

    x, y = spoken_form(plain), spoken_form(prompted)
    if not x or not y or not 0.85 <= len(y) / len(x) <= 1.2:
        return False
    return sound_agreement(plain, prompted) >= PROMPT_AGREEMENT


def is_hallucination(
    text: str,
    *,
    no_speech_prob: float,
    avg_logprob: float,
    speech_prob: float,
    duration: float,
    bias: frozenset[str] = frozenset(),
    no_speech_limit: float | None = None,
    logprob_limit: float | None = None,
) -> bool:
    """True when ``text`` is most likely Whisper inventing words for audio without speech.

    ``bias`` is the biasing prompt's words (:func:`bias_terms`); with them the stricter
    :data:`PROMPTED_LIMITS` apply, without them :data:`PLAIN_LIMITS` (measured in tests/bench/bench_guard.py
    over noise, silence, tones and hold-music-like audio fed to Whisper as if the VAD had let it through,
    and over the real speech of ../shared/eval and Japanese support sentences over the telephone band).
    ``no_speech_limit`` / ``logprob_limit`` override them (the benchmark compares settings with them).
    """
    limits = PROMPTED_LIMITS if bias else PLAIN_LIMITS
    no_speech_limit = limits[0] if no_speech_limit is None else no_speech_limit
    logprob_limit = limits[1] if logprob_limit is None else logprob_limit
    norm = normalize(text)
    if not norm:
        return True
    if no_speech_prob > no_speech_limit and avg_logprob < logprob_limit:
        return True
    if no_speech_prob > BIAS_NO_SPEECH_PROB and only_bias_terms(text, bias):
        return True
    if _CREDIT_PATTERNS.search(unicodedata.normalize("NFKC", text)):
        return True
    if _words(text) in _SUSPECT_PHRASES or norm in _SUSPECT_PHRASES or _HUM.fullmatch(norm):
        unsure = speech_prob < 0.8 or no_speech_prob > 0.3 or avg_logprob < -0.7
        return unsure
    # Many words from a blip of "speech" is invention, not transcription.
    chars_per_second = len(norm) / max(duration, 0.1)
    return chars_per_second > 40


def collapse_repetitions(text: str, max_repeats: int = 2) -> str:
    """Cut a phrase repeated over and over (a decoder loop) down to ``max_repeats`` occurrences.

    Works on words for space-separated languages and on characters for Japanese.
    """
    if " " in text.strip():
        tokens = text.split()
        joiner = " "
    else:
        tokens = list(text)
        joiner = ""
    changed = True
    while changed:
        changed = False
        for n in range(1, min(20, len(tokens) // (max_repeats + 1)) + 1):
            i = 0
            out: list[str] = []
            while i < len(tokens):
                unit = tokens[i : i + n]
                repeats = 1
                while tokens[i + repeats * n : i + (repeats + 1) * n] == unit and len(unit) == n:
                    repeats += 1
                if repeats > max_repeats and _normalize_unit(unit):
                    out.extend(unit * max_repeats)
                    i += repeats * n
                    changed = True
                else:
                    out.append(tokens[i])
                    i += 1
            tokens = out
    return joiner.join(tokens)


def _normalize_unit(unit: list[str]) -> str:
    return normalize("".join(unit))


def _envelope(samples: Samples, frame: int) -> Samples:
    usable = len(samples) // frame * frame
    if usable == 0:
        return np.zeros(0, np.float32)
    frames = samples[:usable].reshape(-1, frame)
    envelope: Samples = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)).astype(np.float32)
    return envelope


def bleed_ratio(mine: Samples, other: Samples) -> tuple[float, float]:
    """How much ``mine`` looks like ``other`` (same time span): (envelope correlation, level ratio
    mine/other).

    Speakerphone bleed is the other side's voice arriving, a few milliseconds late and quieter, on this
    channel: its loudness follows the other channel's closely. Correlation is taken over small delays.
    """
    n = min(len(mine), len(other))
    if n < SAMPLE_RATE // 4:
        return 0.0, 1.0
    frame = SAMPLE_RATE // 50  # 20 ms
    a = _envelope(mine[:n], frame)
    b = _envelope(other[:n], frame)
    level_a = float(np.sqrt(np.mean(mine[:n].astype(np.float64) ** 2)))
    level_b = float(np.sqrt(np.mean(other[:n].astype(np.float64) ** 2)))
    ratio = level_a / level_b if level_b > 1e-9 else float("inf")
    best = 0.0
    for shift in range(-5, 6):  # +-100 ms
        if shift >= 0:
            x, y = a[shift:], b[: len(b) - shift]
        else:
            x, y = a[: len(a) + shift], b[-shift:]
        if len(x) < 5 or float(np.std(x)) < 1e-7 or float(np.std(y)) < 1e-7:
            continue
        best = max(best, float(np.corrcoef(x, y)[0, 1]))
    return best, ratio
