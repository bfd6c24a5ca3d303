"""An audio source that passes everything to a real one (FileSource on the demo call): the tests subclass it
and hold one step (the start, or the reading past a point) to put a call in the state they need."""

from __future__ import annotations

from audio.events import AudioStatusEvent, Channel
from audio.source import AudioChunk, FileSource


class WrappedSource:
    def __init__(self, inner: FileSource) -> None:
        self.inner = inner

    @property
    def channels(self) -> tuple[Channel, ...]:
        return self.inner.channels

    @property
    def ended(self) -> bool:
        return self.inner.ended

    def start(self) -> None:
        self.inner.start()

    def read(self, timeout: float) -> list[AudioChunk | AudioStatusEvent]:
        return self.inner.read(timeout)

    def stop(self) -> None:
        self.inner.stop()
