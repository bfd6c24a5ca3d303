"""The review window as a reviewer uses it, with real widgets offscreen, the real store and real WAV files;
only the sound card is a stand-in (a fake sounddevice whose callback the test drives, like PortAudio
would)."""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from assist import paths
from assist.review_schema import CommentRole, ReviewNotes
from assist.store import Store
from desktop.app import ensure_app
from desktop.common.background import StoreWorker
from desktop.review import create_review_window
from desktop.review.call_detail import CallDetail
from desktop.review.playback import CallAudio, CallPlayback, load_call_audio
from desktop.review.window import ReviewWindow
from tests.review.conftest import write_wav


class FakeStream:
    def __init__(self, sd: FakeSoundDevice, callback: Any, samplerate: int, channels: int, **_: Any) -> None:
        self.sd, self.callback, self.rate, self.channels, self.active = (
            sd,
            callback,
            samplerate,
            channels,
            False,
        )
        sd.streams.append(self)

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        self.active = False

    def pull(self, seconds: float) -> np.ndarray:
        """What the sound card would do: ask for ``seconds`` of audio."""
        out = np.full((int(seconds * self.rate), self.channels), 9.0, dtype=np.float32)
        try:
            self.callback(out, len(out), None, None)
        except self.sd.CallbackStop:
            self.active = False
        return out


class FakeSoundDevice:
    class CallbackStop(Exception):
        pass

    def __init__(self) -> None:
        self.streams: list[FakeStream] = []

    def OutputStream(self, **kw: Any) -> FakeStream:
        return FakeStream(self, **kw)


@pytest.fixture
def window(store: Store, qtbot: Any) -> Iterator[tuple[ReviewWindow, FakeSoundDevice]]:
    ensure_app()
    sd = FakeSoundDevice()
    # Real recordings: 15 s per side, so every line of the Japanese call has audio under it.
    for channel in ("agent", "customer"):
        write_wav(paths.recordings_dir() / "call-ja-1" / f"{channel}.wav", seconds=15.0)
    w = create_review_window(store, author="suzuki", player_factory=lambda audio: CallPlayback(audio, sd=sd))
    assert isinstance(w, ReviewWindow)
    qtbot.addWidget(w)
    yield w, sd
    w.close()  # its counting and writing threads end before the store goes


def test_history_lists_calls_and_filters(window: tuple[ReviewWindow, FakeSoundDevice]) -> None:
    w, _ = window
    assert w.history.call_ids() == ["call-ja-2", "call-en-1", "call-ja-1"]
    w.history.tag.setCurrentIndex(w.history.tag.findData("請求"))
    assert w.history.call_ids() == ["call-ja-2", "call-ja-1"]
    w.history.since.setText("2026-03-05")
    w.history.refresh()
    assert w.history.call_ids() == ["call-ja-2"]
    w.history.since.setText("5 March")
    w.history.refresh()
    assert "is not a date" in w.history.message.text()
    assert w.history.call_ids() == ["call-ja-2"]  # the list stays as it was


def test_search_highlights_and_opens_the_call_at_the_line(
    window: tuple[ReviewWindow, FakeSoundDevice], qtbot: Any
) -> None:
    w, _ = window
    w.history.search_edit.setText("請求書")
    qtbot.waitUntil(lambda: w.history.stack.currentWidget() is w.history.hits, timeout=3000)
    texts = w.history.hit_texts()
    assert "えーと、先月の[請求書]がまだ届いていないんですけど" in texts
    label = w.history.hits.itemWidget(w.history.hits.item(0))
    assert "<b><u>請求書</u></b>" in label.text()  # type: ignore[union-attr]
    w.history._open_hit(w.history.hits.item(0))
    assert w.detail.call is not None and w.detail.call.id == "call-ja-1"
    line = w.detail.highlighted_line()
    assert line is not None and line.segment_id == "s01"


def test_clicking_a_line_plays_from_there_and_the_playing_line_follows(
    window: tuple[ReviewWindow, FakeSoundDevice], qtbot: Any
) -> None:
    w, sd = window
    d: CallDetail = w.detail
    d.show_call("call-ja-1")
    assert d.play_button.isEnabled()
    lines = d.lines()
    assert [x.segment_id for x in lines] == ["s00", "s01", "s02", "s03"]
    row = d.timeline.item(d.timeline.line_row(2))
    d._clicked(row)  # the reviewer clicks the third line (starts at 6.0 s)
    stream = sd.streams[-1]
    assert stream.active and stream.channels == 2
    assert d.player is not None and abs(d.player.position - 5.7) < 1e-3
    assert d.highlighted_line() == lines[2]
    stream.pull(3.5)  # the sound card plays 3.5 s: now at 9.2 s, inside the fourth line
    qtbot.waitUntil(lambda: d.highlighted_line() == lines[3], timeout=3000)
    assert d.timeline.item(d.timeline.line_row(3)).font().bold()
    assert not d.timeline.item(d.timeline.line_row(2)).font().bold()
    stream.pull(10.0)  # past the end: playback stops by itself
    qtbot.waitUntil(lambda: d.play_button.text() == "Play", timeout=3000)
    assert not stream.active


def test_bookmarks_comments_and_annotations_on_the_timeline(
    window: tuple[ReviewWindow, FakeSoundDevice], store: Store, qtbot: Any
) -> None:
    w, _ = window
    d = w.detail
    d.show_call("call-ja-1")
    kinds = [i.kind.value for i in d.items()]
    assert "whisper" in kinds and "suggestion_shown" in kinds
    d.timeline.setCurrentRow(d.timeline.line_row(1))
    d.bookmark_selected()
    qtbot.waitUntil(
        lambda: (3.0, "bookmark") in [(i.position, i.kind.value) for i in d.items()], timeout=5000
    )
    d.timeline.setCurrentRow(d.timeline.line_row(1))
    d.comment_edit.setText("共感の一言があると良い")
    d.comment_role.setCurrentIndex(d.comment_role.findData(CommentRole.SUPERVISOR.value))
    d.comment_selected()
    qtbot.waitUntil(lambda: not d.comment_edit.text(), timeout=5000)  # cleared once it is saved
    notes = ReviewNotes(store)
    assert [(b.segment_id, b.position, b.author) for b in notes.bookmarks("call-ja-1")] == [
        ("s01", 3.0, "suzuki")
    ]
    comments = notes.comments("call-ja-1")
    assert [(c.segment_id, c.role, c.text) for c in comments] == [
        ("s01", CommentRole.SUPERVISOR, "共感の一言があると良い")
    ]
    after = [(i.position, i.kind.value) for i in d.items()]
    assert (3.0, "bookmark") in after and (3.0, "comment") in after


def test_wrap_up_and_notes_are_editable(
    window: tuple[ReviewWindow, FakeSoundDevice], store: Store, qtbot: Any
) -> None:
    w, _ = window
    d = w.detail
    import shutil

    shutil.rmtree(paths.recordings_dir() / "call-en-1")  # retention took its audio
    d.show_call("call-en-1")
    assert not d.play_button.isEnabled()
    assert d.status.text() == "No recording is kept for this call."
    d.summary.setPlainText("Refund issued; customer happy.")
    d.tags.setText("billing; refund")
    d.disposition.setCurrentIndex(d.disposition.findData("resolved"))
    with qtbot.waitSignal(d.call_saved, timeout=5000):
        d.save_wrap_up()  # written on the store's thread, never on the UI thread
    assert d.status.text() == "Wrap-up saved."
    saved = store.get_call("call-en-1")
    assert saved is not None
    assert (saved.summary, saved.tags, saved.disposition) == (
        "Refund issued; customer happy.",
        ("billing", "refund"),
        "resolved",
    )
    assert "refund" in [w.history.tag.itemData(i) for i in range(w.history.tag.count())]
    d.note_edit.setText("Likes e-mail follow-ups")
    d.add_note()
    qtbot.waitUntil(lambda: not d.note_edit.text(), timeout=5000)  # cleared once it is saved
    assert any(
        n.text == "Likes e-mail follow-ups" and n.author == "suzuki" for n in store.notes_for("cust-smith")
    )


def test_insights_tab_draws_and_exports(
    window: tuple[ReviewWindow, FakeSoundDevice], tmp_path: Path, qtbot: Any
) -> None:
    w, _ = window
    panel = w.insights
    with qtbot.waitSignal(panel.updated, timeout=10000):
        w.tabs.setCurrentIndex(1)
    assert "3 calls" in panel.summary.text() and "33%" in panel.summary.text()
    labels = [label for label, _ in panel.volume.bars]
    assert len(labels) == len(set(labels))  # one bar per week, its breakdown written beside it
    week = labels.index("2026-03-09")
    assert "解約 1" in panel.volume.notes[week]
    assert dict(panel.handle.bars) == {"sato": 10.0, "suzuki": 4.5}
    with qtbot.waitSignal(panel.updated, timeout=10000):
        panel.dimension.setCurrentIndex(panel.dimension.findData("disposition"))
    qtbot.waitUntil(lambda: not panel.busy, timeout=10000)
    words = " ".join(panel.volume.notes).split()
    assert {"resolved", "follow_up", "escalated"} <= set(words)
    image = panel.grab()  # paints the bars for real
    assert not image.isNull()
    panel.export_csv(tmp_path / "i.csv")
    with (tmp_path / "i.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert any(r["section"] == "calls_per_week_by_disposition" for r in csv.DictReader(fh))


def test_mixed_audio_puts_each_side_on_its_own_channel(tmp_path: Path) -> None:
    agent = write_wav(tmp_path / "agent.wav", seconds=1.0)
    customer = write_wav(tmp_path / "customer.wav", seconds=2.0)
    audio: CallAudio = load_call_audio({"agent": agent, "customer": customer})
    assert audio.rate == 16000 and audio.duration == 2.0
    assert audio.frames[100, 1] > 0 and audio.frames[100, 0] > 0
    assert audio.frames[20000, 1] == 0 and audio.frames[20000, 0] > 0  # the agent's file ended


def test_review_window_is_a_widget_for_the_menu(store: Store, qtbot: Any) -> None:
    ensure_app()
    w = create_review_window(store)
    qtbot.addWidget(w)
    assert isinstance(w, QWidget)
    assert w.windowTitle().endswith("Call review")
    assert w.findChild(QWidget, "callList") is not None
    assert Qt.WindowType.Window & w.windowFlags()
    w.close()


def test_exports_from_the_screens(window: tuple[ReviewWindow, FakeSoundDevice], tmp_path: Path) -> None:
    from assist.exports import TranscriptFormat, read_vtt

    w, _ = window
    w.detail.show_call("call-ja-1")
    assert w.detail.export_transcript(TranscriptFormat.VTT, tmp_path / "c.vtt")
    assert [x.text for x in read_vtt((tmp_path / "c.vtt").read_text(encoding="utf-8"))][1].startswith(
        "えーと"
    )
    assert not w.detail.export_transcript(TranscriptFormat.TXT, tmp_path / "missing-dir" / "c.txt")
    assert "Could not export" in w.detail.status.text() and "missing-dir" in w.detail.status.text()
    w.history.disposition.setCurrentIndex(w.history.disposition.findData("escalated"))
    assert w.history.export_csv(tmp_path / "calls.csv") == 1
    with (tmp_path / "calls.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert [r["call_id"] for r in csv.DictReader(fh)] == ["call-ja-2"]


def test_privacy_tab_sets_retention_and_erases_a_customer_after_confirmation(
    window: tuple[ReviewWindow, FakeSoundDevice], store: Store, tmp_path: Path, qtbot: Any
) -> None:
    from assist.retention import TranscriptRetention, load_policy
    from desktop.review.privacy_view import PrivacyPanel

    w, _ = window
    panel: PrivacyPanel = w.privacy
    form = panel.retention
    form.keep_recordings.setChecked(True)
    form.recording_days.setValue(0)
    form.transcripts.setCurrentIndex(form.transcripts.findData("redact"))
    form.transcript_days.setValue(400)
    with qtbot.waitSignal(panel.retention_applied, timeout=30000) as applied:
        panel.save_and_apply()  # on the store's thread: the window does not wait for the deletions
    report = applied.args[0]
    assert len(report.recordings_deleted) == 6  # every call is older than 0 days
    policy = load_policy(store)
    assert (policy.recording_days, policy.transcripts, policy.transcript_days) == (
        0,
        TranscriptRetention.REDACT,
        400,
    )
    assert "Deleted 6 recording files" in panel.message.text()

    w.detail.show_call("call-ja-1")
    asked: list[str] = []

    def cancel(question: str) -> bool:  # the user reads the question and presses Cancel
        asked.append(question)
        return False

    panel._confirm = cancel
    assert not panel.erase_button.isEnabled()  # nothing chosen: nothing to erase
    panel.customer_query.setText("cust-tanaka")  # an internal id finds nobody: names and numbers do
    assert panel.find_customers() == [] and "No customer" in panel.message.text()
    panel.customer_query.setText("田中")
    found = panel.find_customers()
    assert [c.id for c in found] == ["cust-tanaka"] and panel.erase_button.isEnabled()
    assert "田中花子" in panel.matches.item(0).text() and "2 calls" in panel.matches.item(0).text()
    phone = found[0].phones[0]
    panel.customer_query.setText(phone)  # by phone number, as the requester gives it
    assert [c.id for c in panel.find_customers()] == ["cust-tanaka"]
    assert not panel.erase() and "Nothing was erased" in panel.message.text()
    assert "田中花子" in asked[0] and "2 calls" in asked[0] and phone in asked[0]
    assert store.get_customer("cust-tanaka") is not None
    with qtbot.waitSignal(panel.archive_written, timeout=30000):
        assert panel.export_archive(tmp_path / "t.zip")  # on the store's thread, like the erasure
    assert (tmp_path / "t.zip").exists() and "Wrote" in panel.message.text()
    panel._confirm = lambda question: True
    with qtbot.waitSignal(panel.customer_erased, timeout=30000):
        assert panel.erase()
        assert not panel.erase_button.isEnabled()  # working: nothing else starts meanwhile
    erased = panel.last_erasure
    assert erased is not None and erased.call_ids == ("call-ja-1", "call-ja-2") and erased.wal_cleared
    assert "Erased from this PC: 田中花子, 2 calls" in panel.message.text()
    assert store.get_customer("cust-tanaka") is None
    assert w.detail.call is None  # the open call of that customer is gone from the screen
    assert w.history.call_ids() == ["call-en-1"]
    panel.customer_query.setText("田中")
    assert panel.find_customers() == [] and not panel.erase()
    assert "choose the customer" in panel.message.text()


def test_a_failed_export_or_erasure_says_what_failed_and_loses_nothing(
    window: tuple[ReviewWindow, FakeSoundDevice], store: Store, tmp_path: Path, qtbot: Any
) -> None:
    import sqlite3

    w, _ = window
    panel = w.privacy
    panel._confirm = lambda question: True
    panel.customer_query.setText("田中")
    assert [c.id for c in panel.find_customers()] == ["cust-tanaka"]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert panel.export_archive(blocker / "t.zip")  # the chosen folder cannot hold the archive
    qtbot.waitUntil(lambda: not panel.busy, timeout=30000)
    assert "Could not export" in panel.message.text() and str(blocker) in panel.message.text()
    assert panel.erase_button.isEnabled() and panel.archive_button.isEnabled()

    # Another program holds the database's write lock for longer than the store waits for it.
    other = sqlite3.connect(str(store.path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert panel.erase()
        assert (
            panel.busy and not panel.erase_button.isEnabled() and "Erasing 田中花子" in panel.message.text()
        )
        qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert panel.message.text().startswith("Could not erase: ") and "locked" in panel.message.text()
    assert panel.last_erasure is None and panel.erase_button.isEnabled()
    assert store.get_customer("cust-tanaka") is not None  # nothing was lost: the erasure can be done again
    assert store.call_count_for("cust-tanaka") == 2
    with qtbot.waitSignal(panel.customer_erased, timeout=30000):
        assert panel.erase()
    assert store.get_customer("cust-tanaka") is None


def test_retention_schedule_runs_in_a_worker(store: Store, qtbot: Any) -> None:
    from assist.retention import RetentionPolicy, RetentionReport, save_policy
    from desktop.review.retention_schedule import RetentionSchedule

    ensure_app()
    save_policy(store, RetentionPolicy(recording_days=0))
    schedule = RetentionSchedule(paths.store_path())
    with qtbot.waitSignal(schedule.finished, timeout=10000) as blocker:
        schedule.start()
    schedule.stop()
    report = blocker.args[0]
    assert isinstance(report, RetentionReport) and len(report.recordings_deleted) == 6
    assert not (paths.recordings_dir() / "call-ja-1").exists()


def test_the_review_window_writes_on_the_stores_thread_not_the_ui_thread(store: Store, qtbot: Any) -> None:
    ensure_app()
    own = StoreWorker(store, "test-review-store")
    written_on: list[int] = []

    def run_on_store(work: Callable[[Store], Any]) -> Future[Any]:
        def spied(s: Store) -> Any:
            written_on.append(threading.get_ident())
            return work(s)

        return own(spied)

    detail = CallDetail(store, run_on_store=run_on_store)
    qtbot.addWidget(detail)
    try:
        detail.show_call("call-en-1")
        detail.summary.setPlainText("Refund issued.")
        with qtbot.waitSignal(detail.call_saved, timeout=5000):
            detail.save_wrap_up()
        saved = store.get_call("call-en-1")
        assert saved is not None and saved.summary == "Refund issued."
        assert written_on and threading.get_ident() not in written_on
    finally:
        own.shutdown()
