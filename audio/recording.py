"""Crash-safe call recordings: one 16-bit PCM WAV per channel per call.

A WAV header states how much audio follows. A process killed mid-call leaves a header that understates (or,
for a fresh file, zeroes) the data size, and players and Python's ``wave`` then read too little or refuse
the file. So the header is rewritten and the file flushed to disk at least once a second, and
:func:`repair_recordings` at start-up fixes the header of any file a killed process left behind: at most the
last second is lost.

A full disk (or any write error) stops the recording of that channel cleanly: the file is cut back to the
last whole sample written, its header made true, and the caller told; transcription goes on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from audio.source import SAMPLE_RATE, Samples

log = logging.getLogger(__name__)

HEADER_SIZE = 44
SAMPLE_WIDTH = 2


def _header(data_bytes: int, rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    block = channels * SAMPLE_WIDTH
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 8 * SAMPLE_WIDTH)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class RecordingStopped(RuntimeError):
    """Writing the recording failed (disk full, file too large, device gone); the file is left consistent."""


class ChannelRecording:
    """One channel's WAV file, written as audio arrives.

    ``opener`` exists so tests can hand in a file object that fails like a full disk does.
    """

    def __init__(
        self,
        path: Path,
        *,
        header_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        opener: Callable[[Path], BinaryIO] | None = None,
    ) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = (opener or _open_unbuffered)(path)
        self._clock = clock
        self._interval = header_interval
        self._data_bytes = 0
        self._header_bytes = -1
        self._last_header = clock()
        self.stopped_reason = ""
        self._file.write(_header(0))
        self._sync_header(force=True)

    @property
    def seconds(self) -> float:
        return self._data_bytes / (SAMPLE_WIDTH * SAMPLE_RATE)

    @property
    def active(self) -> bool:
        return self._file is not None

    def write(self, samples: Samples) -> None:
        """Append samples (float32 -1..1). Raises RecordingStopped once, after which writes are ignored."""
        if self._file is None or len(samples) == 0:
            return
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        try:
            self._file.seek(HEADER_SIZE + self._data_bytes)
            view = memoryview(pcm)
            while view:
                written = self._file.write(view)
                if not written:
                    raise OSError("no bytes written")
                view = view[written:]
        except OSError as exc:
            self._fail(exc)
        self._data_bytes += len(pcm)
        self._sync_header()

    def _sync_header(self, force: bool = False) -> None:
        assert self._file is not None
        if not force and self._clock() - self._last_header < self._interval:
            return
        try:
            if self._data_bytes != self._header_bytes:
                self._file.seek(0)
                self._file.write(_header(self._data_bytes))
                self._header_bytes = self._data_bytes
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            self._fail(exc)
        self._last_header = self._clock()

    def _fail(self, exc: OSError) -> None:
        """Cut the file back to what was fully written and make the header true, then stop."""
        file, self._file = self._file, None
        assert file is not None
        reason = exc.strerror or str(exc)
        self.stopped_reason = f"recording {self.path} stopped: {reason}"
        try:
            file.truncate(HEADER_SIZE + self._data_bytes)
            file.seek(0)
            file.write(_header(self._data_bytes))
            file.flush()
        except OSError:
            log.warning("could not finalize %s after a write error; repair at next start fixes it", self.path)
        finally:
            with contextlib.suppress(OSError):
                file.close()
        raise RecordingStopped(self.stopped_reason) from exc

    def close(self) -> None:
        if self._file is None:
            return
        try:
            self._sync_header(force=True)
        except RecordingStopped:
            return
        file, self._file = self._file, None
        file.close()


def _open_unbuffered(path: Path) -> BinaryIO:
    # unbuffered: a write error surfaces at the write that caused it, with nothing half-buffered behind it
    return open(path, "w+b", buffering=0)


def repair_recording(path: Path) -> bool:
    """Make the header of one WAV match the audio that reached the disk. Returns True when it changed."""
    size = path.stat().st_size
    if size < HEADER_SIZE:
        return False
    with open(path, "r+b") as f:
        head = f.read(HEADER_SIZE)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE" or head[36:40] != b"data":
            return False  # not one of ours
        channels, rate = struct.unpack("<HI", head[22:28])
        block = channels * SAMPLE_WIDTH
        data = (size - HEADER_SIZE) // block * block
        riff_size, data_size = struct.unpack("<I", head[4:8])[0], struct.unpack("<I", head[40:44])[0]
        if riff_size == 36 + data and data_size == data and size == HEADER_SIZE + data:
            return False
        f.truncate(HEADER_SIZE + data)
        f.seek(0)
        f.write(_header(data, rate, channels))
        f.flush()
        os.fsync(f.fileno())
    log.info("repaired recording %s (%d bytes of audio)", path, data)
    return True


def repair_recordings(directory: Path) -> list[Path]:
    """Repair every recording under ``directory`` left by a process that died mid-call.

    Call it at start-up; returns the files that needed repair.
    """
    repaired: list[Path] = []
    if not directory.is_dir():
        return repaired
    for path in sorted(directory.rglob("*.wav")):
        try:
            if repair_recording(path):
                repaired.append(path)
        except OSError as exc:
            log.warning("could not repair %s: %s", path, exc)
    return repaired
