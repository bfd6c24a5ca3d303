"""In the agent's app, the Privacy view of History & review erases a customer on the desk worker, the local
store's one writer, while the window stays usable: she is gone from the real SQLite file (its write-ahead log
cleared although the review window has its own connection open) and from the recordings folder."""

from __future__ import annotations

import threading
import wave
from pathlib import Path
from typing import Any

import pytest

from assist.domain import CallRecord, Customer, Segment
from assist.exports import call_recording_dir
from assist.privacy import ErasureReport
from assist.store import Store
from desktop.agent.agent_app import AgentApp
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from desktop.review import privacy_view
from desktop.review.window import ReviewWindow
from tests.listeners import QuietListener

NAME = "Harriet Quill"


def _wav(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x01\x00" * 1600)


@pytest.fixture
def erase_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread every erasure ran on (the real erasure, only watched)."""
    threads: list[int] = []
    real_erase = privacy_view.erase_customer

    def watched(store: Store, *args: Any, **kwargs: Any) -> ErasureReport:
        threads.append(threading.get_ident())
        return real_erase(store, *args, **kwargs)

    monkeypatch.setattr(privacy_view, "erase_customer", watched)
    return threads


def test_the_privacy_view_erases_a_customer_on_the_desk_worker(
    tmp_path: Path, qtbot: Any, erase_threads: list[int]
) -> None:
    store_file, recordings = tmp_path / "store.sqlite3", tmp_path / "recordings"
    with Store.open(store_file) as store:
        store.upsert_customer(Customer(id="cust-quill", name=NAME, phones=("+44 20 7946 0958",)))
        store.upsert_call(
            CallRecord("call-q", "cust-quill", agent="suzuki", started_at="2026-11-30T10:00:00+00:00")
        )
        store.add_segments([Segment("call-q", "s00", "customer", 0.0, 2.0, "my name is Harriet Quill", 0.9)])
    for channel in ("agent", "customer"):
        _wav(call_recording_dir("call-q", recordings) / f"{channel}.wav")
    # A model path that does not exist: the background preload fails at once instead of loading Whisper.
    desk = CallDesk(
        QuietListener(),
        DeskConfig(language="en", model=str(tmp_path / "no-model")),
        store_file=store_file,
        recordings=recordings,
        sync_state_file=tmp_path / "sync.sqlite3",
    )
    agent = AgentApp(ensure_app(), prefs=Preferences(ui_language="en", softphone_port=0), desk=desk)
    qtbot.addWidget(agent.window)
    try:
        agent.show()
        review = agent.side.open_review()
        assert isinstance(review, ReviewWindow)
        panel = review.privacy
        panel._confirm = lambda question: True
        panel.customer_query.setText("Quill")
        assert [c.id for c in panel.find_customers()] == ["cust-quill"]
        with qtbot.waitSignal(panel.customer_erased, timeout=30000):
            assert panel.erase()
            assert "Erasing Harriet Quill" in panel.message.text()
        desk_thread = desk.run_on_worker(lambda store: threading.get_ident()).result(timeout=30)
        assert erase_threads == [desk_thread] and desk_thread != threading.get_ident()
        report = panel.last_erasure
        assert report is not None and report.call_ids == ("call-q",) and report.wal_cleared
        assert panel.message.text().startswith("Erased from this PC: Harriet Quill, 1 calls")
        assert not call_recording_dir("call-q", recordings).exists()
        assert review.history.call_ids() == []
    finally:
        agent.shutdown()
    held = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert NAME.encode() not in held and b"Quill" not in held
