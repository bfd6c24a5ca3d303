"""Where call audio comes from, behind one seam.

The engine does not care whether audio comes from a headset, a softphone's loopback device or a file being
replayed for a demo: every source hands over per-channel chunks of 16 kHz mono float32, in call order. Files
are decoded in blocks (a one-hour call never sits in memory as float32) and resampled with soxr, the same
resampler the live devices use, so a replayed file exercises exactly the live path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import soxr

from audio.events import AudioStatusEvent, Channel

SAMPLE_RATE = 16_000
"""Everything downstream of a source (VAD, Whisper, recordings) works at this rate."""

CHUNK_SECONDS = 0.1

Samples = npt.NDArray[np.float32]


class AudioInputError(RuntimeError):
    """A file or device cannot be used; the message names which one and why."""


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """The next stretch of audio for one channel (16 kHz mono float32, directly after the previous one)."""

    channel: Channel
    samples: Samples


class AudioSource(Protocol):
    """What the engine needs from anything that produces call audio.

    ``read`` returns whatever arrived within ``timeout`` seconds: audio chunks and status events (a device
    lost or back) in the order they happened; an empty list means nothing yet. Once ``ended`` is true and
    ``read`` returns an empty list, the source has nothing more.
    """

    @property
    def channels(self) -> tuple[Channel, ...]: ...

    @property
    def ended(self) -> bool: ...

    def start(self) -> None: ...

    def read(self, timeout: float) -> list[AudioChunk | AudioStatusEvent]: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ChannelMap:
    """Which input channel feeds which side of the call.

    ``None`` as the input index mixes all input channels down (a mono recording of the whole call, or
    ``--mono`` on a stereo file).
    """

    routes: tuple[tuple[Channel, int | None], ...]

    @classmethod
    def stereo(cls, agent: int = 0, customer: int = 1) -> ChannelMap:
        return cls(((Channel.AGENT, agent), (Channel.CUSTOMER, customer)))

    @classmethod
    def mono(cls, channel: Channel = Channel.CUSTOMER) -> ChannelMap:
        return cls(((channel, None),))

    @classmethod
    def parse(cls, text: str) -> ChannelMap:
        """Parse ``agent=left,customer=right`` (sides may be left/right/0/1; either channel may be
        omitted)."""
        sides = {"left": 0, "l": 0, "0": 0, "right": 1, "r": 1, "1": 1}
        routes: list[tuple[Channel, int | None]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, side = part.partition("=")
            try:
                channel = Channel(name.strip().lower())
            except ValueError:
                raise ValueError(
                    f"unknown channel {name.strip()!r} in {text!r} (use agent and customer)"
                ) from None
            if not sep or side.strip().lower() not in sides:
                raise ValueError(f"{part!r} in {text!r} needs a side: left or right")
            routes.append((channel, sides[side.strip().lower()]))
        if not routes or len({c for c, _ in routes}) != len(routes):
            raise ValueError(
                f"{text!r} must name agent and/or customer once each, e.g. agent=left,customer=right"
            )
        return cls(tuple(routes))

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(channel for channel, _ in self.routes)

    def fitted(self, input_channels: int) -> ChannelMap:
        """This map, adjusted to an input with ``input_channels`` channels (a mono file is one channel)."""
        if input_channels >= 2 or all(index is None for _, index in self.routes):
            return self
        return ChannelMap.mono(Channel.CUSTOMER if Channel.CUSTOMER in self.channels else self.routes[0][0])

    def split(self, block: npt.NDArray[np.float32]) -> list[tuple[Channel, Samples]]:
        """Split an interleaved block (frames x channels) into one mono array per call channel."""
        out: list[tuple[Channel, Samples]] = []
        for channel, index in self.routes:
            if index is None:
                mono = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
            else:
                if index >= block.shape[1]:
                    raise AudioInputError(
                        f"the {channel.value} channel is mapped to input channel {index + 1}, "
                        f"but the input has only {block.shape[1]}"
                    )
                mono = block[:, index]
            out.append((channel, np.ascontiguousarray(mono, dtype=np.float32)))
        return out


class Resampler:
    """Streaming resampler for one channel: native rate in, 16 kHz out, no clicks between blocks."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._stream = (
            None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
        )

    def __call__(self, samples: Samples, last: bool = False) -> Samples:
        if self._stream is None:
            return samples.astype(np.float32, copy=False)
        out = self._stream.resample_chunk(samples.astype(np.float32, copy=False), last=last)
        return np.asarray(out, dtype=np.float32)


def _blocks_soundfile(
    path: Path, frames: int
) -> tuple[int, int, Callable[[], Iterator[npt.NDArray[np.float32]]]]:
    import soundfile as sf

    info = sf.info(str(path))

    def blocks() -> Iterator[npt.NDArray[np.float32]]:
        with sf.SoundFile(str(path)) as f:
            while True:
                block = f.read(frames, dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    return
                yield block

    return int(info.samplerate), int(info.channels), blocks


def _blocks_av(path: Path, frames: int) -> tuple[int, int, Callable[[], Iterator[npt.NDArray[np.float32]]]]:
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise AudioInputError(f"{path} has no audio stream")
        stream = container.streams.audio[0]
        rate = int(stream.rate or stream.codec_context.sample_rate)
        channels = int(stream.codec_context.channels)

    def blocks() -> Iterator[npt.NDArray[np.float32]]:
        with av.open(str(path)) as container:
            resampler = av.AudioResampler(format="fltp", layout=None, rate=rate)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    yield np.ascontiguousarray(out.to_ndarray().T, dtype=np.float32)

    return rate, channels, blocks


def open_audio_file(path: Path) -> tuple[int, int, Callable[[], Iterator[npt.NDArray[np.float32]]]]:
    """Return (rate, channels, block iterator factory) for a file, or raise AudioInputError naming it."""
    if not path.exists():
        raise AudioInputError(f"audio file not found: {path}")
    if not path.is_file():
        raise AudioInputError(f"not a file: {path}")
    frames = 8192
    try:
        return _blocks_soundfile(path, frames)
    except Exception as sf_error:
        try:
            return _blocks_av(path, frames)
        except Exception:
            raise AudioInputError(
                f"cannot read {path} as audio (WAV, FLAC or MP3 expected): {sf_error}"
            ) from None


class FileSource:
    """Replays a recorded call, either at real-time pace (demos, latency measurement) or as fast as possible.

    The clock and sleep are injectable so tests can replay "in real time" without waiting.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        realtime: bool = False,
        channel_map: ChannelMap | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self.rate, self.input_channels, self._block_factory = open_audio_file(self.path)
        self.channel_map = (channel_map or ChannelMap.stereo()).fitted(self.input_channels)
        self._clock = clock
        self._sleep = sleep
        self._stop = threading.Event()
        self._blocks: Iterator[list[AudioChunk]] | None = None
        self._ended = False
        self._started_at = 0.0
        self._delivered = 0  # 16 kHz samples per channel handed out so far

    @property
    def channels(self) -> tuple[Channel, ...]:
        return self.channel_map.channels

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def position(self) -> float:
        """Seconds of audio handed out so far."""
        return self._delivered / SAMPLE_RATE

    def start(self) -> None:
        self._started_at = self._clock()
        self._blocks = self._chunks()

    def stop(self) -> None:
        self._stop.set()

    def _chunks(self) -> Iterator[list[AudioChunk]]:
        resamplers = {channel: Resampler(self.rate) for channel in self.channels}
        step = int(SAMPLE_RATE * CHUNK_SECONDS)
        pending: dict[Channel, list[Samples]] = {channel: [] for channel in self.channels}
        pending_len = 0

        def take(n: int) -> list[AudioChunk]:
            nonlocal pending_len
            out = []
            for channel in self.channels:
                joined = np.concatenate(pending[channel]) if pending[channel] else np.zeros(0, np.float32)
                out.append(AudioChunk(channel, joined[:n].copy()))
                pending[channel] = [joined[n:]]
            pending_len -= n
            return out

        try:
            for block in self._block_factory():
                for channel, mono in self.channel_map.split(block):
                    pending[channel].append(resamplers[channel](mono))
                pending_len = min(sum(len(p) for p in pending[c]) for c in self.channels)
                while pending_len >= step:
                    yield take(step)
        except AudioInputError:
            raise
        except Exception as exc:
            raise AudioInputError(f"error while decoding {self.path}: {exc}") from exc
        for channel in self.channels:
            pending[channel].append(resamplers[channel](np.zeros(0, np.float32), last=True))
        pending_len = min(sum(len(p) for p in pending[c]) for c in self.channels)
        while pending_len > 0:
            yield take(min(step, pending_len))

    def read(self, timeout: float) -> list[AudioChunk | AudioStatusEvent]:
        if self._blocks is None:
            raise RuntimeError("FileSource.read() before start()")
        if self._ended or self._stop.is_set():
            self._ended = True
            return []
        if self.realtime:
            due = self._started_at + self._delivered / SAMPLE_RATE
            wait = due - self._clock()
            if wait > timeout:
                self._sleep(timeout)
                return []
            if wait > 0:
                self._sleep(wait)
        try:
            chunks = next(self._blocks)
        except StopIteration:
            self._ended = True
            return []
        self._delivered += len(chunks[0].samples)
        return list(chunks)
