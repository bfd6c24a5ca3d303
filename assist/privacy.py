"""Erasing one customer on request (personal-information / right-to-erasure requests).

Why this is more than ``DELETE FROM customers``: what we hold about a person is spread over their profile,
phone index, notes, follow-ups, calls, transcript lines, whispers, cues, suggestion feedback, review
bookmarks and comments, five full-text indexes and the call recordings on disk. And SQLite keeps deleted bytes
around: in free pages, in the write-ahead log, and in FTS5 index segments until they are merged. So the
erasure runs in one transaction with ``secure_delete`` on (freed pages are zeroed), then merges the FTS
indexes it touched (``optimize``, which rewrites them without the deleted entries) and truncates the WAL,
and finally removes the recording folders. ``tests/review/test_privacy.py`` checks the raw database bytes.

An erasure may also name calls (the team's erasure names the calls it erased): they go whoever their caller
was here, an unknown number's call too. Every erased call stays marked in the store (``meta``, ids only),
written in the erasure's own transaction, until its recording folder is gone; a call still running here (the
agent is on the phone with her) stays marked until it has ended and is erased again. Whatever stops the
process in between (killed, power lost), :func:`finish_erasures` at the next start erases what the marked
calls left (lines written since, cues, the recording) before the store is read.

The team server keeps its own copy of shared data, and the sync client files their queued frames: the layers
above (sync, wired by the ``agent-assist`` command) register a :data:`TeamEraser` here, which
``review delete-customer`` runs after the local erasure and whose lines say what was erased where and what is
pending (sync/team_erasure.py).
"""

from __future__ import annotations

import json
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
from assist.semantic import forget_examples
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


_MARKS = "calls_being_erased"  # meta key: the ids of calls whose erasure is not finished (JSON list)


def calls_being_erased(store: Store) -> list[str]:
    """The calls whose erasure is not finished here: still running, or cut off before their files went."""
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (_MARKS,)).fetchone()
    return [str(call_id) for call_id in json.loads(row[0])] if row else []


def _mark(store: Store, call_ids: Sequence[str]) -> None:
    with store.transaction(durable=True):
        if call_ids:
            store.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (_MARKS, json.dumps(list(call_ids)))
            )
        else:
            store.conn.execute("DELETE FROM meta WHERE key = ?", (_MARKS,))


def _leaves_a_trace(store: Store, call_id: str, recordings_root: Path | None) -> bool:
    conn = store.conn
    return (
        conn.execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone() is not None
        or conn.execute("SELECT 1 FROM segments WHERE call_id = ? LIMIT 1", (call_id,)).fetchone() is not None
        or call_recording_dir(call_id, recordings_root).exists()
    )


def erase_customer(
    store: Store,
    customer_id: str,
    recordings_root: Path | None = None,
    merge_indexes: bool = True,
    wait_seconds: float = 5.0,
    *,
    call_ids: Sequence[str] = (),
    live_calls: Sequence[str] = (),
) -> ErasureReport:
    """Delete everything about ``customer_id``: rows, index entries and recordings, with the calls the
    erasure names (``call_ids``, whoever their caller was here). ``live_calls`` are calls with her still
    running here: erased so far, and kept marked until a later erasure naming them (once they ended) or
    :func:`finish_erasures` takes what they wrote since. Raises ErasureError when this PC holds nothing of
    her nor of the named calls (nothing is touched then)."""
    named = [c for c in dict.fromkeys([*call_ids, *live_calls]) if c]
    marked = set(calls_being_erased(store))
    if not (
        store.conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone()
        or customer_call_ids(store, customer_id)
        or live_calls
        or any(c in marked or _leaves_a_trace(store, c, recordings_root) for c in named)
    ):
        raise ErasureError(f"no customer with id {customer_id!r} in the store")
    return _erase(store, customer_id, named, recordings_root, merge_indexes, wait_seconds, live_calls)


def finish_erasures(
    store: Store, recordings_root: Path | None = None, still_live: Sequence[str] = ()
) -> ErasureReport | None:
    """Finish the erasures a stopped process left (run when the app opens the store, before it reads it):
    what each marked call wrote after its erasure, and its recording, go; then the marks. None when there
    was nothing to finish."""
    calls = [c for c in calls_being_erased(store) if c not in still_live]
    if not calls:
        return None
    return _erase(store, None, calls, recordings_root, True, 5.0, still_live)


def _erase(
    store: Store,
    customer_id: str | None,
    named: Sequence[str],
    recordings_root: Path | None,
    merge_indexes: bool,
    wait_seconds: float,
    live_calls: Sequence[str],
) -> ErasureReport:
    conn = store.conn
    call_ids = list(dict.fromkeys([*(customer_call_ids(store, customer_id) if customer_id else ()), *named]))
    before = calls_being_erased(store)
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
            if customer_id is not None:
                cur = conn.execute("DELETE FROM follow_ups WHERE customer_id = ?", (customer_id,))
                rows["follow_ups"] = rows.get("follow_ups", 0) + cur.rowcount
                _delete_with_index(conn, "notes", "customer_id = ?", (customer_id,), rows)
                cur = conn.execute("DELETE FROM customer_phones WHERE customer_id = ?", (customer_id,))
                rows["customer_phones"] = cur.rowcount
                _delete_with_index(conn, "customers", "id = ?", (customer_id,), rows)
            # Every call erased stays marked, in this same transaction, until its recording folder is gone
            # (a live one until it ended and was erased again): a process stopped in between leaves the mark
            # for finish_erasures.
            _mark(store, list(dict.fromkeys([*before, *call_ids])))
            if merge_indexes:
                for table, fts in _FTS_BY_TABLE.items():
                    if rows.get(table):
                        # Rewrites the index without the deleted entries (they linger in old segments
                        # otherwise).
                        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
    finally:
        conn.execute("PRAGMA secure_delete = OFF")
    if rows.get("knowledge_examples"):
        forget_examples(store)  # the meaning index's copy in memory, read by every later call's matcher
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
    finished = {
        c for c in call_ids if c not in live_calls and not call_recording_dir(c, recordings_root).exists()
    }
    if finished:
        _mark(store, [c for c in calls_being_erased(store) if c not in finished])
    return ErasureReport(
        customer_id or "",
        tuple(call_ids),
        {k: v for k, v in rows.items() if v},
        tuple(removed),
        tuple(failed),
        wal_cleared,
    )
