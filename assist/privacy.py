"""Erasing one customer on request (personal-information / right-to-erasure requests).

Why this is more than ``DELETE FROM customers``: what we hold about a person is spread over their profile,
phone index, notes, follow-ups, calls, transcript lines, whispers, cues, suggestion feedback, review
bookmarks and comments, five full-text indexes and the call recordings on disk. And SQLite keeps deleted bytes
around: in free pages, in the write-ahead log, and in FTS5 index segments until they are merged. So the
erasure runs in one transaction with ``secure_delete`` on (freed pages are zeroed), then merges the FTS
indexes it touched (``optimize``, which rewrites them without the deleted entries) and truncates the WAL,
and finally removes the recording folders. ``tests/review/test_privacy.py`` checks the raw database bytes.

The team server keeps its own copy of shared data, and the sync client files their queued frames: the layers
above (sync, wired by the ``agent-assist`` command) register a :data:`TeamEraser` here, which
``review delete-customer`` runs after the local erasure and whose lines say what was erased where and what is
pending (sync/team_erasure.py).
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assist.dynamics import DYNAMICS_TABLES, ensure_dynamics_schema
from assist.exports import call_recording_dir, customer_call_ids
from assist.migrations import table_exists
from assist.review_schema import REVIEW_TABLES, ensure_review_schema
from assist.store import Store

# (customer_id, call_ids, server URL or "", token or "") -> (lines to show, whether something is still
# pending)
TeamEraser = Callable[[str, tuple[str, ...], str, str], tuple[list[str], bool]]
_TEAM_ERASERS: list[TeamEraser] = []


def register_team_eraser(eraser: TeamEraser) -> None:
    if eraser not in _TEAM_ERASERS:
        _TEAM_ERASERS.append(eraser)


def team_erasers() -> tuple[TeamEraser, ...]:
    return tuple(_TEAM_ERASERS)


class ErasureError(Exception):
    """The customer could not be erased (unknown id, or files could not be removed)."""


@dataclass(frozen=True, slots=True)
class ErasureReport:
    customer_id: str
    call_ids: tuple[str, ...]
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    files_removed: tuple[Path, ...] = ()
    files_failed: tuple[str, ...] = ()  # "path: reason" for recordings that could not be removed
    wal_cleared: bool = True

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


_FTS_BY_TABLE = {
    "customers": "customers_fts",
    "notes": "notes_fts",
    "calls": "calls_fts",
    "segments": "segments_fts",
}


def _delete_with_index(
    conn: sqlite3.Connection, table: str, where: str, params: tuple[object, ...], rows: dict[str, int]
) -> None:
    fts = _FTS_BY_TABLE.get(table)
    if fts:
        # One rowid at a time: FTS5 looks up "rowid = ?" directly but scans its whole index for "rowid IN
        # (...)".
        rowids = [r[0] for r in conn.execute(f"SELECT rowid FROM {table} WHERE {where}", params)]
        for rowid in rowids:
            rows[fts] = (
                rows.get(fts, 0) + conn.execute(f"DELETE FROM {fts} WHERE rowid = ?", (rowid,)).rowcount
            )
    cur = conn.execute(f"DELETE FROM {table} WHERE {where}", params)
    rows[table] = rows.get(table, 0) + cur.rowcount


def _checkpoint(conn: sqlite3.Connection, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy or busy[0] == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)  # another connection's read transaction: nothing to wait on but time


def _delete_examples_from(conn: sqlite3.Connection, call_ids: Sequence[str], rows: dict[str, int]) -> None:
    """ "Helped" examples are the customer's own lines (assist.semantic): they go with the calls they came
    from (linked by call since the store's migration 3), and so does any other example repeating one of her
    lines word for word (an older one the migration could not link, or the same line marked in another
    call)."""
    if not call_ids or not table_exists(conn, "knowledge_examples"):
        return
    marks = ",".join("?" * len(call_ids))
    removed = conn.execute(
        f"DELETE FROM knowledge_examples WHERE call_id IN ({marks})", tuple(call_ids)
    ).rowcount
    said = {
        " ".join(str(text).split())
        for (text,) in conn.execute(f"SELECT text FROM segments WHERE call_id IN ({marks})", tuple(call_ids))
    }
    for text in said:
        removed += conn.execute("DELETE FROM knowledge_examples WHERE text = ?", (text,)).rowcount
    rows["knowledge_examples"] = removed


def erase_customer(
    store: Store,
    customer_id: str,
    recordings_root: Path | None = None,
    merge_indexes: bool = True,
    wait_seconds: float = 5.0,
) -> ErasureReport:
    """Delete everything about ``customer_id``: rows, index entries and recordings. Raises ErasureError for an
    unknown customer (nothing is touched then)."""
    conn = store.conn
    known = conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is not None
    call_ids = customer_call_ids(store, customer_id)
    if not known and not call_ids:
        raise ErasureError(f"no customer with id {customer_id!r} in the store")
    ensure_review_schema(store)
    ensure_dynamics_schema(store)
    rows: dict[str, int] = {}
    conn.execute("PRAGMA secure_delete = ON")
    try:
        with store.transaction(durable=True):
            _delete_examples_from(conn, call_ids, rows)
            for call_id in call_ids:
                one = (call_id,)
                _delete_with_index(conn, "segments", "call_id = ?", one, rows)
                for table in (
                    "whispers",
                    "suggestion_feedback",
                    "call_cues",
                    *REVIEW_TABLES,
                    *DYNAMICS_TABLES,
                ):
                    cur = conn.execute(f"DELETE FROM {table} WHERE call_id = ?", one)
                    rows[table] = rows.get(table, 0) + cur.rowcount
                cur = conn.execute("DELETE FROM follow_ups WHERE call_id = ?", one)
                rows["follow_ups"] = rows.get("follow_ups", 0) + cur.rowcount
                _delete_with_index(conn, "calls", "id = ?", one, rows)
            cur = conn.execute("DELETE FROM follow_ups WHERE customer_id = ?", (customer_id,))
            rows["follow_ups"] = rows.get("follow_ups", 0) + cur.rowcount
            _delete_with_index(conn, "notes", "customer_id = ?", (customer_id,), rows)
            cur = conn.execute("DELETE FROM customer_phones WHERE customer_id = ?", (customer_id,))
            rows["customer_phones"] = cur.rowcount
            _delete_with_index(conn, "customers", "id = ?", (customer_id,), rows)
            if merge_indexes:
                for table, fts in _FTS_BY_TABLE.items():
                    if rows.get(table):
                        # Rewrites the index without the deleted entries (they linger in old segments
                        # otherwise).
                        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
    finally:
        conn.execute("PRAGMA secure_delete = OFF")
    # Until the WAL is copied into the main file and truncated, the main file still holds the erased text (and
    # the WAL its old pages). Another program reading the database (the app, a second review window) blocks
    # that while it holds a snapshot: wait a little for it, then say so (wal_cleared False): the caller must
    # not call the customer erased. SQLite finishes the checkpoint when the last connection closes.
    wal_cleared = _checkpoint(conn, wait_seconds)
    removed: list[Path] = []
    failed: list[str] = []
    for call_id in call_ids:
        folder = call_recording_dir(call_id, recordings_root)
        if not folder.exists():
            continue
        files = [p for p in folder.rglob("*") if p.is_file()]
        try:
            shutil.rmtree(folder)
            removed.extend(files)
        except OSError as exc:
            failed.append(f"{folder}: {exc.strerror or exc}")
    return ErasureReport(
        customer_id,
        tuple(call_ids),
        {k: v for k, v in rows.items() if v},
        tuple(removed),
        tuple(failed),
        wal_cleared,
    )
