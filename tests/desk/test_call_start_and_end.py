"""Ending a call while its audio is still being started: the start runs outside the desk's lock (nothing the
audio reports while it opens waits on that lock), and the end waits for the start, then stops the audio and
wraps the call up. Real parts: the demo call replayed at call pace through FileSource, faster-whisper
tiny.en, a real store; only the source's start is held by the test (a device that is slow to open)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from audio.source import ChannelMap, FileSource
from desktop.agent.demo import DEMO_CALL
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.common.views import WrapUpDraft
from tests.desk.wrapped_source import WrappedSource
from tests.waiting import wait_until

pytestmark = pytest.mark.slow


class HeldSource(WrappedSource):
    """The demo recording, whose ``start`` waits until the test lets it go."""

    def __init__(self, inner: FileSource) -> None:
        super().__init__(inner)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.stopped = threading.Event()

    def start(self) -> None:
        self.entered.set()
        if not self.release.wait(120):
            raise RuntimeError("the test never let the source start")
        self.inner.start()

    def stop(self) -> None:
        self.stopped.set()
        self.inner.stop()


class Finished:
    """Notes the calls that were wrapped up; everything else the desk reports is ignored."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_call_finished(self, call_id: str, draft: WrapUpDraft) -> None:
        self.calls.append(call_id)

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def test_a_call_ended_while_its_audio_starts_is_stopped_once_started_and_wrapped_up(tmp_path: Path) -> None:
    listener = Finished()
    desk = CallDesk(
        listener,
        DeskConfig(language="en", model="tiny.en", record=False),
        store_file=tmp_path / "store.sqlite3",
        sync_state_file=tmp_path / "sync.sqlite3",
        recordings=tmp_path / "recordings",
    )
    desk.start(preload_model=False)
    source = HeldSource(FileSource(DEMO_CALL, realtime=True, channel_map=ChannelMap.stereo()))
    try:
        call_id = desk.start_call(source=source)
        wait_until(source.entered.is_set, timeout=60, what="the call's audio to start opening")
        assert desk._lock.acquire(timeout=10), "the desk's lock is held while the audio opens"
        desk._lock.release()
        desk.end_call()
        wait_until(lambda: not desk.in_call, timeout=30, what="the call to be ending")
        # The end waits for the start: the audio is not stopped under it and the call is not wrapped up yet.
        assert not source.stopped.is_set() and listener.calls == []
        source.release.set()
        wait_until(lambda: listener.calls == [call_id], timeout=60, what="the call's wrap-up")
        assert source.stopped.is_set()  # cut, not played to its end
    finally:
        source.release.set()
        desk.shutdown()
