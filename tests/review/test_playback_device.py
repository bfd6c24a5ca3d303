"""Playback through a real audio device: a call's recording played by the review screen's player really comes
out of the output (a PulseAudio null sink, heard on its monitor), and the position the highlight follows
advances with the audio actually played."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from assist.timeline import line_at
from desktop.review.playback import CallPlayback, load_call_audio

pytestmark = [pytest.mark.audio_device]


def _tone(path: Path, seconds: float, rate: int = 16000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(str(path), (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate, subtype="PCM_16")
    return path


def test_recording_plays_out_of_the_device_and_position_follows(
    pulseaudio: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sounddevice as sd

    monkeypatch.setenv("PULSE_SINK", "customer")
    sd._terminate()  # PortAudio must rescan now that the fixture's PulseAudio is running
    sd._initialize()
    audio = load_call_audio({"customer": _tone(tmp_path / "customer.wav", 3.0)})
    env = {**os.environ, **pulseaudio}
    capture = tmp_path / "heard.raw"
    with capture.open("wb") as out:
        recorder = subprocess.Popen(
            ["parec", "--device=customer.monitor", "--format=s16le", "--rate=16000", "--channels=1"],
            env=env,
            stdout=out,
        )
        player = CallPlayback(audio, sd=sd, device="pulse")
        try:
            player.play(from_seconds=1.0)
            lines = [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
            deadline = time.monotonic() + 10
            while player.position < 1.8 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert line_at(lines, player.position) == 1
            while player.playing and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not player.playing
            assert player.position == pytest.approx(3.0)
        finally:
            player.pause()
            time.sleep(0.3)  # let the monitor deliver the tail before stopping the recorder
            recorder.terminate()
            recorder.wait(10)
    heard = np.frombuffer(capture.read_bytes(), dtype="<i2").astype(np.float32) / 32768
    assert len(heard) > 16000
    blocks = heard[: len(heard) // 160 * 160].reshape(-1, 160)  # 10 ms each
    loud = np.sqrt(np.mean(blocks**2, axis=1)) > 0.05
    # Two seconds were played (from 1.0 s to the end), give or take the device's buffering.
    assert 1.5 < loud.sum() * 0.01 < 2.6
