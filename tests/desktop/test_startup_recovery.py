"""What a previous session left behind is put right when the app starts: a recording of a call that was killed
opens again, and the review tables exist before the agent first opens History."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np

from assist.semantic import KnowledgeVectors
from assist.store import Store
from desktop.agent.desk import CallDesk, DeskConfig
from tests.assist.conftest import eval_kb
from tests.listeners import QuietListener
from tests.waiting import wait_until


def _killed_mid_call(path: Path, seconds: float = 2.0) -> None:
    """A WAV whose header still says 0 bytes of audio while the data is there: what a hard kill leaves."""
    pcm = (np.sin(np.arange(int(16000 * seconds)) / 8.0) * 8000).astype("<i2").tobytes()
    header = b"RIFF" + struct.pack("<I", 36) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    header += b"data" + struct.pack("<I", 0)
    path.write_bytes(header + pcm)


def test_desk_start_repairs_recordings_and_prepares_review(tmp_path: Path) -> None:
    recordings = tmp_path / "recordings" / "call-1"
    recordings.mkdir(parents=True)
    broken = recordings / "customer.wav"
    _killed_mid_call(broken)
    with wave.open(str(broken), "rb") as before:
        assert before.getnframes() == 0  # as found: the audio is invisible to any player

    store_file = tmp_path / "store.sqlite3"
    desk = CallDesk(QuietListener(), DeskConfig(), store_file=store_file, recordings=tmp_path / "recordings")
    desk.start(preload_model=False)
    desk.run_on_worker(lambda store: None).result(timeout=60)  # the worker runs start-up work in order
    desk.shutdown()

    with wave.open(str(broken), "rb") as after:
        assert after.getnframes() >= 16000 * 1.9
    store = Store.open(store_file)
    try:
        tables = set(store.db.table_names())
    finally:
        store.close()
    assert {"review_bookmarks", "review_comments"} <= tables


def test_knowledge_stored_without_import_is_embedded_after_start_not_at_the_first_call(
    tmp_path: Path,
) -> None:
    # Entries written straight into the store (as the demo or a team sync does), never embedded.
    store_file = tmp_path / "store.sqlite3"
    with Store.open(store_file) as store:
        store.upsert_knowledge(eval_kb())
    desk = CallDesk(QuietListener(), DeskConfig(), store_file=store_file, recordings=tmp_path / "recordings")
    desk.start(preload_model=False)
    try:

        def left_to_embed() -> int:
            with Store.open(store_file) as store:
                vectors = KnowledgeVectors.for_store(store)
                assert vectors is not None
                return len(vectors.stale()[0])

        wait_until(lambda: left_to_embed() == 0, 60, "the knowledge embedded in the background")
    finally:
        desk.shutdown()
    with Store.open(store_file) as store:
        vectors = KnowledgeVectors.for_store(store)
        assert vectors is not None
        assert vectors.refresh() == 0  # what the first call's warm-up would have had to embed
