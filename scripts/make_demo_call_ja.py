"""Generate the Japanese demo call shipped in resources/demo/: a two-channel recording (agent left, customer
right).

The dialogue is written for this project and matches the demo data (佐藤 花子: evening disconnections, a
double charge, a promised call back). It is spoken by OpenJTalk through ``pyopenjtalk-plus``, whose wheel
carries its own dictionary and voice, so it runs offline; the customer's voice is pitched up so the two sides
sound different. ``pyopenjtalk-plus`` is needed only to regenerate the file, not by the app:

    python -m venv /tmp/tts && /tmp/tts/bin/pip install pyopenjtalk-plus soundfile soxr
    /tmp/tts/bin/python scripts/make_demo_call_ja.py     # rewrites resources/demo/demo_call_ja.wav and .json

Stored as 16 kHz 8-bit mu-law WAV (telephone encoding), with the timeline (who says what, when) beside it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soxr
from make_demo_call import RATE, write_call  # scripts/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
OUT_WAV = ROOT / "resources" / "demo" / "demo_call_ja.wav"
OUT_JSON = ROOT / "resources" / "demo" / "demo_call_ja.json"

# speaker -> (speed, half tones up)
VOICES = {"agent": (1.0, 0.0), "customer": (1.0, 2.0)}

# (speaker, text, pause before in seconds)
DIALOGUE: list[tuple[str, str, float]] = [
    (
        "agent",
        "お電話ありがとうございます。スカイラインサポートの田中でございます。本日はどのようなご用件でしょうか。",
        1.0,
    ),
    ("customer", "もしもし、佐藤花子です。毎晩インターネットが切れてしまって、本当に困っているんです。", 0.8),
    ("customer", "この件で電話するのはもう三回目なんですよ。", 0.5),
    ("agent", "ご不便をおかけして申し訳ございません。回線とルーターの状態を確認いたします。", 0.9),
    ("customer", "それと、先月の料金が二回引き落とされていました。お金を返していただけますか。", 1.0),
    ("agent", "承知いたしました。二重請求の返金について確認して、明日折り返しご連絡いたします。", 1.1),
    ("customer", "わかりました。よろしくお願いします。", 0.8),
    ("agent", "お電話ありがとうございました。失礼いたします。", 0.8),
]


def speak(text: str, speed: float, half_tone: float) -> np.ndarray:
    import pyopenjtalk  # only for regenerating the file

    samples, rate = pyopenjtalk.tts(text, speed=speed, half_tone=half_tone)
    audio = np.asarray(samples, dtype=np.float32) / 32768.0
    resampled: np.ndarray = soxr.resample(audio, rate, RATE)
    peak = float(np.max(np.abs(resampled))) or 1.0
    return (resampled * (0.7 / peak)).astype(np.float32)


def main() -> int:
    try:
        import pyopenjtalk  # noqa: F401
    except ImportError:
        print("make_demo_call_ja: pyopenjtalk-plus is needed (see the docstring)", file=sys.stderr)
        return 1
    timeline: list[dict[str, object]] = []
    pieces: list[tuple[int, int, np.ndarray]] = []
    cursor = 0.0
    for speaker, text, pause in DIALOGUE:
        speed, half_tone = VOICES[speaker]
        audio = speak(text, speed, half_tone)
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
    write_call(pieces, timeline, cursor, OUT_WAV, OUT_JSON, seed=11, extra={"language": "ja"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
