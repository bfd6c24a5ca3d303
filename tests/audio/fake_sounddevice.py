"""A stand-in for the ``sounddevice`` module: devices that play known signals, can be unplugged and plugged
back, and deliver their blocks when the test pumps them (on a clock the test owns)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def tone(freqs: list[float]) -> Callable[[int, int, int], np.ndarray]:
    """A signal with one sine per channel: channel i plays freqs[i]."""

    def signal(rate: int, start: int, frames: int) -> np.ndarray:
        t = (start + np.arange(frames)) / rate
        return np.stack([0.3 * np.sin(2 * np.pi * f * t) for f in freqs], axis=1).astype(np.float32)

    return signal


def clip(samples: np.ndarray, rate: int, then_silence: bool = True) -> Callable[[int, int, int], np.ndarray]:
    """A mono recording played once (at the device rate ``rate``), silence afterwards."""

    def signal(device_rate: int, start: int, frames: int) -> np.ndarray:
        assert device_rate == rate, "the test clip must be at the device's native rate"
        out = np.zeros((frames, 1), dtype=np.float32)
        part = samples[start : start + frames]
        out[: len(part), 0] = part
        return out

    return signal


@dataclass
class FakeDevice:
    name: str
    channels: int
    rate: int
    signal: Callable[[int, int, int], np.ndarray]
    plugged: bool = True
    position: int = 0


@dataclass
class FakeStream:
    sd: FakeSoundDevice
    device: FakeDevice
    channels: int
    samplerate: int
    blocksize: int
    callback: Callable[..., None]
    started: bool = False
    closed: bool = False
    opened_at: list[int] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.started and not self.closed and self.device.plugged

    def start(self) -> None:
        if not self.device.plugged:
            raise RuntimeError("Error starting stream: Device unavailable [PaErrorCode -9985]")
        self.started = True

    def stop(self) -> None:
        if not self.device.plugged:
            raise RuntimeError("Error stopping stream: Device unavailable")
        self.started = False

    def close(self) -> None:
        self.closed = True


class FakeSoundDevice:
    """Implements the parts of ``sounddevice`` that audio.devices uses."""

    def __init__(self, devices: list[FakeDevice], clock: FakeClock) -> None:
        self.devices = devices
        self.clock = clock
        self.streams: list[FakeStream] = []
        self.default = SimpleNamespace(device=[0, -1])
        self.reinitialised = 0

    def query_devices(self) -> list[dict[str, Any]]:
        out = [
            {
                "name": "Speakers",
                "max_input_channels": 0,
                "max_output_channels": 2,
                "default_samplerate": 48000.0,
                "hostapi": 0,
            }
        ]
        out += [
            {
                "name": d.name,
                "max_input_channels": d.channels,
                "max_output_channels": 0,
                "default_samplerate": float(d.rate),
                "hostapi": 0,
            }
            for d in self.devices
            if d.plugged
        ]
        return out

    def query_hostapis(self) -> list[dict[str, Any]]:
        return [{"name": "Fake Audio"}]

    def _terminate(self) -> None:
        self.reinitialised += 1

    def _initialize(self) -> None:
        pass

    def InputStream(
        self,
        *,
        device: int,
        channels: int,
        samplerate: float,
        dtype: str,
        blocksize: int,
        callback: Callable[..., None],
    ) -> FakeStream:
        listed = self.query_devices()
        name = listed[device]["name"]
        dev = next(d for d in self.devices if d.name == name)
        if channels > dev.channels:
            raise RuntimeError("Invalid number of channels")
        stream = FakeStream(self, dev, channels, int(samplerate), blocksize, callback)
        self.streams.append(stream)
        return stream

    def unplug(self, name: str) -> None:
        next(d for d in self.devices if d.name == name).plugged = False

    def plug(self, name: str) -> None:
        next(d for d in self.devices if d.name == name).plugged = True

    def pump(self, seconds: float, step: float = 0.05) -> None:
        """Let ``seconds`` of time pass: every active stream delivers its blocks, the clock moves on."""
        elapsed = 0.0
        while elapsed < seconds - 1e-9:
            for stream in list(self.streams):
                if not stream.active:
                    continue
                dev = stream.device
                frames = round(stream.samplerate * step)
                data = dev.signal(stream.samplerate, dev.position, frames)[:, : stream.channels]
                dev.position += frames
                stream.callback(np.ascontiguousarray(data), frames, None, None)
            self.clock.advance(step)
            elapsed += step
