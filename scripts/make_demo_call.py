"""Generate the demo call shipped in resources/demo/: a two-channel recording (agent left, customer right).

Written for this project: the dialogue below is ours, spoken by espeak-ng (two different voices), placed on a
timeline with natural pauses, resampled to 16 kHz with soxr and stored as 8-bit mu-law WAV, the telephone
encoding, which keeps a one-minute stereo call under 1.5 MB. The timeline (who says what, when) is written
next to it so the demo can time the supervisor's whisper against the conversation.

    .venv/bin/python scripts/make_demo_call.py        # rewrites resources/demo/demo_call.wav and .json
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
OUT_WAV = ROOT / "resources" / "demo" / "demo_call.wav"
OUT_JSON = ROOT / "resources" / "demo" / "demo_call.json"
RATE = 16_000

VOICES = {"agent": ("en-us+m3", 165), "customer": ("en-gb+f4", 160)}

# (speaker, text, pause before in seconds)
DIALOGUE: list[tuple[str, str, float]] = [
    ("agent", "Thank you for calling Skyline support, this is Alex. How can I help you today?", 1.0),
    (
        "customer",
        "Hello, this is Hanako Sato. My internet keeps dropping every evening, and I am really frustrated.",
        0.8,
    ),
    ("customer", "This is the third time I am calling about it.", 0.4),
    ("agent", "I am sorry about that. Let me check your line and your router.", 0.9),
    (
        "customer",
        "Also, I was charged twice on my last bill. I would like a refund for the double charge.",
        1.0,
    ),
    ("agent", "I understand. I will call you back tomorrow to confirm the refund.", 1.2),
    ("customer", "Okay. Thank you for your help.", 0.8),
    ("agent", "You are welcome. Have a good evening.", 0.8),
]


def speak(text: str, voice: str, speed: int, workdir: Path) -> np.ndarray:
    path = workdir / "line.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    samples, rate = sf.read(str(path), dtype="float32", always_2d=False)
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    resampled: np.ndarray = soxr.resample(samples, rate, RATE)
    return (resampled * 0.8).astype(np.float32)


def main() -> int:
    if shutil.which("espeak-ng") is None:
        print("make_demo_call: espeak-ng is needed (apt-get install espeak-ng)", file=sys.stderr)
        return 1
    timeline: list[dict[str, object]] = []
    pieces: list[tuple[int, int, np.ndarray]] = []
    cursor = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for speaker, text, pause in DIALOGUE:
            voice, speed = VOICES[speaker]
            audio = speak(text, voice, speed, Path(tmp))
            cursor += pause
            start = int(cursor * RATE)
            pieces.append((0 if speaker == "agent" else 1, start, audio))
            timeline.append(
                {
                    "speaker": speaker,
                    "start": round(cursor, 2),
                    "end": round(cursor + len(audio) / RATE, 2),
                    "text": text,
                }
            )
            cursor += len(audio) / RATE
    write_call(pieces, timeline, cursor, OUT_WAV, OUT_JSON, seed=7)
    return 0


def write_call(
    pieces: list[tuple[int, int, np.ndarray]],
    timeline: list[dict[str, object]],
    cursor: float,
    out_wav: Path,
    out_json: Path,
    *,
    seed: int,
    extra: dict[str, object] | None = None,
) -> None:
    """Mix the spoken lines onto two channels over a quiet line and write the WAV (mu-law) and its
    timeline."""
    total = int((cursor + 1.5) * RATE)
    stereo = np.zeros((total, 2), dtype=np.float32)
    rng = np.random.default_rng(seed)
    stereo += rng.normal(0, 0.0015, stereo.shape).astype(np.float32)  # a quiet line, not digital silence
    for channel, start, audio in pieces:
        stereo[start : start + len(audio), channel] += audio
    out_wav.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(out_wav), np.clip(stereo, -1, 1), RATE, subtype="ULAW", format="WAV")
    meta: dict[str, object] = {
        "channels": {"agent": "left", "customer": "right"},
        "duration": round(total / RATE, 2),
    }
    meta.update(extra or {})
    meta["lines"] = timeline
    out_json.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        f"wrote {out_wav} ({out_wav.stat().st_size / 1e6:.2f} MB, {total / RATE:.1f} s) and {out_json.name}"
    )


if __name__ == "__main__":
    sys.exit(main())
