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
process in between (killed, power lost), :func:`finish_erasures` at the next opening erases what the marked
calls left (lines written since, cues, the recording) before the store is read.

The erased customers and calls are also kept in ``erased_ids``, as digests of their ids (never the ids),
with when. The agent's app looks there
before it writes about its call in progress (:func:`was_erased`), so an erasure made by another program
(``review delete-customer``) or by its own Privacy view takes the live call the same way as the team's: the
call goes on, nothing more is kept or sent, and it is erased whole once it ends. The app holds a lock beside
the store while it runs (:func:`app_lock`); a call it marked live is its own, and another program that opens
the store (:func:`finish_left_erasures`) finishes it only once no app holds the lock.

The team server keeps its own copy of shared data, and the sync client files their queued frames: the layers
above (sync, wired by the ``agent-assist`` command) register a :data:`TeamEraser` here, which
``review delete-customer`` runs after the local erasure and whose lines say what was erased where and what is
pending (sync/team_erasure.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from filelock import FileLock, Timeout

from assist.domain import system_clock, utc_iso
from assist.dynamics import DYNAMICS_TABLES, ensure_dynamics_schema
from assist.exports import call_recording_dir, customer_call_ids
from assist.migrations import table_exists
from assist.paths import recordings_dir
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
# meta key: of those, the calls still running in the agent's app when they were erased (JSON list). They are
# the app's: another program finishes them only once no app holds the store (app_running).
_LIVE_MARKS = "calls_being_erased_live"


def calls_being_erased(store: Store) -> list[str]:
    """The calls whose erasure is not finished here: still running, or cut off before their files went."""
    return _read_marks(store, _MARKS)


def _read_marks(store: Store, key: str) -> list[str]:
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return [str(call_id) for call_id in json.loads(row[0])] if row else []


def _mark(store: Store, call_ids: Sequence[str], live: Sequence[str]) -> None:
    with store.transaction(durable=True):
        for key, ids in ((_MARKS, call_ids), (_LIVE_MARKS, [c for c in live if c in call_ids])):
            if ids:
                store.conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(list(ids)))
                )
            else:
                store.conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def _digest(kind: str, id_: str) -> str:
    """What ``erased_ids`` keeps of an id: a digest, so the erased ids themselves are not left readable."""
    return hashlib.sha256(f"{kind}\0{id_}".encode()).hexdigest()


def _remember(store: Store, customer_id: str | None, call_ids: Sequence[str]) -> None:
    """Kept with the erasure: a program writing about her afterwards finds it (was_erased)."""
    at = utc_iso(system_clock())
    kept = [("call", c) for c in call_ids] + ([("customer", customer_id)] if customer_id else [])
    store.conn.executemany(
        "INSERT OR IGNORE INTO erased_ids(kind, digest, erased_at) VALUES (?, ?, ?)",
        [(kind, _digest(kind, id_), at) for kind, id_ in kept],
    )


def was_erased(store: Store, call_id: str, customer_id: str | None = None, since: str = "") -> bool:
    """Whether this call was erased here, or its customer at ``since`` (an ISO time, the call's start) or
    later: another program (``review delete-customer``, the Privacy view) may erase her while the app's call
    with her runs, and the app looks before it writes."""
    row = store.conn.execute(
        "SELECT 1 FROM erased_ids WHERE (kind = 'call' AND digest = ?)"
        " OR (kind = 'customer' AND digest = ? AND erased_at >= ?) LIMIT 1",
        (_digest("call", call_id), _digest("customer", customer_id or ""), since),
    ).fetchone()
    return row is not None


# How long what an erasure keeps of the ids (their digests) stays: long enough for a call that was running
# when she was erased to have ended and its app to have opened the store again (or to have been started
# again after a kill), so that neither writes her back; not longer, as nothing else needs it.
ERASED_IDS_KEPT = timedelta(days=30)


def prune_erased_ids(store: Store, now: datetime | None = None) -> int:
    """Forget the digests of erasures older than :data:`ERASED_IDS_KEPT` (run at every opening, with
    :func:`finish_erasures`); returns how many went."""
    cutoff = utc_iso((now or system_clock()) - ERASED_IDS_KEPT)
    conn = store.conn
    if conn.execute("SELECT 1 FROM erased_ids WHERE erased_at < ? LIMIT 1", (cutoff,)).fetchone() is None:
        return 0  # the usual case: no write at all
    with store.transaction():
        return conn.execute("DELETE FROM erased_ids WHERE erased_at < ?", (cutoff,)).rowcount


def _written_after_erasure(store: Store, recordings_root: Path | None) -> list[str]:
    """Erased calls something was written for afterwards (a program that wrote about her before it saw her
    erased, then stopped): lines or a recording without their call, or a call saved again. Only calls that
    could have been running when something was erased are looked at."""
    conn = store.conn
    oldest = conn.execute("SELECT MIN(erased_at) FROM erased_ids WHERE kind = 'call'").fetchone()[0]
    if oldest is None:
        return []
    candidates = [
        str(c)
        for (c,) in conn.execute(
            "SELECT DISTINCT s.call_id FROM segments s WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.id ="
            " s.call_id)"
        )
    ]
    since = utc_iso(datetime.fromisoformat(oldest) - timedelta(days=1))
    candidates += [str(c) for (c,) in conn.execute("SELECT id FROM calls WHERE started_at >= ?", (since,))]
    root = recordings_root if recordings_root is not None else recordings_dir()
    if root.is_dir():
        candidates += [
            folder.name
            for folder in root.iterdir()
            if folder.is_dir()
            and conn.execute("SELECT 1 FROM calls WHERE id = ?", (folder.name,)).fetchone() is None
        ]
    erased = {str(d) for (d,) in conn.execute("SELECT digest FROM erased_ids WHERE kind = 'call'")}
    return [c for c in dict.fromkeys(candidates) if _digest("call", c) in erased]


def app_lock(store_file: Path) -> FileLock:
    """The lock the agent's app holds on its store while it runs (a file beside it; the system lets go of it
    when the process ends, killed or not): a call marked live is the running app's to finish."""
    return FileLock(store_file.with_name(store_file.name + ".app-lock"))


def app_running(store_file: Path | None) -> bool:
    """Whether an agent's app (another process, or another desk of this one) holds the store now."""
    if store_file is None:
        return False  # an in-memory store: no app shares it
    lock = app_lock(store_file)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


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
    store: Store,
    recordings_root: Path | None = None,
    still_live: Sequence[str] = (),
    *,
    app_elsewhere: bool = False,
) -> ErasureReport | None:
    """Finish the erasures a stopped process left (run by whatever opens the store, before it reads it):
    what each marked call wrote after its erasure, and its recording, go; then the marks. While an app holds
    the store elsewhere (``app_elsewhere``), the calls it marked live are its own and stay as they are;
    otherwise any erased call something was still written for (a program that wrote about her before it saw
    her erased, then stopped) goes too; erasures older than :data:`ERASED_IDS_KEPT` are forgotten. None
    when there was nothing to finish."""
    prune_erased_ids(store)
    calls = calls_being_erased(store)
    if app_elsewhere:
        live = set(_read_marks(store, _LIVE_MARKS))
        calls = [c for c in calls if c not in live]
    else:
        calls += [c for c in _written_after_erasure(store, recordings_root) if c not in calls]
    calls = [c for c in calls if c not in still_live]
    if not calls:
        return None
    return _erase(store, None, calls, recordings_root, True, 5.0, still_live)


def finish_left_erasures(store: Store, recordings_root: Path | None = None) -> ErasureReport | None:
    """For a program that opens the store beside the agent's app (the History & review window's own thread,
    the ``review`` commands): :func:`finish_erasures`, leaving a running app's live calls to it."""
    return finish_erasures(store, recordings_root, app_elsewhere=app_running(store.path))


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
    live_before = _read_marks(store, _LIVE_MARKS)
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
            _remember(store, customer_id, call_ids)
            _mark(
                store,
                list(dict.fromkeys([*before, *call_ids])),
                # a live call erased again (it has ended) is no longer live
                [*(c for c in live_before if c not in call_ids), *live_calls],
            )
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
        _mark(
            store,
            [c for c in calls_being_erased(store) if c not in finished],
            [c for c in _read_marks(store, _LIVE_MARKS) if c not in finished],
        )
    return ErasureReport(
        customer_id or "",
        tuple(call_ids),
        {k: v for k, v in rows.items() if v},
        tuple(removed),
        tuple(failed),
        wal_cleared,
    )
