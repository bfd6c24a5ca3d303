"""Recordings survive a hard kill and a full disk without damage."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import wave
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pytest

from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription
from audio.recording import ChannelRecording, RecordingStopped, repair_recordings
from audio.source import ChannelMap, FileSource
from tests.conftest import ROOT

CHILD_WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from pathlib import Path
    from audio.recording import ChannelRecording, RecordingStopped
    rec = ChannelRecording(Path(sys.argv[1]))
    tone = (0.3 * np.sin(np.arange(1600) * 2 * np.pi * 440 / 16000)).astype(np.float32)
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 1e9
    try:
        while rec.seconds < limit:
            rec.write(tone)
            print(f"{rec.seconds:.1f}", flush=True)
            time.sleep(0.1)
    except RecordingStopped as exc:
        print("STOPPED", exc, flush=True)
        print(f"{rec.seconds:.1f}", flush=True)
    """
)


def _child(args: list[str], preexec: Any = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_WRITER, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )


def test_a_recording_killed_mid_call_opens_after_repair_losing_at_most_a_second(tmp_path: Path) -> None:
    path = tmp_path / "call-1" / "customer.wav"
    child = _child([str(path)])
    assert child.stdout is not None
    written = 0.0
    deadline = time.monotonic() + 30
    while written < 3.0 and time.monotonic() < deadline:
        written = float(child.stdout.readline() or 0.0)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert written >= 3.0

    repair_recordings(tmp_path)
    with wave.open(str(path)) as w:
        seconds = w.getnframes() / w.getframerate()
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert written - 1.0 <= seconds <= written + 0.2
    assert np.abs(audio).max() > 5000  # the tone itself, not zeros
    assert repair_recordings(tmp_path) == []  # repaired files stay repaired


def test_repair_leaves_foreign_and_healthy_files_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_bytes(b"not a wav at all, just text" * 3)
    rec = ChannelRecording(tmp_path / "ok.wav")
    rec.write(np.zeros(16000, dtype=np.float32))
    rec.close()
    assert repair_recordings(tmp_path) == []
    assert (tmp_path / "notes.wav").read_bytes().startswith(b"not a wav")


def test_a_file_size_limit_stops_the_recording_cleanly(tmp_path: Path) -> None:
    """A real write failure (RLIMIT_FSIZE, like a full disk) in a child process: the file stays valid."""
    import resource

    limit = 44 + 16000 * 2 * 2 + 1000  # a bit over two seconds of audio

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    path = tmp_path / "full.wav"
    child = _child([str(path), "10"], preexec=small_disk)
    out, _ = child.communicate(timeout=60)
    assert "STOPPED" in out, out
    assert "File too large" in out or "EFBIG" in out or "too large" in out.lower()
    with wave.open(str(path)) as w:
        frames = w.getnframes()
    assert 2.0 <= frames / 16000 <= limit / 32000
    assert path.stat().st_size == 44 + frames * 2


class _FillingDisk(io.FileIO):
    """A real file that runs out of space after ``capacity`` bytes, the way a full disk does."""

    def __init__(self, path: Path, capacity: int) -> None:
        super().__init__(path, "w+b")
        self.capacity = capacity

    def write(self, data: Any) -> int:
        room = self.capacity - self.tell()
        if room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        if len(data) > room:
            super().write(bytes(data)[:room])
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


@pytest.mark.slow
def test_disk_full_stops_recording_with_a_message_and_transcription_goes_on(
    clips: dict[str, Path], tiny_en: Any, tmp_path: Path
) -> None:
    capacity = 44 + 16000 * 2 * 1 + 777  # one second and a bit, then the disk is full
    opened: list[Path] = []

    def opener(path: Path) -> BinaryIO:
        opened.append(path)
        return _FillingDisk(path, capacity)  # type: ignore[return-value]

    events: list[TranscriptEvent] = []
    statuses: list[AudioStatusEvent] = []
    live = LiveTranscription(
        FileSource(clips["customer"], channel_map=ChannelMap.mono(Channel.CUSTOMER)),
        call_id="full-disk",
        language="en",
        model=tiny_en,
        record_dir=tmp_path,
        record_opener=opener,
        on_event=events.append,
        on_status=statuses.append,
    )
    live.start()
    assert live.wait(120)

    stopped = [s for s in statuses if s.kind is AudioStatusKind.RECORDING_STOPPED]
    assert len(stopped) == 1 and stopped[0].channel is Channel.CUSTOMER
    assert "No space left on device" in stopped[0].message and "customer.wav" in stopped[0].message
    text = " ".join(e.text for e in events if e.kind is EventKind.FINAL).lower()
    assert "customer support" in text
    with wave.open(str(live.recordings[Channel.CUSTOMER])) as w:
        frames = w.getnframes()
    # every whole block that reached the disk is kept; the block that hit the full disk is cut off cleanly
    assert (capacity - 44) // 2 - 1600 < frames <= (capacity - 44) // 2
    assert live.recordings[Channel.CUSTOMER].stat().st_size == 44 + 2 * frames


def test_a_half_written_block_is_cut_off_and_later_writes_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    rec = ChannelRecording(path, opener=lambda p: _FillingDisk(p, 44 + 2 * 1000 + 100))  # type: ignore[arg-type,return-value]
    rec.write(np.full(1000, 0.1, dtype=np.float32))
    with pytest.raises(RecordingStopped, match="No space left"):
        rec.write(np.full(1000, 0.2, dtype=np.float32))
    rec.write(np.ones(1000, dtype=np.float32))
    assert not rec.active
    with wave.open(str(path)) as w:
        assert w.getnframes() == 1000
        kept = np.frombuffer(w.readframes(1000), dtype="<i2")
    assert np.all(kept == int(0.1 * 32767))
    assert path.stat().st_size == 44 + 2000


def test_header_is_brought_up_to_date_every_second(tmp_path: Path) -> None:
    now = [0.0]
    rec = ChannelRecording(tmp_path / "h.wav", clock=lambda: now[0])
    rec.write(np.zeros(8000, dtype=np.float32))
    with wave.open(str(tmp_path / "h.wav")) as w:
        assert w.getnframes() == 0  # under a second since the last header update
    now[0] = 1.0
    rec.write(np.zeros(8000, dtype=np.float32))
    with wave.open(str(tmp_path / "h.wav")) as w:
        assert w.getnframes() == 16000
    rec.close()
