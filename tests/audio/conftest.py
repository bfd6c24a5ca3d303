"""Audio made at test time (espeak-ng speech, sox noise and tones) and the shared real model."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SELFTEST_WAV

AGENT_SENTENCE = "I can help you with your order. Could you tell me the order number please?"
CUSTOMER_SENTENCE = "Thank you for calling customer support. How can I help you today?"


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (./run setup installs it)")


def sox(*args: str | Path) -> None:
    _need("sox")
    subprocess.run(["sox", *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Speech and non-speech clips for the audio tests, generated once per session."""
    _need("espeak-ng")
    d = tmp_path_factory.mktemp("clips")
    raw = d / "agent_raw.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), AGENT_SENTENCE], check=True)
    sox(raw, "-r", "16000", d / "agent.wav")
    sox(SELFTEST_WAV, d / "customer.wav")
    # a two-sided call: the agent speaks first on the left, the customer answers on the right
    sox(d / "agent.wav", d / "agent_padded.wav", "pad", "0.5", "7")
    sox(d / "customer.wav", d / "customer_padded.wav", "pad", "6.5", "1")
    _merge(d / "agent_padded.wav", d / "customer_padded.wav", d / "call_stereo.wav")
    # one speaker's turn of two utterances with a breath between them (for the second pass over turns)
    sox("-n", "-r", "16000", "-c", "1", d / "breath.wav", "trim", "0", "1.0")
    sox(d / "agent.wav", d / "breath.wav", d / "customer.wav", d / "turn.wav", "pad", "0.5", "1")
    # the same call as telephone audio: 8 kHz mu-law, and as 44.1 kHz FLAC / MP3
    sox(d / "call_stereo.wav", "-r", "8000", "-e", "u-law", d / "call_8k_ulaw.wav")
    sox(d / "call_stereo.wav", "-r", "44100", d / "call_44k.flac")
    # speakerphone bleed: the customer's sentence on both channels, quieter on the agent's
    sox(d / "customer_padded.wav", d / "bleed_left.wav", "vol", "0.5")
    _merge(d / "bleed_left.wav", d / "customer_padded.wav", d / "bleed_stereo.wav")
    # non-speech: silence, pink noise, a 440 Hz tone, DTMF-like dual tones, a "music" chord sequence
    sox("-n", "-r", "16000", "-c", "1", d / "silence.wav", "trim", "0", "8")
    sox("-n", "-r", "16000", "-c", "1", d / "noise.wav", "synth", "8", "pinknoise", "vol", "0.1")
    sox("-n", "-r", "16000", "-c", "1", d / "tone.wav", "synth", "8", "sine", "440", "vol", "0.3")
    dtmf = []
    for i, (low, high) in enumerate([(697, 1209), (770, 1336), (852, 1477), (941, 1336)] * 3):
        part = d / f"dtmf{i}.wav"
        sox(
            "-n",
            "-r",
            "16000",
            "-c",
            "1",
            part,
            "synth",
            "0.15",
            "sine",
            str(low),
            "sine",
            str(high),
            "remix",
            "1,2",
            "vol",
            "0.3",
            "pad",
            "0",
            "0.15",
        )
        dtmf.append(part)
    sox(*dtmf, d / "dtmf.wav")
    notes = []
    for i, freq in enumerate([262, 330, 392, 523, 392, 330, 294, 349, 440, 587, 440, 349]):
        part = d / f"note{i}.wav"
        sox("-n", "-r", "16000", "-c", "1", part, "synth", "0.6", "pluck", str(freq), "vol", "0.5")
        notes.append(part)
    sox(*notes, d / "music.wav")
    return {p.stem: p for p in d.glob("*.wav")} | {p.stem + "_flac": p for p in d.glob("*.flac")}


def _merge(left: Path, right: Path, out: Path) -> None:
    sox("-M", left, right, out)


@pytest.fixture(scope="session")
def tiny_en() -> Any:
    """The real tiny.en model, loaded once for the session."""
    from audio.live import SharedModel
    from audio.models import ModelNotFoundError

    try:
        return SharedModel.get("tiny.en", "en")
    except ModelNotFoundError as exc:
        pytest.skip(str(exc))


def collect() -> tuple[list[Any], Callable[[Any], None]]:
    items: list[Any] = []
    return items, items.append
