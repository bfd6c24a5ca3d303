"""Benchmark of the live transcription engine on real recordings (run on purpose; prints its figures).

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_transcription [--quick]

Over the real clips in ../shared/eval/audio (skipped cleanly when absent), laid out as a two-channel call
(clips alternate between the agent and the customer channel, both channels live the whole time) and replayed
at real-time pace through the same pipeline as a live call. There are only four Japanese clips (13 finals),
too few for a 95th percentile, so they are played three times, each round on swapped channels:

- final latency (end of speech -> final event) p50/p95, multilingual base on Japanese, tiny.en on English;
- first text latency (start of speech -> first partial or final);
- accuracy of the streamed finals next to plain offline faster-whisper (beam 5, whole clip) with the same
  weights: CER for Japanese after NFKC and removing punctuation and spaces, WER for English; also on an 8 kHz
  mu-law round trip of the Japanese clips (full mode);
- CPU during the two-channel call: this process's (CPU time over wall time and cores), beside the whole
  machine's and CPU-s by thread (tests/bench/cpu_meter.py), so load from other programs shows;
- lag over a long synthetic call (the Japanese call repeated; --long-minutes, 10 by default, 2 in --quick),
  per minute, to show whether it drifts;
- words produced from minutes of non-speech (silence, noise, tones/DTMF, music-like audio).

The machine is shared: figures taken while other work runs are slower than on an idle agent PC; the load
average is printed with the figures so contention is visible.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription, SharedModel
from audio.source import SAMPLE_RATE, ChannelMap, FileSource
from audio.transcriber import Recognition, WhisperRecognizer
from tests.bench.cpu_meter import CpuFigures, CpuMeter

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval" / "audio"
GAP = 1.2  # seconds between turns
THREADS: int | None = None  # --threads: CTranslate2 threads (default audio.live.transcription_threads())


@dataclass
class Clip:
    path: Path
    language: str
    reference: str
    audio: np.ndarray


@dataclass
class Turn:
    clip: Clip
    channel: Channel
    start: float
    end: float


def load_clips(language: str, quick: bool) -> list[Clip]:
    manifest = EVAL / "manifest.jsonl"
    if not manifest.is_file():
        return []
    clips = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        ref_type = item.get("reference_type", "")
        if item.get("language") != language or not ref_type.startswith("exact"):
            continue
        if "diarization" in item["path"] or "stereo" in item["path"] or "mulaw" in item["path"]:
            continue
        path = EVAL.parent / item["path"]
        if not path.is_file():
            continue
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
        mono = soxr.resample(audio.mean(axis=1), rate, SAMPLE_RATE).astype(np.float32)
        clips.append(Clip(path, language, item["reference"], mono))
    clips.sort(key=lambda c: len(c.audio))
    if quick:
        clips = clips[:4] if language == "ja" else clips[:5]
    return clips


def lay_out_call(clips: list[Clip], out: Path) -> tuple[list[Turn], float]:
    """Write a stereo call where clips alternate agent (left) / customer (right)."""
    turns, position = [], 1.0
    for i, clip in enumerate(clips):
        channel = Channel.AGENT if i % 2 == 0 else Channel.CUSTOMER
        duration = len(clip.audio) / SAMPLE_RATE
        turns.append(Turn(clip, channel, position, position + duration))
        position += duration + GAP
    total = int((position + 1.0) * SAMPLE_RATE)
    stereo = np.zeros((total, 2), dtype=np.float32)
    rng = np.random.default_rng(7)
    stereo += rng.normal(0, 1e-4, stereo.shape).astype(np.float32)  # a line is never digitally silent
    for turn in turns:
        column = 0 if turn.channel is Channel.AGENT else 1
        begin = int(turn.start * SAMPLE_RATE)
        stereo[begin : begin + len(turn.clip.audio), column] += turn.clip.audio
    sf.write(str(out), stereo, SAMPLE_RATE, subtype="PCM_16")
    return turns, position + 1.0


def telephone(path: Path, out: Path) -> None:
    """An 8 kHz mu-law round trip of a call file (what a phone line delivers)."""
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    narrow = soxr.resample(audio, rate, 8000)
    sf.write(str(out), narrow, 8000, subtype="ULAW")


# --- scoring -----------------------------------------------------------------------------------------------


def tokens(text: str, language: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    if language == "ja":
        return list(re.sub(r"[\W_\s]+", "", text))
    return re.sub(r"[^\w\s']+|_", " ", text).split()


def edits(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def error_rate(pairs: list[tuple[str, str]], language: str) -> float:
    total_edits = total = 0
    for ref, hyp in pairs:
        r, h = tokens(ref, language), tokens(hyp, language)
        total_edits += edits(r, h)
        total += len(r)
    return 100.0 * total_edits / max(total, 1)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- runs --------------------------------------------------------------------------------------------------


@dataclass
class Run:
    events: list[TranscriptEvent]
    statuses: list[AudioStatusEvent]
    wall: float
    cpu_seconds: float
    live: LiveTranscription
    cpu: CpuFigures | None = None  # the process's CPU beside the machine's (tests/bench/cpu_meter.py)


def stream(
    path: Path,
    language: str,
    model: Any,
    realtime: bool,
    channel_map: ChannelMap | None = None,
    prompt: str | None = None,
) -> Run:
    events: list[TranscriptEvent] = []
    statuses: list[AudioStatusEvent] = []
    live = LiveTranscription(
        FileSource(path, realtime=realtime, channel_map=channel_map),
        call_id="bench",
        language=language,
        model=model,
        on_event=events.append,
        on_status=statuses.append,
        prompt=prompt,
    )
    with CpuMeter() as meter:
        live.start()
        live.wait()
    cpu = meter.figures
    assert cpu is not None
    seconds = cpu.process_percent / 100 * cpu.wall * cpu.cores
    return Run(events, statuses, cpu.wall, seconds, live, cpu)


def offline(model: Any, clip: Clip) -> str:
    segments, _ = model.transcribe(clip.audio, language=clip.language if clip.language != "auto" else None)
    return " ".join(s.text.strip() for s in segments)


def transcript(events: list[TranscriptEvent], first_pass: bool = False) -> list[TranscriptEvent]:
    """The finals as the app keeps them: the latest per segment, empty ones dropped (``first_pass``: as first
    shown, before the second pass over finished turns)."""
    kept: dict[str, TranscriptEvent] = {}
    for e in events:
        if e.kind is EventKind.FINAL and not (first_pass and e.revised):
            kept[e.segment_id] = e
    return sorted((e for e in kept.values() if e.text), key=lambda e: e.start)


def streamed_text(events: list[TranscriptEvent], turn: Turn, first_pass: bool = False) -> str:
    finals = [
        e
        for e in transcript(events, first_pass)
        if e.channel is turn.channel and turn.start - 0.5 <= (e.start + e.end) / 2 <= turn.end + 0.5
    ]
    joiner = "" if turn.clip.language == "ja" else " "
    return joiner.join(e.text for e in finals)


def latency_figures(run: Run) -> dict[str, float]:
    finals = [e for e in run.events if e.kind is EventKind.FINAL and e.text and not e.revised]
    final_lat = [e.emitted_at - e.end for e in finals]
    first: dict[str, TranscriptEvent] = {}
    for e in run.events:
        if e.text and e.segment_id not in first:
            first[e.segment_id] = e
    first_lat = [e.emitted_at - e.start for e in first.values()]
    lags = [s.value for s in run.statuses if s.kind is AudioStatusKind.LAG]
    # a turn's second pass, counted from the end of its last words (it waits for 2.5 s of silence or an
    # answer)
    revision_lat = [e.emitted_at - e.end for e in run.events if e.revised and e.text]
    return {
        "revision_p50": percentile(revision_lat, 50),
        "revision_p95": percentile(revision_lat, 95),
        "finals": len(finals),
        "final_p50": percentile(final_lat, 50),
        "final_p95": percentile(final_lat, 95),
        "final_max": max(final_lat, default=float("nan")),
        "first_text_p50": percentile(first_lat, 50),
        "first_text_p95": percentile(first_lat, 95),
        "max_lag": max(lags, default=0.0),
    }


def call_benchmark(
    language: str, model_name: str, quick: bool, work: Path, rounds: int = 1
) -> dict[str, Any] | None:
    clips = load_clips(language, quick)
    if not clips:
        print(f"[{language}] no clips in {EVAL}: skipped")
        return None
    model = SharedModel.get(model_name, language, threads=THREADS)
    call = work / f"call_{language}.wav"
    # every other round plays the clips in reverse order, which puts each clip on the other channel
    laid = [clip for r in range(rounds) for clip in (clips if r % 2 == 0 else clips[::-1])]
    turns, duration = lay_out_call(laid, call)
    print(
        f"[{language}/{model_name}] {len(clips)} clips x {rounds} round(s), {duration:.0f} s two-channel "
        "call, real-time replay ...",
        flush=True,
    )
    load0 = os.getloadavg()[0]
    run = stream(call, language, model, realtime=True)
    figures = latency_figures(run)
    # this process's CPU over wall time and cores (the key's old name); the whole machine's beside it
    figures["cpu_percent_of_machine"] = 100.0 * run.cpu_seconds / run.wall / (os.cpu_count() or 1)
    if run.cpu is not None and run.cpu.machine_percent is not None:
        figures["machine_cpu_percent"] = run.cpu.machine_percent
    figures["load_avg_before"] = load0
    figures["compute_seconds"] = run.live.stats.compute_seconds
    figures["audio_seconds"] = run.live.audio_seconds
    pairs_stream = [(t.clip.reference, streamed_text(run.events, t)) for t in turns]
    offline_text = {clip.path: offline(model, clip) for clip in clips}
    pairs_offline = [(t.clip.reference, offline_text[t.clip.path]) for t in turns]
    figures["stream_error"] = error_rate(pairs_stream, language)
    figures["first_pass_error"] = error_rate(
        [(t.clip.reference, streamed_text(run.events, t, first_pass=True)) for t in turns], language
    )
    figures["revisions"] = run.live.stats.revisions
    figures["revisions_dropped"] = run.live.stats.revisions_kept_first
    figures["offline_error"] = error_rate(pairs_offline, language)
    if language == "ja" and not quick:
        phone = work / f"call_{language}_8k_ulaw.wav"
        telephone(call, phone)
        phone_run = stream(phone, language, model, realtime=False)
        phone_clips = []
        for turn in turns:
            phone_audio, rate = sf.read(str(phone), dtype="float32", always_2d=True)
            column = 0 if turn.channel is Channel.AGENT else 1
            part = phone_audio[int(turn.start * rate) : int(turn.end * rate), column]
            phone_clips.append(
                Clip(
                    turn.clip.path,
                    language,
                    turn.clip.reference,
                    soxr.resample(part, rate, SAMPLE_RATE).astype(np.float32),
                )
            )
        figures["phone_stream_error"] = error_rate(
            [(t.clip.reference, streamed_text(phone_run.events, t)) for t in turns], language
        )
        figures["phone_first_pass_error"] = error_rate(
            [(t.clip.reference, streamed_text(phone_run.events, t, first_pass=True)) for t in turns], language
        )
        figures["phone_offline_error"] = error_rate(
            [(c.reference, offline(model, c)) for c in phone_clips], language
        )
    metric = "CER" if language == "ja" else "WER"
    print(
        f"  final latency p50 {figures['final_p50']:.2f} s, p95 {figures['final_p95']:.2f} s, "
        f"max {figures['final_max']:.2f} s over {figures['finals']} finals"
    )
    print(
        f"  first text after start of speech p50 {figures['first_text_p50']:.2f} s, "
        f"p95 {figures['first_text_p95']:.2f} s"
    )
    print(
        f"  second pass after the turn's last words p50 {figures['revision_p50']:.2f} s, "
        f"p95 {figures['revision_p95']:.2f} s"
    )
    print(
        f"  {metric}: streaming {figures['stream_error']:.1f}% vs offline {figures['offline_error']:.1f}% "
        f"(difference {figures['stream_error'] - figures['offline_error']:+.1f} points); "
        f"as first shown {figures['first_pass_error']:.1f}%, {figures['revisions']} turns "
        f"revised, {figures['revisions_dropped']} kept"
    )
    if "phone_stream_error" in figures:
        print(
            f"  {metric} 8 kHz mu-law: streaming {figures['phone_stream_error']:.1f}% vs offline "
            f"{figures['phone_offline_error']:.1f}%; as first shown {figures['phone_first_pass_error']:.1f}%"
        )
    print(
        f"  CPU {figures['cpu_percent_of_machine']:.0f}% (this process, {os.cpu_count()} cores), "
        f"compute {figures['compute_seconds']:.1f} s for {figures['audio_seconds']:.0f} s of call, "
        f"max lag {figures['max_lag']:.2f} s, load average before {load0:.2f}",
        flush=True,
    )
    if run.cpu is not None:
        print(f"  {run.cpu.line()}", flush=True)
    for turn, (_, hyp) in zip(turns, pairs_stream, strict=True):
        print(f"    {turn.channel.value:8} {turn.clip.path.name}: {hyp[:90]}")
    return figures


def long_call(minutes: float, quick: bool, work: Path) -> dict[str, Any] | None:
    clips = load_clips("ja", quick=True)
    if not clips:
        print("[long call] no clips: skipped")
        return None
    model = SharedModel.get("base", "ja", threads=THREADS)
    reps: list[Clip] = []
    while sum(len(c.audio) for c in reps) / SAMPLE_RATE + GAP * len(reps) < minutes * 60:
        reps.extend(clips)
    path = work / "long_call.wav"
    _, duration = lay_out_call(reps, path)
    print(
        f"[long call] {duration / 60:.1f} min two-channel Japanese call with base, real time ...", flush=True
    )
    run = stream(path, "ja", model, realtime=True)
    # the finals' latency per minute of the call shows whether the engine drifts behind
    latency_by_minute: dict[int, list[float]] = defaultdict(list)
    revision_by_minute: dict[int, list[float]] = defaultdict(list)
    for e in run.events:
        if e.kind is EventKind.FINAL and e.text:
            (revision_by_minute if e.revised else latency_by_minute)[int(e.end // 60)].append(
                e.emitted_at - e.end
            )
    lags = [s.value for s in run.statuses if s.kind is AudioStatusKind.LAG]
    per_minute = {m: (statistics.median(v), max(v)) for m, v in sorted(latency_by_minute.items())}
    print(
        f"  max lag {max(lags, default=0):.2f} s; final latency per minute (median/max): "
        + ", ".join(f"{m}: {a:.2f}/{b:.2f}" for m, (a, b) in per_minute.items())
    )
    print(
        "  second pass after the turn's last words, per minute (median/max): "
        + ", ".join(
            f"{m}: {statistics.median(v):.2f}/{max(v):.2f}" for m, v in sorted(revision_by_minute.items())
        )
    )
    print(
        f"  CPU {100 * run.cpu_seconds / run.wall / (os.cpu_count() or 1):.0f}% (this process), "
        f"wall {run.wall:.0f} s for {run.live.audio_seconds:.0f} s of audio",
        flush=True,
    )
    if run.cpu is not None:
        print(f"  {run.cpu.line()}", flush=True)
    first, last = per_minute[min(per_minute)], per_minute[max(per_minute)]
    return {
        "max_lag": max(lags, default=0.0),
        "first_minute_median": first[0],
        "last_minute_median": last[0],
        "minutes": duration / 60,
    }


def non_speech_audio(minutes: float) -> dict[str, np.ndarray]:
    """Silence, line noise, dial tone + DTMF and hold-music-like audio, ``minutes`` in all (16 kHz mono)."""
    rng = np.random.default_rng(3)
    each = int(minutes * 60 / 4 * SAMPLE_RATE)
    t = np.arange(each) / SAMPLE_RATE
    white = rng.normal(0, 1, each).astype(np.float32)
    pink = np.cumsum(white) * 0.002
    pink = (pink - np.convolve(pink, np.ones(800) / 800, mode="same")).astype(np.float32)
    pink *= 0.1 / (np.abs(pink).max() + 1e-9)
    hum = 0.02 * np.sin(2 * np.pi * 50 * t)
    line_noise = (pink + hum + rng.normal(0, 0.01, each)).astype(np.float32)
    dial = 0.2 * np.sin(2 * np.pi * 425 * t) * ((t % 1.5) < 1.0)
    pairs = [(697, 1209), (770, 1336), (852, 1477), (941, 1633), (697, 1336), (852, 1209)]
    dtmf = np.zeros(each, dtype=np.float32)
    step = int(0.3 * SAMPLE_RATE)
    for i in range(0, each - step, step):
        lo, hi = pairs[(i // step) % len(pairs)]
        seg = t[i : i + step // 2]
        dtmf[i : i + step // 2] = 0.15 * (np.sin(2 * np.pi * lo * seg) + np.sin(2 * np.pi * hi * seg))
    tones = np.where((t // 20) % 2 == 0, dial, dtmf).astype(np.float32)
    notes = [262, 294, 330, 349, 392, 440, 494, 523]
    music = np.zeros(each, dtype=np.float32)
    note_len = int(0.4 * SAMPLE_RATE)
    for i in range(0, each - note_len, note_len):
        f = notes[rng.integers(len(notes))]
        seg = np.arange(note_len) / SAMPLE_RATE
        env = np.exp(-seg * 4)
        chord = sum(np.sin(2 * np.pi * f * k * seg) / k for k in (1, 2, 3)) + 0.5 * np.sin(
            2 * np.pi * f * 1.5 * seg
        )
        music[i : i + note_len] = 0.15 * env * chord
    return {
        "silence": rng.normal(0, 1e-4, each).astype(np.float32),
        "line noise": line_noise,
        "dial tone + DTMF": tones,
        "music-like": music,
    }


def non_speech(minutes: float, work: Path) -> dict[str, int]:
    """Words produced on minutes of silence, noise, tones/DTMF and music-like audio (both channels), without
    a biasing prompt and with the one a Japanese call starts with (assist.domain_words.biasing_prompt)."""
    from assist.domain_words import biasing_prompt

    kinds = non_speech_audio(minutes)
    model = SharedModel.get("base", "ja", threads=THREADS)
    words: dict[str, int] = {}
    for prompt in (None, biasing_prompt("ja")):
        label = "with the call's prompt" if prompt else "without a prompt"
        print(
            f"[non-speech] {minutes:.0f} min in total (both channels), base, Japanese, {label} ...",
            flush=True,
        )
        for name, audio in kinds.items():
            path = work / f"nonspeech_{name.replace(' ', '_').replace('+', '')}.wav"
            sf.write(str(path), np.stack([audio, audio[::-1]], axis=1), SAMPLE_RATE, subtype="PCM_16")
            run = stream(path, "ja", model, realtime=False, prompt=prompt)
            finals = [e.text for e in run.events if e.kind is EventKind.FINAL and e.text]
            # a "word" here: a space-separated word, or for Japanese text every 2 characters (rounded up)
            key = f"{name} ({label})"
            words[key] = sum(
                len(text.split()) if " " in text.strip() else -(-len(tokens(text, "ja")) // 2)
                for text in finals
            )
            shown = f" {finals[:3]}" if finals else ""
            print(f"  {name}: {len(finals)} finals, {words[key]} words{shown}", flush=True)
        total = sum(v for k, v in words.items() if k.endswith(f"({label})"))
        print(f"  total words on {minutes:.0f} min of non-speech, {label}: {total}")
    return words


class _TimedRecognizer:
    """The real recognizer, timing each final and noting its length (for the beam comparison)."""

    def __init__(self, inner: WhisperRecognizer) -> None:
        self.inner = inner
        self.finals: list[tuple[float, float]] = []  # (audio seconds, compute seconds)

    def recognize(
        self,
        audio: np.ndarray,
        *,
        language: str | None,
        prompt: str | None,
        hotwords: str | None,
        final: bool,
    ) -> Recognition:
        began = time.perf_counter()
        rec = self.inner.recognize(audio, language=language, prompt=prompt, hotwords=hotwords, final=final)
        if final:
            self.finals.append((len(audio) / SAMPLE_RATE, time.perf_counter() - began))
        return rec


def beam_comparison(work: Path) -> dict[str, Any] | None:
    """First-pass CER and the cost of long finals with beam search for every final against greedy finals over
    6 s (the earlier setting), on the Japanese clips, clean and over the telephone band (8 kHz mu-law): each
    clip alone, read as fast as possible, no second pass, so both settings see the same utterances."""
    clips = load_clips("ja", quick=False)
    if not clips:
        return None
    model = SharedModel.get("base", "ja", threads=THREADS)
    variants: list[tuple[str, Path, Clip]] = []
    for clip in clips:
        clean = work / f"beam_{clip.path.stem}.wav"
        sf.write(str(clean), clip.audio, SAMPLE_RATE, subtype="PCM_16")
        phone = work / f"beam_{clip.path.stem}_8k_ulaw.wav"
        sf.write(str(phone), soxr.resample(clip.audio, SAMPLE_RATE, 8000), 8000, subtype="ULAW")
        variants += [("clean", clean, clip), ("phone", phone, clip)]
    print(f"[beam] {len(clips)} Japanese clips, clean and 8 kHz mu-law, first pass only ...", flush=True)
    figures: dict[str, Any] = {}
    for name, limit in (("greedy over 6 s", 6.0), ("beam for every final", None)):
        timed = _TimedRecognizer(WhisperRecognizer(model, beam_max_seconds=limit))
        pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for band, path, clip in variants:
            events: list[TranscriptEvent] = []
            live = LiveTranscription(
                FileSource(path, realtime=False, channel_map=ChannelMap.mono(Channel.CUSTOMER)),
                call_id="beam",
                language="ja",
                model=model,
                recognizer=timed,
                on_event=events.append,
                second_pass=False,
            )
            live.start()
            live.wait()
            pairs[band].append((clip.reference, "".join(e.text for e in transcript(events))))
        long = [c for a, c in timed.finals if a > 6.0]
        figures[name] = {
            "clean": error_rate(pairs["clean"], "ja"),
            "phone": error_rate(pairs["phone"], "ja"),
            "long_finals": len(long),
            "long_final_seconds_mean": statistics.mean(long) if long else float("nan"),
        }
        f = figures[name]
        print(
            f"  {name}: first-pass CER clean {f['clean']:.1f}%, 8 kHz mu-law {f['phone']:.1f}%; "
            f"{f['long_finals']} finals over 6 s took {f['long_final_seconds_mean']:.2f} s each on average",
            flush=True,
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer clips, 2-minute long call and non-speech")
    parser.add_argument("--long-minutes", type=float, default=None)
    parser.add_argument("--nonspeech-minutes", type=float, default=None)
    parser.add_argument("--only", choices=("ja", "en", "long", "nonspeech", "beam"), action="append")
    parser.add_argument(
        "--threads", type=int, default=None, help="CTranslate2 threads (default: all cores but one)"
    )
    parser.add_argument(
        "--ja-rounds",
        type=int,
        default=None,
        help="times the Japanese clips are played (default 3, 1 in --quick): there are only four, "
        "and percentiles need more than their 13 finals",
    )
    args = parser.parse_args(argv)
    global THREADS
    THREADS = args.threads
    if not EVAL.is_dir():
        print(f"no evaluation material at {EVAL}: nothing to measure")
        return 0
    only = set(args.only or ("ja", "en", "long", "nonspeech", "beam"))
    long_minutes = args.long_minutes or (2.0 if args.quick else 10.0)
    nonspeech_minutes = args.nonspeech_minutes or (2.0 if args.quick else 10.0)
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}, python {sys.version.split()[0]}, "
        f"model threads {args.threads or 'default'}"
    )
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-transcription-") as tmp:
        work = Path(tmp)
        if "ja" in only:
            rounds = args.ja_rounds or (1 if args.quick else 3)
            results["ja_base"] = call_benchmark("ja", "base", args.quick, work, rounds)
        if "en" in only:
            results["en_tiny"] = call_benchmark("en", "tiny.en", args.quick, work)
        if "long" in only:
            results["long_call"] = long_call(long_minutes, args.quick, work)
        if "nonspeech" in only:
            results["non_speech_words"] = non_speech(nonspeech_minutes, work)
        if "beam" in only:
            results["beam"] = beam_comparison(work)
    print("json:", json.dumps(results, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
