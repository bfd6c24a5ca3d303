"""Fixtures for the domain core: fresh stores (in memory and on disk) and an injectable clock."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assist.domain import KnowledgeEntry
from assist.store import Store

DATA = Path(__file__).parent / "data"
# Hypothesis would otherwise keep its example cache in ./.hypothesis inside the repository, which pytest's
# norecursedirs then refuses to skip silently.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "agent-assist-hypothesis")
)


class FakeClock:
    """A clock the test moves by hand (cooldowns, due dates)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def store() -> Iterator[Store]:
    with Store.open(":memory:") as s:
        yield s


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.sqlite3") as s:
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def eval_kb() -> list[KnowledgeEntry]:
    lines = (DATA / "eval_kb.jsonl").read_text(encoding="utf-8").splitlines()
    return [KnowledgeEntry.from_dict(json.loads(line)) for line in lines if line.strip()]


@pytest.fixture
def kb_store(store: Store) -> Store:
    store.upsert_knowledge(eval_kb())
    return store
