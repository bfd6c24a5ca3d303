"""The no-speech guard, measured: lines invented on non-speech against real speech lines dropped.

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_guard [--minutes 10]

Every recognition the live pipeline makes (first pass, partials, finals and the second pass over turns) is
recorded with its no-speech probability and average log-probability, over
- non-speech (both channels): silence, line noise, dial tone + DTMF and hold-music-like audio, decoded with
  and without a biasing prompt of support terms (a prompt is what makes Whisper write words on noise);
- real speech: every clip of ../shared/eval/audio with an exact reference (Japanese with base, also after an
  8 kHz mu-law round trip; English with tiny.en), with the same prompt and without.
It prints, for the earlier guard (no_speech_prob > 0.6 and avg_logprob < -0.8) and the current one (> 0.2
and < -0.5, or only biasing words with > 0.2), how many non-speech lines get through and how many speech
lines are dropped. A speech line here is any line decoded from a speech clip, so a dropped one is listed
for a look: it may be a real loss or an invented line in a pause.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from assist.domain_words import biasing_hotwords, biasing_prompt
from audio.events import Channel, TranscriptEvent
from audio.guards import bias_terms, collapse_repetitions, is_hallucination, prompt_agrees
from audio.live import LiveTranscription, SharedModel
from audio.source import SAMPLE_RATE, ChannelMap, FileSource, Samples
from audio.transcriber import Recognition, WhisperRecognizer
from tests.bench.bench_transcription import EVAL, error_rate, non_speech_audio, transcript

PROMPT = biasing_prompt("ja") or ""  # what a Japanese call is prompted with when no caller or card is known
HOTWORDS = biasing_hotwords("ja", PROMPT) or ""  # and the hotwords beside it (the rest of the support list)
LIMITS: dict[str, tuple[float, float] | None] = {  # (no-speech probability, average log-probability)
    "earlier guard": (0.6, -0.8),
    "issue 15's suggestion everywhere": (0.2, -0.5),
    "a looser corner": (0.5, -1.0),
    "current guard (0.2 / -0.5 with a prompt, else 0.6 / -0.8)": None,
}
WINDOWS = (1.0, 2.0, 3.5, 6.0)  # seconds of non-speech handed to Whisper directly


@dataclass
class Line:
    source: str
    speech: bool
    prompted: bool
    text: str
    no_speech_prob: float
    avg_logprob: float
    seconds: float
    kind: str  # "partial", "final" or "turn" (the second pass)


class RecordingRecognizer:
    """The real recognizer, with every result noted down."""

    def __init__(self, inner: WhisperRecognizer, source: str, speech: bool, prompted: bool) -> None:
        self.inner = inner
        self.source, self.speech, self.prompted = source, speech, prompted
        self.lines: list[Line] = []
        self._lock = threading.Lock()

    def _note(self, rec: Recognition, audio: Samples, kind: str) -> Recognition:
        text = collapse_repetitions(rec.text.strip())
        with self._lock:
            self.lines.append(
                Line(
                    self.source,
                    self.speech,
                    self.prompted,
                    text,
                    rec.no_speech_prob,
                    rec.avg_logprob,
                    len(audio) / SAMPLE_RATE,
                    kind,
                )
            )
        return rec

    def recognize(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition:
        rec = self.inner.recognize(audio, language=language, prompt=prompt, hotwords=hotwords, final=final)
        return self._note(rec, audio, "final" if final else "partial")

    def recognize_turn(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None
    ) -> Recognition:
        rec = self.inner.recognize_turn(audio, language=language, prompt=prompt, hotwords=hotwords)
        return self._note(rec, audio, "turn")


def run(
    path: Path,
    language: str,
    model: Any,
    label: str,
    speech: bool,
    prompt: str | None,
    events: list[TranscriptEvent] | None = None,
    hotwords: str | None = None,
    lexicon: list[str | tuple[str, str]] | None = None,
) -> list[Line]:
    recognizer = RecordingRecognizer(WhisperRecognizer(model), label, speech, prompt is not None)
    mapping = ChannelMap.stereo() if sf.info(str(path)).channels == 2 else ChannelMap.mono(Channel.CUSTOMER)
    live = LiveTranscription(
        FileSource(path, realtime=False, channel_map=mapping),
        call_id="guard",
        language=language,
        model=model,
        recognizer=recognizer,
        prompt=prompt,
        hotwords=hotwords if prompt is not None else None,
        on_event=events.append if events is not None else lambda _e: None,
        lexicon=lexicon if prompt is not None else None,
    )
    live.start()
    live.wait()
    return recognizer.lines


def speech_clips(work: Path, support: bool = True) -> list[tuple[Path, str, str, str]]:
    """(path, language, label, exact reference or "" for the synthetic support sentences)."""
    out: list[tuple[Path, str, str, str]] = []
    for raw in (EVAL / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(raw)
        if not str(item.get("reference_type", "")).startswith("exact") or item.get("language") not in (
            "ja",
            "en",
        ):
            continue
        if "diarization" in item["path"]:
            continue
        path = EVAL.parent / item["path"]
        if not path.is_file():
            continue
        reference = str(item.get("reference", ""))
        out.append((path, item["language"], path.name, reference))
        if item["language"] == "ja":
            audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
            phone = work / f"{path.stem}_8k_ulaw.wav"
            sf.write(str(phone), soxr.resample(audio.mean(axis=1), rate, 8000), 8000, subtype="ULAW")
            out.append((phone, "ja", phone.name, reference))
    tts = os.environ.get("AGENT_ASSIST_TTS_PYTHON")
    if tts and support:
        # the support sentences of bench_support_ja over the telephone band, when speech synthesis is there
        from tests.bench.bench_support_ja import SENTENCES, phone_clip, synthesize

        spoken = synthesize(tts, [text for text, _, _ in SENTENCES])
        for i, (text, _, _) in enumerate(SENTENCES):
            phone = work / f"s{i:02d}_8k.wav"
            sf.write(str(phone), phone_clip(spoken[text], text).audio, SAMPLE_RATE, subtype="PCM_16")
            out.append((phone, "ja", f"support s{i:02d}", ""))
    return out


def decide(line: Line, bias: frozenset[str], limits: tuple[float, float] | None, earlier: bool) -> bool:
    """True when the guard with ``limits`` (None: the current defaults) drops the line (``earlier``: without
    the biasing-word rule); the prompt's words count as biasing words only for lines decoded with it."""
    return is_hallucination(
        line.text,
        no_speech_prob=line.no_speech_prob,
        avg_logprob=line.avg_logprob,
        speech_prob=1.0,
        duration=line.seconds,
        bias=bias if line.prompted and not earlier else frozenset(),
        no_speech_limit=None if limits is None else limits[0],
        logprob_limit=None if limits is None else limits[1],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of non-speech in all")
    parser.add_argument(
        "--windows", type=int, default=12, help="non-speech windows per kind fed past the VAD"
    )
    parser.add_argument(
        "--prompt", default=PROMPT, help="the biasing prompt to measure (default: %(default)s)"
    )
    parser.add_argument(
        "--hotwords",
        default=HOTWORDS,
        help="hotwords beside the prompt (default: the rest of the support list, as the app; '' for none)",
    )
    parser.add_argument(
        "--lexicon",
        action="store_true",
        help="with the prompt, also the team's word list of bench_support_ja (correction and the words "
        "near each utterance put first in the hotwords, as the app does)",
    )
    parser.add_argument(
        "--no-support",
        action="store_true",
        help="leave out the synthetic support sentences (real speech only)",
    )
    args = parser.parse_args(argv)
    prompt_text: str = args.prompt
    hotwords: str | None = args.hotwords or None
    if not (EVAL / "manifest.jsonl").is_file():
        print(f"no evaluation material at {EVAL}: nothing to measure")
        return 0
    base = SharedModel.get("base", "ja")
    tiny = SharedModel.get("tiny.en", "en")
    lines: list[Line] = []
    with tempfile.TemporaryDirectory(prefix="bench-guard-") as tmp:
        work = Path(tmp)
        lexicon = None
        if args.lexicon:
            from tests.bench.bench_support_ja import team_words

            lexicon = team_words(work)
        kinds = non_speech_audio(args.minutes)
        streamed: dict[bool, list[TranscriptEvent]] = {False: [], True: []}
        windows: dict[bool, list[Line]] = {}
        for prompt in (None, prompt_text):
            for name, audio in kinds.items():
                path = work / f"nonspeech_{len(lines)}.wav"
                sf.write(str(path), np.stack([audio, audio[::-1]], axis=1), SAMPLE_RATE, subtype="PCM_16")
                lines += run(
                    path, "ja", base, name, False, prompt, streamed[prompt is not None], hotwords, lexicon
                )
            # what reaches Whisper when the VAD lets non-speech through: windows decoded as finals
            recognizer = RecordingRecognizer(WhisperRecognizer(base), "", False, prompt is not None)
            for name, audio in kinds.items():
                recognizer.source = f"{name} (past the VAD)"
                position = 0
                for i in range(args.windows):
                    size = int(WINDOWS[i % len(WINDOWS)] * SAMPLE_RATE)
                    if position + size > len(audio):
                        position = 0
                    recognizer.recognize(
                        audio[position : position + size],
                        language="ja",
                        prompt=prompt,
                        hotwords=hotwords if prompt is not None else None,
                        final=True,
                    )
                    position += size
            lines += recognizer.lines
            windows[prompt is not None] = list(recognizer.lines)
        kept: dict[tuple[str, bool], tuple[str, str]] = {}  # (clip, prompted) -> (reference, kept text)
        for path, language, label, reference in speech_clips(work, support=not args.no_support):
            model = base if language == "ja" else tiny
            for prompt in (None, prompt_text) if language == "ja" else (None,):
                events: list[TranscriptEvent] = []
                lines += run(path, language, model, label, True, prompt, events, hotwords, lexicon)
                if reference and language == "ja":
                    kept[(label, prompt is not None)] = (
                        reference,
                        "".join(e.text for e in transcript(events)),
                    )
    print(f"prompt: {prompt_text!r}; hotwords: {hotwords!r}")
    for label in dict.fromkeys(k[0] for k in kept):
        (reference, plain), (_, prompted) = kept[(label, False)], kept[(label, True)]
        without, with_it = error_rate([(reference, plain)], "ja"), error_rate([(reference, prompted)], "ja")
        print(
            f"real Japanese speech {label}: CER without the prompt {without:.1f}%, with it {with_it:.1f}%\n"
            f"    without: {plain}\n    with:    {prompted}"
        )
    if kept:
        pairs = {flag: [kept[k] for k in kept if k[1] is flag] for flag in (False, True)}
        print(
            f"real Japanese speech, all {len(pairs[False])} clips: CER without the prompt "
            f"{error_rate(pairs[False], 'ja'):.1f}%, with it {error_rate(pairs[True], 'ja'):.1f}%"
        )
    bias = bias_terms(prompt_text, hotwords)
    # what the pipeline keeps (audio/transcriber.py): the plain hearing under the plain guard; the prompted
    # one instead only when it passes the stricter guard and sounds like the plain one
    through = 0
    for plain, prompted in zip(windows[False], windows[True], strict=True):
        if plain.text and not decide(plain, frozenset(), None, False):
            through += 1
            agrees = prompt_agrees(plain.text, prompted.text)
            kept_text = prompted.text if agrees and not decide(prompted, bias, None, False) else plain.text
            print(f"    past the VAD, kept by the pipeline on {plain.source}: {kept_text!r}")
    print(
        f"non-speech streamed through the pipeline: words kept without the prompt "
        f"{sum(len(e.text) for e in transcript(streamed[False]))} characters, with it "
        f"{sum(len(e.text) for e in transcript(streamed[True]))}; non-speech windows past the VAD kept by "
        f"the pipeline's rule with the prompt: {through} of {len(windows[True])}"
    )
    said = [line for line in lines if line.text]
    noise = [line for line in said if not line.speech]
    speech = [line for line in said if line.speech]
    print(
        f"{len(noise)} lines decoded from {args.minutes:.0f} min of non-speech (each kind with and "
        f"without a prompt), streamed and {args.windows} windows per kind past the VAD"
    )
    print(f"{len(speech)} lines decoded from real speech clips (Japanese also with the prompt)")
    for name, limits in LIMITS.items():
        earlier = name == "earlier guard"
        kept_noise = [line for line in noise if not decide(line, bias, limits, earlier)]
        dropped_speech = [line for line in speech if decide(line, bias, limits, earlier)]
        print(
            f"{name} {limits or ''}: non-speech lines kept {len(kept_noise)} of {len(noise)}; speech lines "
            f"dropped {len(dropped_speech)} of {len(speech)}, of them finals and second passes "
            f"{sum(line.kind != 'partial' for line in dropped_speech)}"
        )
        for line in kept_noise[:30]:
            print(
                f"    kept on {line.source}{' (prompt)' if line.prompted else ''}: {line.text[:60]!r} "
                f"nsp {line.no_speech_prob:.2f} lp {line.avg_logprob:.2f}"
            )
        for line in dropped_speech:
            print(
                f"    dropped on {line.source}{' (prompt)' if line.prompted else ''}: {line.text[:60]!r} "
                f"nsp {line.no_speech_prob:.2f} lp {line.avg_logprob:.2f} {line.seconds:.1f} s {line.kind}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
