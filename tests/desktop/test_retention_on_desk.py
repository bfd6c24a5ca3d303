"""The app applies the retention setting at start-up and daily on the desk worker, the local store's one
writer: old recordings and transcripts disappear from a real SQLite file and the recordings folder, recent
ones stay, a run that fails is shown and the app keeps working, and a daily run never cuts into a call in
progress."""

from __future__ import annotations

import os
import threading
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assist.domain import CallRecord, Segment
from assist.exports import call_recording_dir
from assist.retention import RetentionPolicy, RetentionReport, TranscriptRetention, save_policy
from assist.store import Store
from desktop.agent.agent_app import AgentApp
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from desktop.review import retention_schedule
from desktop.review.retention_schedule import RetentionSchedule
from tests.listeners import QuietListener


def _wav(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x01\x00" * 16000)
    return path


def _call(store: Store, recordings: Path, call_id: str, days_ago: int, line: str) -> None:
    ended = datetime.now(UTC) - timedelta(days=days_ago)
    store.upsert_call(
        CallRecord(
            call_id,
            None,
            agent="suzuki",
            started_at=(ended - timedelta(minutes=5)).isoformat(),
            ended_at=ended.isoformat(),
            language="en",
        )
    )
    store.add_segments([Segment(call_id, "s00", "customer", 0.0, 2.5, line, 0.9)])
    for channel in ("agent", "customer"):
        _wav(call_recording_dir(call_id, recordings) / f"{channel}.wav")


@pytest.fixture
def history(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A store file with a call from 40 days ago and one from yesterday; recordings kept 30 days, transcripts
    deleted after 30 days."""
    store_file, recordings = tmp_path / "store.sqlite3", tmp_path / "recordings"
    with Store.open(store_file) as store:
        _call(store, recordings, "call-old", 40, "my card was charged twice in October")
        _call(store, recordings, "call-new", 1, "the parcel has not arrived yet")
        save_policy(
            store,
            RetentionPolicy(recording_days=30, transcripts=TranscriptRetention.DELETE, transcript_days=30),
        )
    yield store_file, recordings


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread of every connection opened to a store from now on."""
    threads: list[int] = []
    real_open = Store.open

    def counting_open(path: Any = None, analyzer: Any = None) -> Store:
        threads.append(threading.get_ident())
        return real_open(path, analyzer)

    monkeypatch.setattr(Store, "open", counting_open)
    return threads


@pytest.fixture
def retention_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread every retention run worked on (the real run, only watched)."""
    threads: list[int] = []
    real_apply = retention_schedule.apply_retention

    def watched(store: Store, *args: Any, **kwargs: Any) -> RetentionReport:
        threads.append(threading.get_ident())
        return real_apply(store, *args, **kwargs)

    monkeypatch.setattr(retention_schedule, "apply_retention", watched)
    return threads


def _app(store_file: Path, recordings: Path, tmp_path: Path) -> AgentApp:
    # A model path that does not exist: the background preload fails at once instead of loading Whisper.
    config = DeskConfig(language="en", model=str(tmp_path / "no-model"))
    desk = CallDesk(
        QuietListener(),
        config,
        store_file=store_file,
        recordings=recordings,
        sync_state_file=tmp_path / "sync.sqlite3",
    )
    return AgentApp(ensure_app(), prefs=Preferences(ui_language="en", softphone_port=0), desk=desk)


def _shown(agent: AgentApp, qtbot: Any) -> RetentionSchedule:
    """Show the app as the agent starts it and wait for the start-up retention run to be reported."""
    agent.show()
    schedule = agent.retention
    assert isinstance(schedule, RetentionSchedule)
    agent.desk.run_on_worker(lambda store: None).result(
        timeout=30
    )  # queued behind the start-up work and the run
    qtbot.waitUntil(lambda: not schedule.running, timeout=10000)
    return schedule


def test_at_start_up_expired_recordings_and_transcripts_go_on_the_desk_worker(
    history: tuple[Path, Path], tmp_path: Path, qtbot: Any, opened: list[int], retention_threads: list[int]
) -> None:
    store_file, recordings = history
    agent = _app(store_file, recordings, tmp_path)
    qtbot.addWidget(agent.window)
    try:
        _shown(agent, qtbot)
        desk_thread = agent.desk.run_on_worker(lambda store: threading.get_ident()).result(timeout=30)
        assert retention_threads == [desk_thread]
        assert desk_thread != threading.get_ident()  # and not the UI thread
        assert opened == [desk_thread]  # the desk's own connection: nobody opened a second one
        assert agent.window.statusBar().currentMessage() == ""  # a clean run says nothing
    finally:
        agent.shutdown()

    assert not call_recording_dir("call-old", recordings).exists()
    assert sorted(p.name for p in call_recording_dir("call-new", recordings).iterdir()) == [
        "agent.wav",
        "customer.wav",
    ]
    with Store.open(store_file) as store:
        assert store.segments_for("call-old") == []
        assert [s.text for s in store.segments_for("call-new")] == ["the parcel has not arrived yet"]
        assert "charged twice" not in store.dump_all_text()
        assert store.get_call("call-old") is not None  # the call and its summary stay


def test_a_failed_run_is_shown_and_the_app_keeps_working(
    history: tuple[Path, Path], tmp_path: Path, qtbot: Any
) -> None:
    store_file, recordings = history
    with Store.open(store_file) as store, store.transaction():
        # A setting written by a newer version (or by hand) that this one does not know.
        store.conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'review_retention'",
            ('{"recording_days": 30, "transcripts": "shred", "transcript_days": 30}',),
        )
    agent = _app(store_file, recordings, tmp_path)
    qtbot.addWidget(agent.window)
    try:
        _shown(agent, qtbot)
        message = agent.window.statusBar().currentMessage()
        assert "could not be cleaned up" in message and "shred" in message
        assert agent.window.call_bar.call_button.isEnabled()
        count = agent.desk.run_on_worker(
            lambda store: store.conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        )
        assert count.result(timeout=30) == 2  # the desk still works on the store
    finally:
        agent.shutdown()
    assert call_recording_dir(
        "call-old", recordings
    ).exists()  # nothing was deleted on a setting it cannot read


def test_the_daily_run_waits_for_the_call_in_progress_then_keeps_running(
    history: tuple[Path, Path], qtbot: Any, retention_threads: list[int]
) -> None:
    store_file, recordings = history
    desk = CallDesk(QuietListener(), DeskConfig(), store_file=store_file, recordings=recordings)
    desk.start(preload_model=False)
    in_call = True
    asked: list[bool] = []

    def busy() -> bool:
        asked.append(in_call)
        return in_call

    schedule = RetentionSchedule(
        desk.run_on_worker, recordings_root=recordings, interval_ms=200, busy=busy, busy_retry_ms=20
    )
    reports: list[object] = []
    schedule.finished.connect(reports.append)
    try:
        schedule.start()
        qtbot.waitUntil(
            lambda: len(asked) >= 3, timeout=10000
        )  # looked again and again while the call went on
        assert retention_threads == [] and call_recording_dir("call-old", recordings).exists()

        in_call = False  # the call ended
        qtbot.waitUntil(lambda: not call_recording_dir("call-old", recordings).exists(), timeout=10000)
        qtbot.waitUntil(lambda: bool(reports), timeout=10000)
        assert isinstance(reports[0], RetentionReport) and len(reports[0].recordings_deleted) == 2

        # A folder left by a call the store never saved, untouched for 40 days: the next daily run takes it.
        stray = _wav(recordings / "call-lost" / "agent.wav")
        old = (datetime.now(UTC) - timedelta(days=40)).timestamp()
        os.utime(stray, (old, old))
        qtbot.waitUntil(lambda: not stray.parent.exists(), timeout=10000)
        assert call_recording_dir("call-new", recordings).exists()
        desk_thread = desk.run_on_worker(lambda store: threading.get_ident()).result(timeout=30)
        assert set(retention_threads) == {desk_thread}
    finally:
        schedule.stop()
        desk.shutdown()
