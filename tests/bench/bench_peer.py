"""Our live pipeline next to an open-source streaming peer, WhisperLiveKit, on the same two-channel call with
the same weights (multilingual base, int8): final latency, CER per channel, CPU, and the ratios.

    ./run bench-hearing peer [--first 16]          # makes .venv-tts and .venv-peer, then this

The call is bench_support_ja's reporting half (16 Japanese support sentences spoken by Open JTalk, agent and
customer alternating on two channels, through an 8 kHz mu-law round trip), replayed in real time. Ours: the
app's pipeline (LiveTranscription with the team's word list and the biasing prompt a call starts with). The
peer: WhisperLiveKit 0.2.26 (``whisperlivekit`` from PyPI, LocalAgreement policy, faster-whisper backend, its
packaged Silero VAD), one session per channel sharing one engine, run by tests/bench/peer_whisperlivekit.py
in its own environment (``--peer-python`` / AGENT_ASSIST_PEER_PYTHON; it needs torch, which PyPI serves
for Linux with CUDA libraries, so ``./run`` does not install it for the product).

Scored the same way for both: each channel's kept text, all its sentences joined, against the references
joined (CER, punctuation ignored); final text per turn = when the channel's final (for the peer: committed)
text first held as many characters as the turns so far make up, in proportion of the references, minus the
end of the turn (the peer's lines do not follow turns, so both are measured this way); also each one's own
line latency (our finals; the peer's lines, from when their last text was first committed, which for a
line still growing at the end of the call is the end); CPU = the process's CPU seconds over the call's
wall time, of the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from assist.domain_words import biasing_prompt
from audio.events import Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription, SharedModel
from audio.models import resolve_model
from audio.source import SAMPLE_RATE, ChannelMap, FileSource
from tests.bench.bench_support_ja import HALVES, by_speaker, synthesize, team_words
from tests.bench.bench_transcription import (
    Clip,
    Turn,
    error_rate,
    lay_out_call,
    percentile,
    telephone,
    transcript,
)


def commit_latencies(committed: list[tuple[float, int]], final_size: int, turns: list[Turn]) -> list[float]:
    """Per turn of one channel: when the committed (final) text first held 90 % of the characters the turns so
    far make up, in proportion of the references, minus the end of the turn's audio. Measured the same
    way for both, since the peer's lines do not follow our turns."""
    total = sum(len(t.clip.reference) for t in turns) or 1
    out, so_far = [], 0
    for turn in turns:
        so_far += len(turn.clip.reference)
        wanted = 0.9 * final_size * so_far / total  # 90 %: the two texts are not the same length
        when = next((t for t, size in committed if size >= wanted), None)
        if when is not None:
            out.append(max(0.0, when - turn.end))
    return out


def _cer_by_channel(texts: dict[Channel, str], references: dict[Channel, str]) -> dict[Channel, float]:
    return {c: error_rate([(references[c], texts.get(c, ""))], "ja") for c in references}


def ours(phone: Path, words: Any, turns: list[Turn]) -> dict[str, Any]:
    events: list[TranscriptEvent] = []
    live = LiveTranscription(
        FileSource(phone, realtime=True, channel_map=ChannelMap.stereo()),
        call_id="peer-bench",
        language="ja",
        model=SharedModel.get("base", "ja"),
        on_event=events.append,
        lexicon=words,
        prompt=biasing_prompt("ja"),
    )
    cpu0, wall0 = time.process_time(), time.monotonic()
    live.start()
    live.wait()
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    kept = transcript(events)
    finals = [e for e in events if e.kind is EventKind.FINAL and e.text and not e.revised]
    commits: list[float] = []
    for channel in (Channel.AGENT, Channel.CUSTOMER):
        curve, size = [], 0
        for e in sorted((e for e in finals if e.channel is channel), key=lambda e: e.emitted_at):
            size += len("".join(e.text.split()))
            curve.append((e.emitted_at, size))
        commits += commit_latencies(curve, size, [t for t in turns if t.channel is channel])
    return {
        "commit_latencies": commits,
        "texts": {
            c: "".join(e.text for e in kept if e.channel is c) for c in (Channel.AGENT, Channel.CUSTOMER)
        },
        "latencies": [e.emitted_at - e.end for e in finals],
        "cpu": cpu,
        "wall": wall,
    }


def peer(python: str, phone: Path, work: Path, turns: list[Turn]) -> dict[str, Any]:
    audio, rate = sf.read(str(phone), dtype="float32", always_2d=True)
    paths = []
    for column, channel in enumerate((Channel.AGENT, Channel.CUSTOMER)):
        path = work / f"peer_{channel.value}.wav"
        sf.write(str(path), soxr.resample(audio[:, column], rate, SAMPLE_RATE), SAMPLE_RATE, subtype="PCM_16")
        paths.append(str(path))
    out = work / "peer.json"
    model = resolve_model("base").path
    runner = Path(__file__).with_name("peer_whisperlivekit.py")
    done = subprocess.run(
        [python, str(runner), str(model), "ja", str(out), *paths], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not out.is_file():
        raise RuntimeError(
            f"WhisperLiveKit run failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    data = json.loads(out.read_text(encoding="utf-8"))
    texts, latencies, commits = {}, [], []
    for channel, result in zip((Channel.AGENT, Channel.CUSTOMER), data["channels"], strict=True):
        texts[channel] = "".join(line["text"] for line in result["lines"])
        latencies += [
            line["first_seen"] - line["end"] for line in result["lines"] if line["first_seen"] is not None
        ]
        curve = [(float(t), int(n)) for t, n in result["committed"]]
        size = curve[-1][1] if curve else 0
        commits += commit_latencies(curve, size, [t for t in turns if t.channel is channel])
    return {
        "texts": texts,
        "latencies": latencies,
        "commit_latencies": commits,
        "cpu": data["cpu_seconds"],
        "wall": data["wall_seconds"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peer-python", default=os.environ.get("AGENT_ASSIST_PEER_PYTHON", ""))
    parser.add_argument("--tts-python", default=os.environ.get("AGENT_ASSIST_TTS_PYTHON", sys.executable))
    parser.add_argument(
        "--first", type=int, default=16, help="only the first N sentences of the reporting half"
    )
    args = parser.parse_args(argv)
    if not args.peer_python:
        print("no Python with WhisperLiveKit (--peer-python or AGENT_ASSIST_PEER_PYTHON): skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        work = Path(tmp)
        sentences = HALVES["reporting"][: args.first]
        spoken = synthesize(args.tts_python, [text for text, _, _ in sentences])
        clips = []
        for text, _, _ in sentences:
            path = spoken[text]
            audio, rate = sf.read(str(path), dtype="float32")
            clips.append(Clip(path, "ja", text, soxr.resample(audio, rate, SAMPLE_RATE).astype(np.float32)))
        ordered = by_speaker(clips, [side for _, _, side in sentences])
        turns, duration = lay_out_call(ordered, work / "call.wav")
        phone = work / "call_8k.wav"
        telephone(work / "call.wav", phone)
        references = {
            c: "".join(t.clip.reference for t in turns if t.channel is c)
            for c in (Channel.AGENT, Channel.CUSTOMER)
        }
        cores = os.cpu_count() or 1
        results = {}
        for name, run in (
            ("peer", lambda: peer(args.peer_python, phone, work, turns)),
            ("ours", lambda: ours(phone, team_words(work), turns)),
        ):
            load = os.getloadavg()[0]
            try:
                result = run()
            except RuntimeError as exc:
                print(f"{name}: {exc}")
                return 1
            cer = _cer_by_channel(result["texts"], references)
            results[name] = {
                "agent_cer": cer[Channel.AGENT],
                "customer_cer": cer[Channel.CUSTOMER],
                "mean_cer": (cer[Channel.AGENT] + cer[Channel.CUSTOMER]) / 2,
                "final_p50": percentile(result["latencies"], 50),
                "final_p95": percentile(result["latencies"], 95),
                "finals": len(result["latencies"]),
                "commit_p50": percentile(result["commit_latencies"], 50),
                "commit_p95": percentile(result["commit_latencies"], 95),
                "cpu_percent": 100 * result["cpu"] / max(result["wall"], 1e-9) / cores,
                "load_avg_before": load,
            }
            r = results[name]
            print(
                f"{name}: {duration:.0f} s call, CER agent {r['agent_cer']:.1f}%, customer "
                f"{r['customer_cer']:.1f}%, mean {r['mean_cer']:.1f}%; final text per turn p50 "
                f"{r['commit_p50']:.2f} s, p95 {r['commit_p95']:.2f} s; own final lines p50 "
                f"{r['final_p50']:.2f} s, p95 {r['final_p95']:.2f} s ({r['finals']} lines); CPU "
                f"{r['cpu_percent']:.0f}% of the machine; "
                f"load average before {load:.2f}",
                flush=True,
            )
            for channel in (Channel.AGENT, Channel.CUSTOMER):
                print(f"    {channel.value}: {result['texts'].get(channel, '')}")

        def ratio(key: str) -> float:
            return float(results["ours"][key]) / max(float(results["peer"][key]), 1e-9)

        print(
            f"ratios ours/peer: mean CER {ratio('mean_cer'):.2f}, final text per turn p50 "
            f"{ratio('commit_p50'):.2f}, p95 {ratio('commit_p95'):.2f}, CPU {ratio('cpu_percent'):.2f}"
        )
        print("json:", json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
