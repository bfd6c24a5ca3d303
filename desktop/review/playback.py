"""Playing a recorded call: both channels' WAVs mixed into one stereo stream (customer left, agent right, so a
reviewer hears who is who even with the sides talking over each other) and played through sounddevice.

Why not QtMultimedia: the PySide6-Essentials wheel the app ships with does not include it, and sounddevice is
already how the app talks to audio devices. The ``sd`` module is injectable so tests can drive playback with a
fake device and a clock they control; the position is frames played / rate, the quantity the timeline maps.

The PortAudio callback only copies frames and advances a counter (no locks held for long, no allocation
beyond the output buffer), as in the capture path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

LEFT, RIGHT = "customer", "agent"


class PlaybackError(RuntimeError):
    """The recording cannot be played (missing or unreadable files, no output device).

    ``reason`` says which (unreadable | no_recording | no_output) so the window can word it in the UI
    language; ``detail`` is what the system said (a path, a device error), shown apart from the sentence."""

    def __init__(self, message: str, reason: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CallAudio:
    frames: npt.NDArray[np.float32]  # shape (n, 2)
    rate: int

    @property
    def duration(self) -> float:
        return len(self.frames) / self.rate if self.rate else 0.0


def load_call_audio(files: Mapping[str, Path]) -> CallAudio:
    """Mix the per-channel recordings (channel name -> WAV) into stereo; a missing side is silence."""
    import soundfile

    tracks: dict[str, npt.NDArray[np.float32]] = {}
    rate = 0
    for channel, path in files.items():
        try:
            data, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (OSError, RuntimeError) as exc:
            raise PlaybackError(
                f"{path}: cannot read the recording: {exc}", "unreadable", f"{path}: {exc}"
            ) from exc
        mono = data.mean(axis=1).astype(np.float32)
        if rate and file_rate != rate:
            import soxr

            mono = np.asarray(soxr.resample(mono, file_rate, rate), dtype=np.float32)
        rate = rate or int(file_rate)
        tracks[channel] = mono
    if not tracks:
        raise PlaybackError("this call has no recording", "no_recording")
    length = max(len(t) for t in tracks.values())
    stereo = np.zeros((length, 2), dtype=np.float32)
    for channel, mono in tracks.items():
        column = 1 if channel == RIGHT else 0 if channel == LEFT else None
        if column is None:
            stereo[: len(mono)] += mono[:, None] * 0.5
        else:
            stereo[: len(mono), column] += mono
    return CallAudio(stereo, rate)


Frames = npt.NDArray[np.float32]
StreamCallback = Callable[[Frames, int, object, object], None]


class OutputStream(Protocol):
    """What playback uses of a ``sounddevice.OutputStream``."""

    @property
    def active(self) -> bool: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


class SoundDevice(Protocol):
    """What playback uses of the ``sounddevice`` module (injectable: tests play without a device)."""

    CallbackStop: type[Exception]

    def OutputStream(
        self,
        *,
        samplerate: int,
        channels: int,
        dtype: str,
        callback: StreamCallback,
        device: str | int | None,
    ) -> OutputStream: ...


class CallPlayback:
    """Play, pause and seek one call's audio. ``position`` is in seconds and safe to read from any thread."""

    def __init__(
        self, audio: CallAudio, sd: SoundDevice | None = None, device: str | int | None = None
    ) -> None:
        self.audio = audio
        self._sd = sd
        self._device = device
        self._frame = 0
        self._lock = threading.Lock()
        self._stream: OutputStream | None = None

    @property
    def position(self) -> float:
        return self._frame / self.audio.rate

    @property
    def playing(self) -> bool:
        return self._stream is not None and bool(self._stream.active)

    def _module(self) -> SoundDevice:
        if self._sd is None:
            import sounddevice

            self._sd = sounddevice  # untyped library (no py.typed): checked against SoundDevice by its use
        return self._sd

    def seek(self, seconds: float) -> None:
        with self._lock:
            self._frame = int(min(max(0.0, seconds), self.audio.duration) * self.audio.rate)

    def play(self, from_seconds: float | None = None) -> None:
        if from_seconds is not None:
            self.seek(from_seconds)
        if self.playing:
            return
        self._close()
        sd = self._module()
        try:
            stream = sd.OutputStream(
                samplerate=self.audio.rate,
                channels=2,
                dtype="float32",
                callback=self._callback,
                device=self._device,
            )
            self._stream = stream
            stream.start()
        except Exception as exc:  # PortAudio raises its own error types; all mean "cannot play here"
            self._stream = None
            raise PlaybackError(
                f"cannot play on this PC's audio output: {exc}", "no_output", str(exc)
            ) from exc

    def pause(self) -> None:
        self._close()

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # a device that vanished mid-play: nothing left to stop
                pass

    def _callback(self, outdata: Frames, frames: int, time_info: object, status: object) -> None:
        with self._lock:
            start = self._frame
            chunk = self.audio.frames[start : start + frames]
            self._frame = start + len(chunk)
        outdata[: len(chunk)] = chunk
        if len(chunk) < frames:
            outdata[len(chunk) :] = 0
            raise self._module().CallbackStop
