"""Knowledge that arrives without ``kb import`` (a team sync, the demo) is embedded in the background soon
after it is written, so the next call's warm-up has nothing left to embed and its cards find it by meaning."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assist.domain import KnowledgeEntry
from assist.matching import search_knowledge
from assist.semantic import BackgroundEmbedding, KnowledgeVectors
from assist.store import Store
from tests.waiting import wait_until

from .conftest import eval_kb


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "assist.sqlite3"


@pytest.fixture
def background(path: Path) -> Iterator[BackgroundEmbedding]:
    Store.open(path).close()
    embedding = BackgroundEmbedding(path, slice_s=0.2, pause_s=0.05, poll_s=0.2)
    yield embedding
    assert embedding.stop(timeout=15.0), "the embedding thread did not stop"


def test_knowledge_written_by_another_connection_is_embedded_before_the_next_call(
    path: Path, background: BackgroundEmbedding
) -> None:
    background.start()
    with Store.open(path) as store:  # as the desk's worker applies entries that came from the team
        store.upsert_knowledge(eval_kb())
        wait_until(lambda: background.embedded == 30 and background.up_to_date.is_set(), 60, "30 entries")
        assert background.error == ""
        vectors = KnowledgeVectors.for_store(store)
        assert vectors is not None
        assert vectors.refresh() == 0  # the call's warm-up only loads what the background stored
        said = "今度、新居に移るので郵便の届く場所を直したいんです"
        assert search_knowledge(store, said, limit=1)[0].id == "ja-address-change"

        # A later edit is picked up too (here announced with notify(), as the writer can).
        store.upsert_knowledge(
            [KnowledgeEntry(id="en-new", title="Lost parcel claim", body="File a claim.", language="en")]
        )
        background.notify()
        wait_until(lambda: background.embedded == 31 and background.up_to_date.is_set(), 30, "the new entry")
        assert vectors.refresh() == 0


def test_it_works_in_slices_and_stopping_keeps_what_was_embedded_for_the_call_to_finish(path: Path) -> None:
    with Store.open(path) as store:
        store.upsert_knowledge(eval_kb())
        # One batch per slice, then a long pause (a live call has the CPU): stop() must not wait it out.
        embedding = BackgroundEmbedding(path, slice_s=0.0, pause_s=30.0, poll_s=30.0)
        embedding.start()
        try:
            wait_until(lambda: embedding.embedded > 0, 60, "a first slice")
            assert embedding.embedded == BackgroundEmbedding.SLICE_BATCH
            assert embedding.pending == 30 - BackgroundEmbedding.SLICE_BATCH
            started = time.monotonic()
        finally:
            assert embedding.stop(timeout=15.0)
        assert time.monotonic() - started < 5.0
        vectors = KnowledgeVectors.for_store(store)
        assert vectors is not None
        assert vectors.refresh() == 30 - BackgroundEmbedding.SLICE_BATCH  # only what it had not reached
