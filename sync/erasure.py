"""Erasing one customer from the team server, and the server's retention of live transcripts and whispers.

What the server holds about a customer: the shared records and every version of them in the change feed
(the customer, their notes and follow-ups, the summaries of their calls), the live calls (the customer object,
the call's ``info`` with the context the agent saw) with the transcript so far, the whispers about those
calls, and the audit entries that quote a whisper or a raised hand. :func:`erase_customer` deletes all of it
in one transaction per file. Deleting is not enough to make the bytes go: every server connection runs with
``secure_delete`` (freed space is overwritten), and afterwards both files are rebuilt (``VACUUM``: nothing of
older versions survives in free pages) and their write-ahead logs checkpointed and truncated, the same proof
as the app's local erasure (assist/privacy.py). Audit entries stay (who erased what, when), without the text.

Retention (:func:`apply_retention`) removes live calls and their transcripts once the call ended more than
``live_seconds`` ago (a call never ended counts as ended 12 hours after its last sign of life: its start, a
final line, its info), and whispers older than ``whisper_seconds``. A call's record and its lines go together,
the record first, as an erasure takes them. Each agent's whisper sequence keeps counting up (table
``whisper_seq``), so a client's ``whisper_after`` stays right.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sync.backends import Database, one
from sync.protocol import Change, EraseReport, RecordKind, Role
from sync.store import ERASED_KEPT_SECONDS, TeamStore, User, hold_erasure_subjects, json_field, marks

# A call whose end never reached the server (the agent's PC died) counts as ended this long after its last
# sign of life (calls.active_at: its start, a final transcript line, an info update; sync/store.py).
UNENDED_CALL_SECONDS = 12 * 3600


@dataclass(frozen=True, slots=True)
class ServerErasure:
    customer_id: str
    team: str
    call_ids: tuple[str, ...]
    rows: dict[str, int] = field(default_factory=dict)
    # Whether both files and their WAL hold nothing of it any more (False: another process held a database
    # open; the server tries again at its next retention round).
    files_cleared: bool = True
    # The change-feed entry that tells every client of the team to drop its copy (kind "erasure").
    change: Change | None = None
    database: str = "sqlite"  # the store's dialect: on "postgresql" the files are never proven clear

    def reply(self) -> EraseReport:
        """What the server answers ``erase_customer`` with."""
        return EraseReport(
            customer_id=self.customer_id,
            calls=self.call_ids,
            rows=self.rows,
            files_cleared=self.files_cleared,
            database=self.database,
        )


def erase_customer(
    store: TeamStore, team: str, customer_id: str, call_ids: Iterable[str] = (), actor: str = "-"
) -> ServerErasure:
    """Delete everything the server holds about ``customer_id`` of ``team`` (and the calls ``call_ids`` the
    asking client knows of), audit it, and scrub both files. Erasing twice is harmless: nothing of her is left
    but the ids in the first erasure's feed entry, which stays."""
    known = sorted(set(call_ids))
    team_db, live = store.team_db, store.live_db
    # PostgreSQL holds both sets of tables in one database: the whole erasure is one transaction there, and
    # its feed entry names every call it deletes and tombstones, those started on another instance meanwhile
    # included. SQLite (two files, one instance): the live file's deletes follow, on the same thread that
    # starts calls, so no call of hers starts in between.
    one_database = team_db.dialect == "postgresql"
    rows: dict[str, int] = {}
    with TeamStore._tx(team_db) as db:
        # First, so a change about her pushed on another instance meanwhile waits and then sees the tombstone.
        store.lock_feed(db, team)
        summaries = {
            str(r["record_id"])
            for r in db.execute(
                "SELECT record_id FROM changes WHERE team = ? AND kind = 'call_summary'"
                f" AND {json_field(db, 'record', 'customer_id')} = ?",
                (team, customer_id),
            )
        }
        named = sorted(set(known) | summaries)
        # PostgreSQL: a call start about her or one of these calls on another instance holds a shared lock on
        # their ids while it checks the tombstones and writes (sync/store.py start_call_unless_erased). One
        # that got there first is committed before the delete below reads her calls, and is named; one that
        # comes later waits for this commit and is refused. (The feed lock keeps the summaries read above.)
        hold_erasure_subjects(db, team, [customer_id], named, exclusive=True)
        if one_database:
            # Her calls' rows go before her whispers and audit text: a whisper, line or raised hand about one
            # of them, on any instance, holds its row until it commits (sync/store.py hold_call). One that got
            # there first is committed before the deletes read the tables; one that comes later finds no call
            # or the tombstones.
            gone, live_rows = _delete_live_calls(db, team, customer_id, named)
            calls = sorted(set(named) | set(gone))
        else:
            her_calls = {
                str(r["call_id"])
                for r in live.execute(
                    f"SELECT call_id FROM calls WHERE team = ? AND ({json_field(live, 'customer', 'id')} = ?"
                    f" OR call_id IN ({marks(named)}))",
                    (team, customer_id, *named),
                )
            }
            calls = sorted(set(named) | her_calls)
        in_calls = f"IN ({marks(calls)})"
        # Not an earlier erasure of her: its entry carries her id too, but only ids, and it is how a client
        # offline across both erasures learns of the calls only that one named, and how the server still
        # refuses an old write about them once their tombstones are pruned (sync/store.py check_not_erased).
        about = (
            "team = ? AND kind <> 'erasure' AND ((kind = 'customer' AND record_id = ?)"
            f" OR {json_field(db, 'record', 'customer_id')} = ?"
            f" OR (kind = 'call_summary' AND record_id {in_calls})"
            f" OR {json_field(db, 'record', 'call_id')} {in_calls})"
        )
        params = (team, customer_id, customer_id, *calls, *calls)
        for table in ("changes", "records"):
            rows[table] = db.execute(f"DELETE FROM {table} WHERE {about}", params).rowcount
        rows.update(TeamStore.drop_call_words(db, team, calls))
        # Every agent's and supervisor's PC may hold her (outboxes, received whispers, its own store): the
        # feed tells each, also those offline now (they read it when they resume). Ids only, nothing personal.
        change, _ = store.add_change(
            author=User(actor, Role.ADMIN, team),
            change_id=f"erasure-{uuid.uuid4().hex}",
            kind=RecordKind.ERASURE,
            record_id=customer_id,
            record={"customer_id": customer_id, "call_ids": calls},
        )
        # In the same transaction as the deletes: a write about her or her calls that was made before its
        # client read this entry is refused from now on (docs/protocol.md), one made after is accepted.
        store.mark_erased(db, team, customer_id, calls, change.seq, store.clock())
    if not one_database:
        # After the tombstones: the calls' rows go before their lines (as on PostgreSQL above).
        with TeamStore._tx(live) as db:
            _, live_rows = _delete_live_calls(db, team, customer_id, calls)
    rows = {k: v for k, v in (rows | live_rows).items() if v}
    with TeamStore._tx(team_db):
        store.audit(actor, team, "customer_erased", customer_id, {"calls": len(calls), "rows": rows})
    cleared = scrub(team_db, tables=("changes", "records", "whispers", "audit")) & scrub(
        live, tables=("segments", "calls")
    )
    return ServerErasure(customer_id, team, tuple(calls), rows, cleared, change, team_db.dialect)


def _delete_live_calls(
    db: Database, team: str, customer_id: str, calls: list[str]
) -> tuple[list[str], dict[str, int]]:
    """Delete the live calls of ``customer_id`` and ``calls`` with their transcripts, the rows first: a line
    being written holds its call's row (sync/store.py hold_call), so the delete waits for it and the lines'
    delete then sees it; a line that comes later finds no call. Returns the calls deleted and the counts."""
    gone = [
        str(r["call_id"])
        for r in db.execute(
            f"DELETE FROM calls WHERE team = ? AND ({json_field(db, 'customer', 'id')} = ?"
            f" OR call_id IN ({marks(calls)})) RETURNING call_id",
            (team, customer_id, *calls),
        ).fetchall()
    ]
    lines = sorted(set(calls) | set(gone))
    segments = db.execute(f"DELETE FROM segments WHERE call_id IN ({marks(lines)})", tuple(lines)).rowcount
    return gone, {"segments": segments, "calls": len(gone)}


def scrub(
    db: Database,
    *,
    vacuum: bool = True,
    attempts: int = 20,
    pause: float = 0.25,
    tables: tuple[str, ...] = (),
) -> bool:
    """Rebuild the file (no old page survives) and empty its write-ahead log. Returns False when another
    connection kept the log busy through every attempt (the caller says the erasure is pending).

    On PostgreSQL the deleted rows are gone from every query at once; ``VACUUM`` of ``tables`` then reclaims
    their dead versions now rather than at autovacuum's next visit. The bytes can still sit in reused pages
    and in PostgreSQL's WAL and backups until they are overwritten or recycled, which the database's operator
    controls (docs/scaling.md): False, so the requester is told the files are not proven clear."""
    if db.dialect != "sqlite":
        if vacuum and tables:
            db.execute(f"VACUUM {', '.join(tables)}")
        return False
    if vacuum:
        db.execute("VACUUM")
    for attempt in range(attempts):
        busy = one(db.execute("PRAGMA wal_checkpoint(TRUNCATE)"))[0]
        if busy == 0:
            return True
        if attempt + 1 < attempts:
            time.sleep(pause)  # a reader finishing its query; nothing to wait on but time
    return False


def apply_retention(
    store: TeamStore,
    *,
    live_seconds: float,
    whisper_seconds: float,
    erased_seconds: float = ERASED_KEPT_SECONDS,
    clock: Callable[[], float] = time.time,
) -> dict[str, int]:
    """Remove live calls (with their transcripts) ended more than ``live_seconds`` ago, whispers older than
    ``whisper_seconds`` and erasure tombstones older than ``erased_seconds`` (sync/store.py
    ERASED_KEPT_SECONDS); returns how many rows went."""
    now = clock()
    removed: dict[str, int] = {}
    cutoff = now - live_seconds
    with TeamStore._tx(store.live_db) as db:
        # The calls' rows first, then their lines (as an erasure does): a line being written holds its call's
        # row (sync/store.py hold_call), so the delete waits for it and then reads the row again (a final
        # moved its active_at: the call stays, lines and all; else both go, that line too), and a line that
        # comes after finds no call. The old order (lines, then calls) let such a line outlive its call on
        # PostgreSQL, for ever.
        gone = [
            str(r["call_id"])
            for r in db.execute(
                "DELETE FROM calls WHERE COALESCE(ended_at, COALESCE(active_at, started_at) + ?) < ?"
                " RETURNING call_id",
                (UNENDED_CALL_SECONDS, cutoff),
            ).fetchall()
        ]
        removed["calls"] = len(gone)
        removed["segments"] = 0
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            removed["segments"] += db.execute(
                f"DELETE FROM segments WHERE call_id IN ({marks(chunk)})", tuple(chunk)
            ).rowcount
    with TeamStore._tx(store.team_db) as db:
        TeamStore.keep_whisper_seq(db, "created_at < ?", (now - whisper_seconds,))
        removed["whispers"] = db.execute(
            "DELETE FROM whispers WHERE created_at < ?", (now - whisper_seconds,)
        ).rowcount
        # Only a tombstone whose erasure entry is in the feed, which answers for it once it is gone. A server
        # before the fix of erase_customer deleted a customer's earlier erasure entry when she was erased
        # again; the tombstones of calls only that entry named are then the only record of them, and stay.
        tombstones = db.execute(
            "DELETE FROM erased WHERE erased_at < ? AND EXISTS (SELECT 1 FROM changes c"
            " WHERE c.seq = erased.seq AND c.kind = 'erasure') RETURNING team, seq",
            (now - erased_seconds,),
        ).fetchall()
        removed["erased"] = len(tombstones)
        pruned: dict[str, int] = {}
        for row in tombstones:
            pruned[row["team"]] = max(pruned.get(row["team"], -1), int(row["seq"]))
        for team, seq in sorted(pruned.items()):
            # In the same transaction as the delete: a write checked after it sees the watermark and asks the
            # feed (sync/store.py check_not_erased).
            db.execute(
                "INSERT INTO erased_pruned (team, seq) VALUES (?, ?) ON CONFLICT (team) DO UPDATE SET seq ="
                " CASE WHEN excluded.seq > erased_pruned.seq THEN excluded.seq ELSE erased_pruned.seq END",
                (team, seq),
            )
    removed = {k: v for k, v in removed.items() if v}
    if removed:
        # secure_delete zeroed the rows in the files; the log's older copies of those pages go too.
        scrub(store.live_db, vacuum=False, attempts=1)
        scrub(store.team_db, vacuum=False, attempts=1)
    return removed
