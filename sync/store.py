"""The team server's state: users and tokens, the whisper log, the change feed, the audit log, live calls.

Two databases behind one seam (:mod:`sync.backends`), with the same tables and the same migrations:

* by default two SQLite files in the server's data directory, both in WAL mode: ``team.sqlite3`` with
  ``synchronous=FULL`` holds what must never be lost once acknowledged (users, whispers, the change feed and
  the records it builds, the audit log); ``live.sqlite3`` with ``synchronous=NORMAL`` holds live calls, their
  transcript so far and who is connected. A power cut may lose the last moments of it, which the agents'
  clients re-publish when they reconnect.
* with ``database="postgresql://..."`` one PostgreSQL database shared by every server instance: the durable
  tables commit with ``synchronous_commit=on``, the live ones with ``off``.

Nothing the server knows lives only in memory, so a second server process on the same files or database sees
the same whispers, calls and presence. All methods are synchronous and meant to be called from one thread: the
server has one store on its durable-log thread (sync/durable.py, which commits several calls together) and one
on its live-calls thread. SQL is written once with ``?`` placeholders; where the dialects differ the statement
says so.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assist.migrations import Connection, MigrationSet, dialect_step, migrate, table_exists
from audio.events import EventKind
from sync.backends import Database, Row, one, open_database
from sync.protocol import (
    AuditEntry,
    Change,
    JsonObject,
    PresenceCall,
    RecordKind,
    Role,
    ServerCall,
    ServerPresence,
    ServerWhisper,
    TranscriptLine,
    WhisperStatus,
    from_json,
    to_json,
)

TEAM_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, team TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL, expires_at REAL, revoked_at REAL
);
CREATE TABLE IF NOT EXISTS whispers (
    whisper_id TEXT PRIMARY KEY, agent TEXT NOT NULL, seq INTEGER NOT NULL, team TEXT NOT NULL,
    sender TEXT NOT NULL, call_id TEXT, text TEXT NOT NULL, anchor_segment_id TEXT, attachment TEXT,
    created_at REAL NOT NULL, delivered_at REAL, read_at REAL, UNIQUE (agent, seq)
);
CREATE INDEX IF NOT EXISTS whispers_by_call ON whispers (call_id);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, change_id TEXT NOT NULL UNIQUE, team TEXT NOT NULL,
    kind TEXT NOT NULL, record_id TEXT NOT NULL, record TEXT NOT NULL, author TEXT NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_team ON changes (team, seq);
CREATE INDEX IF NOT EXISTS changes_by_record ON changes (team, kind, record_id, seq);
CREATE TABLE IF NOT EXISTS records (
    team TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL, seq INTEGER NOT NULL,
    record TEXT NOT NULL,
    author TEXT NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (team, kind, record_id)
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL, team TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL
);
"""

# The same tables on PostgreSQL: times as DOUBLE PRECISION (REAL is 4 bytes there), sequences as BIGSERIAL,
# and two lock rows that keep numbering ordered across instances: ``whisper_heads`` hands out each agent's
# next whisper seq (the row stays locked until the whisper commits, so seq order is commit order and a
# rolled-back whisper leaves no gap), ``change_heads`` is taken before a change gets its seq, so a team's
# changes commit in seq order and a reader never sees seq n+1 before n.
TEAM_SCHEMA_POSTGRES = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, team TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
    created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION, revoked_at DOUBLE PRECISION
);
CREATE TABLE IF NOT EXISTS whispers (
    whisper_id TEXT PRIMARY KEY, agent TEXT NOT NULL, seq BIGINT NOT NULL, team TEXT NOT NULL,
    sender TEXT NOT NULL, call_id TEXT, text TEXT NOT NULL, anchor_segment_id TEXT, attachment TEXT,
    created_at DOUBLE PRECISION NOT NULL, delivered_at DOUBLE PRECISION, read_at DOUBLE PRECISION,
    UNIQUE (agent, seq)
);
CREATE INDEX IF NOT EXISTS whispers_by_call ON whispers (call_id);
CREATE TABLE IF NOT EXISTS whisper_heads (agent TEXT PRIMARY KEY, seq BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    seq BIGSERIAL PRIMARY KEY, change_id TEXT NOT NULL UNIQUE, team TEXT NOT NULL,
    kind TEXT NOT NULL, record_id TEXT NOT NULL, record TEXT NOT NULL, author TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_team ON changes (team, seq);
CREATE INDEX IF NOT EXISTS changes_by_record ON changes (team, kind, record_id, seq);
CREATE TABLE IF NOT EXISTS change_heads (team TEXT PRIMARY KEY, changes BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    team TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL, seq BIGINT NOT NULL,
    record TEXT NOT NULL,
    author TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (team, kind, record_id)
);
CREATE TABLE IF NOT EXISTS audit (
    seq BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL, team TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_team ON audit (team, seq)
"""

WHISPER_SEQ_SCHEMA = "CREATE TABLE IF NOT EXISTS whisper_seq (agent TEXT PRIMARY KEY, last BIGINT NOT NULL)"

# Erasure tombstones: each customer id and call id an erasure removed, with the feed seq of its ``erasure``
# entry. A write about one of them that was made before its client had read that entry is refused
# (sync/erasure.py, docs/protocol.md "Erasure and retention"); ids only. Erasures made before this step are
# read back from the feed.
ERASED_TABLE = (
    "CREATE TABLE IF NOT EXISTS erased (team TEXT NOT NULL, subject TEXT NOT NULL, subject_id TEXT NOT NULL,"
    " seq BIGINT NOT NULL, PRIMARY KEY (team, subject, subject_id))"
)
ERASED_SCHEMA = {
    "sqlite": f"""{ERASED_TABLE};
INSERT OR REPLACE INTO erased (team, subject, subject_id, seq)
    SELECT team, 'customer', record_id, MAX(seq) FROM changes WHERE kind = 'erasure' GROUP BY team, record_id;
INSERT OR REPLACE INTO erased (team, subject, subject_id, seq)
    SELECT c.team, 'call', j.value, MAX(c.seq) FROM changes c, json_each(c.record, '$.call_ids') j
    WHERE c.kind = 'erasure' GROUP BY c.team, j.value
""",
    "postgresql": f"""{ERASED_TABLE};
INSERT INTO erased (team, subject, subject_id, seq)
    SELECT team, 'customer', record_id, MAX(seq) FROM changes WHERE kind = 'erasure' GROUP BY team, record_id
    ON CONFLICT DO NOTHING;
INSERT INTO erased (team, subject, subject_id, seq)
    SELECT c.team, 'call', j.value, MAX(c.seq)
    FROM changes c, jsonb_array_elements_text((c.record)::jsonb -> 'call_ids') AS j(value)
    WHERE c.kind = 'erasure' GROUP BY c.team, j.value
    ON CONFLICT DO NOTHING
""",
}

# How long an erasure's tombstones are kept (sync/erasure.py apply_retention prunes them): as long as the
# app keeps its own digests of erased ids (assist/privacy.py ERASED_IDS_KEPT), long enough for a call that
# was running when she was erased to have ended and its app to have read the erasure. A write made before
# its client read an erasure whose tombstones are gone is still refused: ``erased_pruned`` keeps, per team,
# the newest feed seq pruned, and a write whose ``seen`` is below it is checked against the feed's
# ``erasure`` entries themselves (they stay, as every client offline at the time learns of the erasure from
# them however long it was away). ``erased_at`` is the erasure's time by the server's clock; tombstones made
# before this step take their feed entry's time, or the upgrade's when that entry is gone.
ERASED_KEPT_SECONDS = 30 * 86400.0
ERASED_PRUNING_SCHEMA = {
    "sqlite": """ALTER TABLE erased ADD COLUMN erased_at REAL;
UPDATE erased SET erased_at = COALESCE(
    (SELECT at FROM changes WHERE changes.seq = erased.seq), CAST(strftime('%s', 'now') AS REAL));
CREATE TABLE IF NOT EXISTS erased_pruned (team TEXT PRIMARY KEY, seq BIGINT NOT NULL)
""",
    "postgresql": """ALTER TABLE erased ADD COLUMN IF NOT EXISTS erased_at DOUBLE PRECISION;
UPDATE erased SET erased_at = COALESCE(
    (SELECT at FROM changes WHERE changes.seq = erased.seq), EXTRACT(EPOCH FROM now()));
CREATE TABLE IF NOT EXISTS erased_pruned (team TEXT PRIMARY KEY, seq BIGINT NOT NULL)
""",
}

LIVE_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    call_id TEXT PRIMARY KEY, team TEXT NOT NULL, agent TEXT NOT NULL, customer TEXT,
    started_at REAL NOT NULL,
    ended_at REAL, info TEXT NOT NULL DEFAULT '{}', last_final TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS calls_live ON calls (team, ended_at);
CREATE TABLE IF NOT EXISTS segments (
    call_id TEXT NOT NULL, channel TEXT NOT NULL, segment_id TEXT NOT NULL, event TEXT NOT NULL,
    PRIMARY KEY (call_id, channel, segment_id)
);
CREATE TABLE IF NOT EXISTS presence (
    conn_id TEXT PRIMARY KEY, instance TEXT NOT NULL, user TEXT NOT NULL, team TEXT NOT NULL,
    since REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS presence_by_team ON presence (team);
"""

# Live state on PostgreSQL: ``ord`` keeps the order in which lines first appeared (SQLite's rowid).
LIVE_SCHEMA_POSTGRES = """
CREATE TABLE IF NOT EXISTS calls (
    call_id TEXT PRIMARY KEY, team TEXT NOT NULL, agent TEXT NOT NULL, customer TEXT,
    started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION, info TEXT NOT NULL DEFAULT '{}',
    last_final TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS calls_live ON calls (team, ended_at);
CREATE INDEX IF NOT EXISTS calls_by_agent ON calls (agent, ended_at);
CREATE TABLE IF NOT EXISTS segments (
    ord BIGSERIAL, call_id TEXT NOT NULL, channel TEXT NOT NULL, segment_id TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (call_id, channel, segment_id)
);
CREATE TABLE IF NOT EXISTS presence (
    conn_id TEXT PRIMARY KEY, instance TEXT NOT NULL, "user" TEXT NOT NULL, team TEXT NOT NULL,
    since DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS presence_by_team ON presence (team);
CREATE INDEX IF NOT EXISTS presence_by_user ON presence ("user")
"""

# A JSON field of a stored object, as text, per dialect.
_JSON_FIELD = {"sqlite": "json_extract({}, '$.{}')", "postgresql": "(({})::jsonb ->> '{}')"}


def json_field(db: Database, column: str, key: str) -> str:
    """SQL for the text of field ``key`` of the JSON object in ``column``."""
    return _JSON_FIELD[db.dialect].format(column, key)


def marks(values: Iterable[object]) -> str:
    """``?`` placeholders for ``values`` (``NULL`` for none: ``IN (NULL)`` matches nothing)."""
    return ",".join("?" for _ in values) or "NULL"


# The order in which transcript lines first appeared: SQLite's implicit rowid, PostgreSQL's ``ord`` column.
_FIRST_SEEN = {"sqlite": "rowid", "postgresql": "ord"}
# A JSON field of a stored event, as text.
_EVENT_KIND = {
    "sqlite": "json_extract({}, '$.kind')",
    "postgresql": "(({})::jsonb ->> 'kind')",
}


# What a write about a live call appends to its read of the call's row, in the write's transaction (see
# hold_call).
_KEY_SHARE = {"sqlite": "", "postgresql": " FOR KEY SHARE"}


def hold_call(db: Database, call_id: str) -> None:
    """Keep the live call ``call_id`` from being deleted until ``db``'s transaction ends (PostgreSQL).

    With several instances on one PostgreSQL database (the team and live tables are one database there, so
    the durable-log connection can lock a call's row too), ``FOR KEY SHARE`` holds the row while updates of
    the call (its info, last line, end) go on. An erasure locks or deletes its calls' rows before it deletes
    their lines, whispers and audit text (sync/erasure.py), so a write about her call taken this way either
    commits first and is deleted with the rest, or waits and then finds the call erased or gone. SQLite (one
    instance): each file's writes and the erasure already run one after another (``BEGIN IMMEDIATE``)."""
    if db.dialect == "postgresql":
        db.execute("SELECT 1 FROM calls WHERE call_id = ? FOR KEY SHARE", (call_id,)).fetchall()


# PostgreSQL advisory locks on erased ids (the two-key form, so never the one-key migration lock of
# sync/backends/postgres.py): the first key says what they are for, the second is a hash of team and id (two
# ids sharing a hash only wait for each other).
_ERASURE_LOCK_CLASS = 0x61616572  # "aaer"


def hold_erasure_subjects(
    db: Database, team: str, customers: Iterable[str], calls: Iterable[str], *, exclusive: bool
) -> None:
    """PostgreSQL: lock the customer and call ids of ``team`` until ``db``'s transaction ends, exclusively (an
    erasure of them) or shared (a call start about them, which checks the tombstones after taking the lock
    and writes in the same transaction). A call of hers that starts on another instance while she is erased
    then either commits before the erasure reads her calls (it is deleted and named in the erasure's feed
    entry) or waits for the erasure to commit and is refused, as any call start made before its client read
    the entry: never a call the erasure tombstones without naming it. Taken in one order (sorted), before any
    row lock of a call. SQLite (one instance): call starts and erasures run one after another on the live
    thread."""
    if db.dialect != "postgresql":
        return
    keys = sorted({f"customer/{c}" for c in customers} | {f"call/{c}" for c in calls})
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    for key in keys:
        db.execute(f"SELECT {fn}({_ERASURE_LOCK_CLASS}, hashtext(?))", (f"{team}/{key}",)).fetchall()


def _ownership(agent: User, row: Row | None) -> str:
    """Whose call ``row`` is, for ``agent``: "ok", "not_found" (no such call in the agent's team), "forbidden"
    (a teammate's) or "ended"."""
    if row is None or row["team"] != agent.team:
        return "not_found"
    if row["agent"] != agent.name:
        return "forbidden"
    return "ended" if row["ended_at"] is not None else "ok"


def _adopt_if(table: str) -> Callable[[Connection], int]:
    # Files from before assist.migrations hold version 1's tables and no ledger.
    return lambda conn: 1 if table_exists(conn, table) else 0


# Append only: a new column or table is a new numbered step (see assist/migrations.py), with its SQL for each
# dialect. On PostgreSQL both sets share one database and one ledger.
TEAM_MIGRATIONS = MigrationSet(
    "team",
    (
        (
            1,
            "users, whispers, change feed, records, audit",
            dialect_step({"sqlite": TEAM_SCHEMA, "postgresql": TEAM_SCHEMA_POSTGRES}),
        ),
        (
            2,
            "whisper_seq: each agent's last seq, kept when whispers are erased or expire",
            dialect_step({d: WHISPER_SEQ_SCHEMA for d in ("sqlite", "postgresql")}),
        ),
        (
            3,
            "erased: the customer and call ids each erasure removed, with its feed seq",
            dialect_step(ERASED_SCHEMA),
        ),
        (
            4,
            "erased.erased_at and erased_pruned: tombstones leave after ERASED_KEPT_SECONDS",
            dialect_step(ERASED_PRUNING_SCHEMA),
        ),
    ),
    _adopt_if("users"),
)
# Instances sharing one database, each with a heartbeat counter it bumps every second or so: an instance
# whose counter stops moving is dead (killed with -9, machine gone), and another removes its presence rows.
# A counter, not a time: instances compare it against their own monotonic clock, so their wall clocks need
# not agree.
INSTANCES_SCHEMA = "CREATE TABLE IF NOT EXISTS instances (name TEXT PRIMARY KEY, beat BIGINT NOT NULL)"

# When a call last showed life (started, a final line, its info, its end), by the server's clock: a call
# whose end never arrived is aged from here (sync/erasure.py apply_retention), so a long call still sending
# lines is not taken for a dead one. Lines that lost their call to the old retention (it deleted the lines
# first, so a line written in between outlived its call on PostgreSQL) go with this step.
CALL_ACTIVITY_SCHEMA = {
    "sqlite": """ALTER TABLE calls ADD COLUMN active_at REAL;
DELETE FROM segments WHERE call_id NOT IN (SELECT call_id FROM calls)
""",
    "postgresql": """ALTER TABLE calls ADD COLUMN IF NOT EXISTS active_at DOUBLE PRECISION;
DELETE FROM segments WHERE call_id NOT IN (SELECT call_id FROM calls)
""",
}

LIVE_MIGRATIONS = MigrationSet(
    "live",
    (
        (
            1,
            "live calls, their transcripts, presence",
            dialect_step({"sqlite": LIVE_SCHEMA, "postgresql": LIVE_SCHEMA_POSTGRES}),
        ),
        (
            2,
            "instances: a heartbeat per server instance, so a dead one's presence expires",
            dialect_step({d: INSTANCES_SCHEMA for d in ("sqlite", "postgresql")}),
        ),
        (
            3,
            "calls.active_at: a call's last sign of life, which ages a call that never ended",
            dialect_step(CALL_ACTIVITY_SCHEMA),
        ),
    ),
    _adopt_if("calls"),
)


# The store's rows are the records the server relays (sync.protocol), in the server's view: the objects it
# keeps opaque (a call's customer and info, a whisper's attachment) as plain JSON objects.


# One presence row per connection (a reconnect with the same id replaces its row); {values} is one or more
# "(?, ?, ?, ?, ?)".
_PRESENCE_UPSERT = (
    'INSERT INTO presence (conn_id, instance, "user", team, since) VALUES {values}'
    ' ON CONFLICT (conn_id) DO UPDATE SET instance = excluded.instance, "user" = excluded."user",'
    " team = excluded.team, since = excluded.since"
)


class UserError(Exception):
    """A user-management request that cannot be done (unknown user, name taken, bad role)."""


class ErasedError(ValueError):
    """A write about a customer or call that was erased after the write was made: its client had not yet read
    the erasure's feed entry (its ``seen`` is lower), so the write would bring erased data back."""


def change_subjects(kind: str, record_id: str, record: JsonObject) -> tuple[set[str], set[str]]:
    """The customer ids and call ids a shared record is about (what an erasure of them removes)."""
    customers = {record_id} if kind == "customer" else set()
    calls = {record_id} if kind == "call_summary" else set()
    if isinstance(record.get("customer_id"), str):
        customers.add(str(record["customer_id"]))
    if isinstance(record.get("call_id"), str):
        calls.add(str(record["call_id"]))
    return customers, calls


def check_not_erased(
    db: Database, team: str, seen: int, customers: Iterable[str] = (), calls: Iterable[str] = ()
) -> None:
    """Raise :class:`ErasedError` when one of ``customers`` of ``team`` was erased by a feed entry after
    ``seen`` (the feed position its client had read when it made the write: a customer given the same id
    afterwards is a new customer), or one of ``calls`` was erased at all (a call id is never given again, so
    anything written about an erased call, e.g. the wrap-up of a call that was live during the erasure, is
    about her). Once an erasure's tombstones are pruned (ERASED_KEPT_SECONDS), a write made before its client
    read that erasure is still refused, found in the feed; one made after reading it is accepted."""
    subjects = [("customer", c, seen) for c in sorted(customers)] + [("call", c, -1) for c in sorted(calls)]
    pruned: int | None = None
    for subject, subject_id, after in subjects:
        row = db.execute(
            "SELECT seq FROM erased WHERE team = ? AND subject = ? AND subject_id = ? AND seq > ?",
            (team, subject, subject_id, after),
        ).fetchone()
        erased_by = None if row is None else int(row["seq"])
        if erased_by is None:
            # Read after the tombstones: a round pruning them commits the watermark with their removal.
            if pruned is None:
                mark = db.execute("SELECT seq FROM erased_pruned WHERE team = ?", (team,)).fetchone()
                pruned = -1 if mark is None else int(mark["seq"])
            if seen < pruned:
                erased_by = _erased_in_feed(db, team, subject, subject_id, seen, pruned)
        if erased_by is None:
            continue
        if subject == "call":
            raise ErasedError(
                f"call {subject_id!r} was erased (feed entry {erased_by}); nothing more is kept"
            )
        raise ErasedError(
            f"customer {subject_id!r} was erased (feed entry {erased_by}) after this was written "
            f"(the sender had read the feed up to {seen}); it is dropped. Written after reading the "
            "erasure, it is accepted."
        )


def _erased_in_feed(
    db: Database, team: str, subject: str, subject_id: str, seen: int, pruned: int
) -> int | None:
    """The seq of an ``erasure`` feed entry after ``seen`` (and no later than ``pruned``: newer ones still
    have their tombstones) that erased ``subject_id``, for a write older than pruned tombstones."""
    if subject == "customer":
        row = db.execute(
            "SELECT MAX(seq) AS seq FROM changes WHERE team = ? AND kind = 'erasure' AND record_id = ?"
            " AND seq > ? AND seq <= ?",
            (team, subject_id, seen, pruned),
        ).fetchone()
        return None if row is None or row["seq"] is None else int(row["seq"])
    for row in db.execute(
        "SELECT seq, record FROM changes WHERE team = ? AND kind = 'erasure' AND seq > ? AND seq <= ?"
        " ORDER BY seq DESC",
        (team, seen, pruned),
    ).fetchall():
        named = _json_object(row["record"]).get("call_ids")
        if isinstance(named, list) and subject_id in named:
            return int(row["seq"])
    return None


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    team: str

    @property
    def supervises(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    role: Role
    team: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None


def new_token() -> str:
    """A fresh bearer token: 32 random bytes, URL-safe. Never one that starts with ``-``: people paste tokens
    after ``--token`` on a command line, where a leading dash reads as another option (argparse refused one
    token in 64 that way)."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def hash_token(token: str) -> str:
    # Tokens are 256-bit random strings, so a plain digest is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TeamStore:
    """The team's state in ``database``: a PostgreSQL URL, or else the SQLite files in ``data_dir``."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        database: str | None = None,
    ) -> None:
        location: str | Path | None = database if database else data_dir
        if location is None:
            raise ValueError("a team store needs a data directory or a database URL")
        self.clock = clock
        self.location = location
        self.team_db: Database = open_database(location, durable=True, name="team.sqlite3")
        try:
            self.live_db: Database = open_database(location, durable=False, name="live.sqlite3")
        except BaseException:
            self.team_db.close()
            raise
        try:
            migrate(self.team_db, TEAM_MIGRATIONS)
            migrate(self.live_db, LIVE_MIGRATIONS)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.team_db.close()
        self.live_db.close()

    @staticmethod
    @contextmanager
    def _tx(db: Database) -> Iterator[Database]:
        if db.in_transaction:
            # The caller's transaction covers this one (the server's group commit, sync/durable.py): it
            # commits, and it undoes this call's writes if the call fails.
            yield db
            return
        db.begin()
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()

    # -- users ---------------------------------------------------------------------------------------------

    def add_user(self, name: str, role: Role, team: str, *, expires_at: float | None = None) -> str:
        """Create a user (or re-enable a revoked one) and return its new token; only the hash is stored."""
        if not name or not team:
            raise UserError("a user needs a name and a team")
        token = new_token()
        with self._tx(self.team_db) as db:
            row = db.execute("SELECT revoked_at FROM users WHERE name = ?", (name,)).fetchone()
            if row is not None and row["revoked_at"] is None:
                raise UserError(f"user {name!r} already exists; revoke it first to issue a new token")
            db.execute(
                "INSERT INTO users (name, role, team, token_hash, created_at, expires_at, revoked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
                " team = excluded.team, token_hash = excluded.token_hash, created_at = excluded.created_at,"
                " expires_at = excluded.expires_at, revoked_at = NULL",
                (name, role.value, team, hash_token(token), self.clock(), expires_at),
            )
        return token

    def revoke_user(self, name: str) -> None:
        with self._tx(self.team_db) as db:
            cur = db.execute(
                "UPDATE users SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", (self.clock(), name)
            )
            if cur.rowcount == 0:
                raise UserError(f"no active user named {name!r}")

    def list_users(self) -> list[UserInfo]:
        rows = self.team_db.execute("SELECT * FROM users ORDER BY team, name").fetchall()
        return [
            UserInfo(r["name"], Role(r["role"]), r["team"], r["created_at"], r["expires_at"], r["revoked_at"])
            for r in rows
        ]

    def authenticate(self, token: str) -> tuple[User | None, str, str]:
        """The user a token belongs to, or None, why not and the team concerned ("-" when unknown) for the
        audit log; the caller only ever learns "401"."""
        row = self.team_db.execute(
            "SELECT * FROM users WHERE token_hash = ?", (hash_token(token),)
        ).fetchone()
        return self._judge_token(row)

    def authenticate_many(self, tokens: list[str]) -> list[tuple[User | None, str, str]]:
        """:meth:`authenticate` for many tokens (a few hundred at most) in one query: the handshakes of a
        failover arrive at once."""
        if not tokens:
            return []
        hashes = [hash_token(token) for token in tokens]
        unique = sorted(set(hashes))
        marks = ",".join("?" * len(unique))
        found = {
            row["token_hash"]: row
            for row in self.team_db.execute(
                f"SELECT * FROM users WHERE token_hash IN ({marks})", tuple(unique)
            )
        }
        return [self._judge_token(found.get(h)) for h in hashes]

    def _judge_token(self, row: Row | None) -> tuple[User | None, str, str]:
        if row is None:
            return None, "unknown token", "-"
        name, team = str(row["name"]), str(row["team"])
        if row["revoked_at"] is not None:
            return None, f"revoked token of {name}", team
        expires = row["expires_at"]
        if isinstance(expires, int | float) and expires <= self.clock():
            return None, f"expired token of {name}", team
        return User(name, Role(str(row["role"])), team), "", team

    def still_valid(self, token_hashes: set[str]) -> set[str]:
        """Which of these token hashes still open a connection (not revoked, not expired)."""
        if not token_hashes:
            return set()
        valid: set[str] = set()
        hashes = sorted(token_hashes)
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.team_db.execute(
                f"SELECT token_hash FROM users WHERE token_hash IN ({marks}) AND revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > ?)",
                (*chunk, self.clock()),
            )
            valid.update(r[0] for r in rows)
        return valid

    def user(self, name: str) -> User | None:
        row = self.team_db.execute(
            "SELECT name, role, team FROM users WHERE name = ? AND revoked_at IS NULL", (name,)
        ).fetchone()
        return None if row is None else User(row["name"], Role(row["role"]), row["team"])

    def team_users(self, team: str) -> list[User]:
        rows = self.team_db.execute(
            "SELECT name, role, team FROM users WHERE team = ? AND revoked_at IS NULL ORDER BY name", (team,)
        ).fetchall()
        return [User(r["name"], Role(r["role"]), r["team"]) for r in rows]

    # -- audit ---------------------------------------------------------------------------------------------

    def audit(
        self, actor: str, team: str, action: str, target: str, detail: Mapping[str, object] | None = None
    ) -> None:
        self.team_db.execute(
            "INSERT INTO audit (at, actor, team, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (
                self.clock(),
                actor,
                team,
                action,
                target,
                json.dumps(detail or {}, ensure_ascii=False, allow_nan=False),
            ),
        )

    def audit_call(
        self, actor: str, team: str, action: str, call_id: str, detail: Mapping[str, object]
    ) -> None:
        """An audit entry about a live call that may quote it (a raised hand's reason). :class:`ErasedError`,
        nothing written, once the call is erased: the erasure's scrub of the audit may already have run. On
        PostgreSQL the call's row is held as for a whisper (:meth:`add_whisper`)."""
        with self._tx(self.team_db) as db:
            hold_call(db, call_id)
            check_not_erased(db, team, -1, calls=(call_id,))
            self.audit(actor, team, action, call_id, detail)

    def audit_since(self, team: str, after: int, limit: int) -> list[AuditEntry]:
        """A team's audit trail, with the server-wide failed logins of unknown tokens (team "-")."""
        rows = self.team_db.execute(
            "SELECT * FROM audit WHERE team IN (?, '-') AND seq > ? ORDER BY seq LIMIT ?",
            (team, after, max(1, min(limit, 1000))),
        ).fetchall()
        return [_audit_row(r) for r in rows]

    # -- whispers ------------------------------------------------------------------------------------------

    def add_whisper(
        self,
        *,
        whisper_id: str,
        sender: User,
        agent: str,
        text: str,
        call_id: str | None,
        anchor_segment_id: str | None,
        attachment: JsonObject | None,
        seen: int | None = None,
    ) -> tuple[ServerWhisper, bool]:
        """Persist a whisper (fsynced) with the agent's next sequence number. Returns it and whether it is
        new; the same ``whisper_id`` again returns the stored one, so a sender's retry never duplicates.
        :class:`ErasedError` when its call was erased after ``seen`` (the sender's feed position)."""
        with self._tx(self.team_db) as db:
            existing = db.execute("SELECT * FROM whispers WHERE whisper_id = ?", (whisper_id,)).fetchone()
            if existing is not None:
                return _whisper_row(existing), False
            if call_id is not None:
                # Before the check, held to the commit: an erasure on another instance locks the call's row
                # before it deletes its whispers, so it waits for this one and deletes it too, or commits
                # first and the check below sees its tombstone.
                hold_call(db, call_id)
            if seen is not None and call_id is not None:
                check_not_erased(db, sender.team, seen, calls=(call_id,))
            seq = self._next_whisper_seq(db, agent)
            row = db.execute(
                "INSERT INTO whispers (whisper_id, agent, seq, team, sender, call_id, text, "
                "anchor_segment_id, attachment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING *",
                (
                    whisper_id,
                    agent,
                    seq,
                    sender.team,
                    sender.name,
                    call_id,
                    text,
                    anchor_segment_id,
                    None
                    if attachment is None
                    else json.dumps(attachment, ensure_ascii=False, allow_nan=False),
                    self.clock(),
                ),
            ).fetchall()[0]  # read to the end: the statement is done before the next one
            self.audit(
                sender.name,
                sender.team,
                "whisper_sent",
                agent,
                {"whisper_id": whisper_id, "call_id": call_id, "text": text},
            )
        return _whisper_row(row), True

    @staticmethod
    def _next_whisper_seq(db: Database, agent: str) -> int:
        if db.dialect == "postgresql":
            # The agent's head row stays locked until this transaction ends: another instance's whisper to the
            # same agent waits here, so seq order is commit order, and a rollback takes the number back.
            row = one(
                db.execute(
                    "INSERT INTO whisper_heads (agent, seq) SELECT ?, COALESCE(MAX(seq), 0) + 1 FROM whispers"
                    " WHERE agent = ? ON CONFLICT (agent) DO UPDATE SET seq = whisper_heads.seq + 1 "
                    "RETURNING seq",
                    (agent, agent),
                )
            )
            return int(row["seq"])
        # SQLite: BEGIN IMMEDIATE already serialises writers. ``whisper_seq`` keeps the last number of
        # whispers erased or expired (sync/erasure.py), so seq never goes back.
        return int(
            one(
                db.execute(
                    "SELECT MAX(COALESCE((SELECT MAX(seq) FROM whispers WHERE agent = ?), 0),"
                    " COALESCE((SELECT last FROM whisper_seq WHERE agent = ?), 0)) + 1 AS seq",
                    (agent, agent),
                )
            )["seq"]
        )

    def whisper(self, whisper_id: str) -> ServerWhisper | None:
        row = self.team_db.execute("SELECT * FROM whispers WHERE whisper_id = ?", (whisper_id,)).fetchone()
        return None if row is None else _whisper_row(row)

    def mark_whisper(self, whisper_id: str, status: WhisperStatus, actor: User) -> tuple[ServerWhisper, bool]:
        """Record delivery or reading; returns the whisper and whether this changed anything."""
        column = {WhisperStatus.DELIVERED: "delivered_at", WhisperStatus.READ: "read_at"}[status]
        with self._tx(self.team_db) as db:
            now = self.clock()
            cur = db.execute(
                f"UPDATE whispers SET {column} = ? WHERE whisper_id = ? AND {column} IS NULL",
                (now, whisper_id),
            )
            changed = cur.rowcount > 0
            if status is WhisperStatus.READ and changed:
                db.execute(
                    "UPDATE whispers SET delivered_at = ? WHERE whisper_id = ? AND delivered_at IS NULL",
                    (now, whisper_id),
                )
                self.audit(actor.name, actor.team, "whisper_read", whisper_id)
            row = one(db.execute("SELECT * FROM whispers WHERE whisper_id = ?", (whisper_id,)))
        return _whisper_row(row), changed

    def whispers_for_agent(self, agent: str, after: int, limit: int = -1) -> list[ServerWhisper]:
        sql = "SELECT * FROM whispers WHERE agent = ? AND seq > ? ORDER BY seq"
        params: tuple[object, ...] = (agent, after)
        if limit >= 0:
            sql, params = sql + " LIMIT ?", (*params, limit)
        rows = self.team_db.execute(sql, params).fetchall()
        return [_whisper_row(r) for r in rows]

    def whispers_for_team(self, team: str) -> list[ServerWhisper]:
        rows = self.team_db.execute(
            "SELECT * FROM whispers WHERE team = ? ORDER BY created_at, agent, seq", (team,)
        ).fetchall()
        return [_whisper_row(r) for r in rows]

    def whispers_for_call(self, team: str, call_id: str) -> list[ServerWhisper]:
        rows = self.team_db.execute(
            "SELECT * FROM whispers WHERE team = ? AND call_id = ? ORDER BY created_at, seq", (team, call_id)
        ).fetchall()
        return [_whisper_row(r) for r in rows]

    # -- change feed ---------------------------------------------------------------------------------------

    def add_change(
        self,
        *,
        author: User,
        change_id: str,
        kind: RecordKind,
        record_id: str,
        record: JsonObject,
        seen: int | None = None,
    ) -> tuple[Change, bool]:
        """Append a change (fsynced) and apply it to the record it names; last writer (by server seq) wins.

        Returns the change and whether it is new. Raises ValueError when a note would be edited: notes are
        append-only, a correction is a new note; :class:`ErasedError` when ``seen`` (a client's change: the
        feed position it had read) is older than an erasure of the customer or call the record is about.
        """
        with self._tx(self.team_db) as db:
            existing = db.execute("SELECT * FROM changes WHERE change_id = ?", (change_id,)).fetchone()
            if existing is not None:
                return _change_row(existing), False
            self.lock_feed(db, author.team)
            if seen is not None:
                check_not_erased(db, author.team, seen, *change_subjects(kind.value, record_id, record))
            if kind is RecordKind.NOTE:
                taken = db.execute(
                    "SELECT 1 FROM records WHERE team = ? AND kind = ? AND record_id = ?",
                    (author.team, kind.value, record_id),
                ).fetchone()
                if taken is not None:
                    raise ValueError(
                        f"note {record_id!r} already exists; notes are append-only, add a new note"
                    )
            now = self.clock()
            body = json.dumps(record, ensure_ascii=False, allow_nan=False)
            seq = one(
                db.execute(
                    "INSERT INTO changes (change_id, team, kind, record_id, record, author, at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                    (change_id, author.team, kind.value, record_id, body, author.name, now),
                )
            )["seq"]
            db.execute(
                "INSERT INTO records (team, kind, record_id, seq, record, author, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (team, kind, record_id) DO UPDATE SET seq = excluded.seq,"
                " record = excluded.record, author = excluded.author, updated_at = excluded.updated_at",
                (author.team, kind.value, record_id, seq, body, author.name, now),
            )
            self.audit(
                author.name,
                author.team,
                "data_change",
                f"{kind.value}/{record_id}",
                {"seq": seq, "change_id": change_id},
            )
            row = one(db.execute("SELECT * FROM changes WHERE seq = ?", (seq,)))
        return _change_row(row), True

    @staticmethod
    def lock_feed(db: Database, team: str) -> None:
        """PostgreSQL: take the team's feed head row, held to the commit. Taken before a change gets its seq,
        a team's changes commit in seq order on every instance, so reading "after n" never skips one that
        commits later; taken first by an erasure, a change about the customer waits for it and then sees its
        tombstone. SQLite: BEGIN IMMEDIATE already serialises writers."""
        if db.dialect == "postgresql":
            db.execute(
                "INSERT INTO change_heads (team, changes) VALUES (?, 1)"
                " ON CONFLICT (team) DO UPDATE SET changes = change_heads.changes + 1",
                (team,),
            )

    @staticmethod
    def mark_erased(
        db: Database, team: str, customer_id: str, call_ids: list[str], seq: int, at: float
    ) -> None:
        """Record the tombstones of an erasure (ids only) with its feed entry's seq and the erasure's time."""
        rows = [(team, "customer", customer_id, seq, at)] + [(team, "call", c, seq, at) for c in call_ids]
        for row in rows:
            db.execute(
                "INSERT INTO erased (team, subject, subject_id, seq, erased_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (team, subject, subject_id) DO UPDATE SET seq = excluded.seq,"
                " erased_at = excluded.erased_at",
                row,
            )

    @staticmethod
    def drop_call_words(db: Database, team: str, calls: list[str]) -> dict[str, int]:
        """Delete the whispers about ``calls`` and scrub the audit entries that quote them (whispers, raised
        hands); how many rows each. What an erasure removes besides records and live calls."""
        in_calls = f"IN ({marks(calls)})"
        # Sequence numbers never go back, though the whispers that held the highest ones go.
        TeamStore.keep_whisper_seq(db, f"team = ? AND call_id {in_calls}", (team, *calls))
        whispers = db.execute(f"DELETE FROM whispers WHERE team = ? AND call_id {in_calls}", (team, *calls))
        # The audit keeps that something happened, not what was said.
        scrubbed = db.execute(
            "UPDATE audit SET detail = ? WHERE team = ?"
            " AND action IN ('whisper_sent', 'hand_raised', 'hand_lowered')"
            f" AND (target {in_calls} OR {json_field(db, 'detail', 'call_id')} {in_calls})",
            ('{"erased": true}', team, *calls, *calls),
        )
        return {"whispers": whispers.rowcount, "audit_scrubbed": scrubbed.rowcount}

    @staticmethod
    def keep_whisper_seq(db: Database, where: str, params: tuple[object, ...]) -> None:
        """Remember each agent's highest seq among the whispers about to go (whisper_seq; PostgreSQL's
        whisper_heads already keeps counting)."""
        db.execute(
            f"INSERT INTO whisper_seq (agent, last) SELECT agent, MAX(seq) FROM whispers WHERE {where}"
            " GROUP BY agent ON CONFLICT (agent) DO UPDATE SET last ="
            " CASE WHEN excluded.last > whisper_seq.last THEN excluded.last ELSE whisper_seq.last END",
            params,
        )

    def changes_since(self, team: str, after: int, limit: int = 500) -> list[Change]:
        rows = self.team_db.execute(
            "SELECT * FROM changes WHERE team = ? AND seq > ? ORDER BY seq LIMIT ?",
            (team, after, max(1, min(limit, 1000))),
        ).fetchall()
        return [_change_row(r) for r in rows]

    def history(self, team: str, kind: str, record_id: str) -> list[Change]:
        rows = self.team_db.execute(
            "SELECT * FROM changes WHERE team = ? AND kind = ? AND record_id = ? ORDER BY seq",
            (team, kind, record_id),
        ).fetchall()
        return [_change_row(r) for r in rows]

    # -- live calls ----------------------------------------------------------------------------------------

    def call(self, call_id: str) -> ServerCall | None:
        row = self.live_db.execute("SELECT * FROM calls WHERE call_id = ?", (call_id,)).fetchone()
        return None if row is None else _call_row(row)

    def start_call(
        self, agent: User, call_id: str, customer: JsonObject | None, started_at: float | None
    ) -> ServerCall:
        with self._tx(self.live_db) as db:
            db.execute(
                "INSERT INTO calls (call_id, team, agent, customer, started_at, active_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO UPDATE"
                " SET customer = COALESCE(excluded.customer, calls.customer), active_at = excluded.active_at",
                (
                    call_id,
                    agent.team,
                    agent.name,
                    None if customer is None else json.dumps(customer, ensure_ascii=False, allow_nan=False),
                    started_at if started_at is not None else self.clock(),
                    self.clock(),
                ),
            )
            row = one(db.execute("SELECT * FROM calls WHERE call_id = ?", (call_id,)))
        return _call_row(row)

    def start_call_unless_erased(
        self, agent: User, call_id: str, customer: JsonObject | None, started_at: float | None, seen: int
    ) -> ServerCall:
        """:meth:`start_call`, refused (:class:`ErasedError`, nothing kept) when the call or its customer was
        erased after ``seen``. Checked before writing (on PostgreSQL in the write's transaction, under
        :func:`hold_erasure_subjects`), and again after: an erasure committing in between on another instance
        has named and deleted this call (the second check refuses it to its agent too)."""
        customer_id = customer.get("id") if customer is not None else None
        customers = (customer_id,) if isinstance(customer_id, str) else ()
        if self.live_db.dialect == "postgresql":
            # Checked and written in one transaction, under a shared lock on her id and the call's that an
            # erasure of either takes exclusively (hold_erasure_subjects): a call start racing her erasure on
            # another instance is either named in the erasure's feed entry or refused here.
            with self._tx(self.live_db) as db:
                hold_erasure_subjects(db, agent.team, customers, (call_id,), exclusive=False)
                check_not_erased(db, agent.team, seen, customers, (call_id,))
                call = self.start_call(agent, call_id, customer, started_at)
        else:
            check_not_erased(self.team_db, agent.team, seen, customers, (call_id,))
            call = self.start_call(agent, call_id, customer, started_at)
        try:
            check_not_erased(self.team_db, agent.team, seen, customers, (call_id,))
        except ErasedError:
            with self._tx(self.live_db) as db:
                # The row first: a line being written holds it (hold_call), so the lines' delete sees it.
                db.execute("DELETE FROM calls WHERE call_id = ?", (call_id,))
                db.execute("DELETE FROM segments WHERE call_id = ?", (call_id,))
                if db.dialect == "postgresql":
                    # Another instance's erasure committed between the two checks. Under the locks above it
                    # read this call (committed before it took them), named it and removed it with its
                    # whispers; this only makes sure (one database; on one instance nothing runs between
                    # the checks): what was whispered on it goes, and its tombstone is kept as it is.
                    self.drop_call_words(db, agent.team, [call_id])
                    db.execute(
                        "INSERT INTO erased (team, subject, subject_id, seq, erased_at)"
                        " SELECT team, 'call', ?, MAX(seq), ? FROM erased"
                        " WHERE team = ? AND subject = 'customer'"
                        f" AND subject_id IN ({marks(customers)}) GROUP BY team ON CONFLICT DO NOTHING",
                        (call_id, self.clock(), agent.team, *customers),
                    )
            if self.live_db.dialect == "sqlite":
                self.live_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raise
        return call

    def end_call(self, call_id: str) -> ServerCall:
        with self._tx(self.live_db) as db:
            db.execute(
                "UPDATE calls SET ended_at = ?, active_at = ? WHERE call_id = ? AND ended_at IS NULL",
                (self.clock(), self.clock(), call_id),
            )
            row = one(db.execute("SELECT * FROM calls WHERE call_id = ?", (call_id,)))
        return _call_row(row)

    def call_owned_by(self, agent: User, call_id: str) -> tuple[str, ServerCall | None]:
        """ "ok", "not_found" (no such call in the agent's team), "forbidden" (a teammate's) or "ended"."""
        row = self.live_db.execute("SELECT * FROM calls WHERE call_id = ?", (call_id,)).fetchone()
        status = _ownership(agent, row)
        return status, None if status == "not_found" or row is None else _call_row(row)

    def add_segment_for(self, agent: User, call_id: str, event: TranscriptLine) -> str:
        """Ownership check and write in one step (one trip to the database thread per transcript frame, one
        transaction). Returns the ownership status, or "stale" for a partial that arrived after its final.

        On PostgreSQL the call's row is read with a key-share lock held until the line commits: an erasure on
        another instance deletes the call's row before its lines (sync/erasure.py), so it either waits for
        this line and then deletes it too, or goes first and this finds no call and writes nothing."""
        with self._tx(self.live_db) as db:
            row = db.execute(
                f"SELECT * FROM calls WHERE call_id = ?{_KEY_SHARE[db.dialect]}", (call_id,)
            ).fetchone()
            status = _ownership(agent, row)
            if status == "ok" and not self._put_segment(db, call_id, event, self.clock()):
                return "stale"
        return status

    def whisper_target(self, agent: str, call_id: str | None) -> tuple[User | None, ServerCall | None]:
        return self.user(agent), None if call_id is None else self.call(call_id)

    def add_segment(self, call_id: str, event: TranscriptLine) -> bool:
        """Keep the latest version of each utterance: a final replaces its partials, a partial never replaces
        a final. Returns False when the event was such a stale partial (and nothing changed)."""
        with self._tx(self.live_db) as db:
            return self._put_segment(db, call_id, event, self.clock())

    @staticmethod
    def _put_segment(db: Database, call_id: str, event: TranscriptLine, now: float) -> bool:
        kind = _EVENT_KIND[db.dialect]
        cur = db.execute(
            "INSERT INTO segments (call_id, channel, segment_id, event) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (call_id, channel, segment_id) DO UPDATE SET event = excluded.event"
            f" WHERE {kind.format('segments.event')} != 'final'"
            f" OR {kind.format('excluded.event')} = 'final'",
            (call_id, event.channel.value, event.segment_id, to_json(event)),
        )
        if cur.rowcount == 0:
            return False
        if event.kind is EventKind.FINAL:
            # A final is the call's sign of life (partials are not: they come several times a second, and
            # a round trip more each cost PostgreSQL a fifth of its frame rate in bench_transcript_write).
            if event.text and not event.revised:
                db.execute(
                    "UPDATE calls SET last_final = ?, active_at = ? WHERE call_id = ?",
                    (event.text, now, call_id),
                )
            else:
                db.execute("UPDATE calls SET active_at = ? WHERE call_id = ?", (now, call_id))
        return True

    def update_call_info(self, call_id: str, info: JsonObject, max_bytes: int | None = None) -> JsonObject:
        """Merge ``info`` key by key into the call's; ValueError (nothing stored) when the result would be
        larger than ``max_bytes`` of JSON."""
        with self._tx(self.live_db) as db:
            row = one(db.execute("SELECT info FROM calls WHERE call_id = ?", (call_id,)))
            merged = {**json.loads(row["info"]), **info}
            text = json.dumps(merged, ensure_ascii=False, allow_nan=False)
            size = len(text.encode("utf-8"))
            if max_bytes is not None and size > max_bytes:
                raise ValueError(
                    f"field 'info': the call's info would be {size // 1024} KiB,"
                    f" over the {max_bytes // 1024} KiB limit (replace keys, or set old ones to null)"
                )
            db.execute(
                "UPDATE calls SET info = ?, active_at = ? WHERE call_id = ?", (text, self.clock(), call_id)
            )
        return merged

    def transcript_so_far(self, call_id: str) -> list[TranscriptLine]:
        rows = self.live_db.execute(
            f"SELECT event FROM segments WHERE call_id = ? ORDER BY {_FIRST_SEEN[self.live_db.dialect]}",
            (call_id,),
        ).fetchall()
        return [from_json(r["event"], TranscriptLine) for r in rows]

    def live_calls(self, team: str) -> list[ServerCall]:
        """Calls not ended whose agent is connected to some server instance."""
        rows = self.live_db.execute(
            "SELECT * FROM calls WHERE team = ? AND ended_at IS NULL"
            ' AND agent IN (SELECT "user" FROM presence WHERE team = ?) ORDER BY started_at',
            (team, team),
        ).fetchall()
        calls = []
        for row in rows:
            last = one(
                self.team_db.execute(
                    "SELECT MAX(created_at) AS last FROM whispers WHERE call_id = ?", (row["call_id"],)
                )
            )["last"]
            calls.append(_call_row(row, last_whisper_at=last))
        return calls

    # -- presence ------------------------------------------------------------------------------------------

    def connected(self, conn_id: str, instance: str, user: User) -> bool:
        """Record a connection; True when the user had none before (they came online: worth announcing).

        Each statement commits on its own (one row each): a handshake costs two round trips, not four."""
        db = self.live_db
        before = db.execute('SELECT 1 FROM presence WHERE "user" = ? LIMIT 1', (user.name,)).fetchone()
        db.execute(
            _PRESENCE_UPSERT.format(values="(?, ?, ?, ?, ?)"),
            (conn_id, instance, user.name, user.team, self.clock()),
        )
        return before is None

    def connected_many(self, instance: str, connections: list[tuple[str, User]]) -> list[bool]:
        """:meth:`connected` for many connections (a few hundred at most) in one transaction; for each,
        whether its user came online with it (had no connection before, and it is the first of theirs in
        ``connections``)."""
        if not connections:
            return []
        names = sorted({user.name for _, user in connections})
        marks = ",".join("?" * len(names))
        now = self.clock()
        with self._tx(self.live_db) as db:
            before = {
                str(r["user"])
                for r in db.execute(
                    f'SELECT DISTINCT "user" FROM presence WHERE "user" IN ({marks})', tuple(names)
                )
            }
            db.execute(
                _PRESENCE_UPSERT.format(values=",".join(["(?, ?, ?, ?, ?)"] * len(connections))),
                tuple(
                    v for conn_id, user in connections for v in (conn_id, instance, user.name, user.team, now)
                ),
            )
        came: list[bool] = []
        for _, user in connections:
            came.append(user.name not in before)
            before.add(user.name)
        return came

    def disconnected(self, conn_id: str, user: str | None = None) -> bool:
        """Forget a connection; True when ``user`` has no other connection left (they went offline)."""
        db = self.live_db
        db.execute("DELETE FROM presence WHERE conn_id = ?", (conn_id,))
        if user is None:
            return False
        return db.execute('SELECT 1 FROM presence WHERE "user" = ? LIMIT 1', (user,)).fetchone() is None

    def forget_instance(self, instance: str) -> None:
        """At start-up on SQLite (one instance): connections its previous runs held are gone (it may have been
        killed). Presence rows name a run of an instance, ``NAME:RUN``."""
        pattern = instance.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"
        with self._tx(self.live_db) as db:
            db.execute(
                "DELETE FROM presence WHERE instance = ? OR instance LIKE ? ESCAPE '\\'", (instance, pattern)
            )

    def register_instance(self, run: str, legacy: str) -> None:
        """At start-up on a shared database: this run's heartbeat row. A previous run of the same instance is
        not cleared here: its heartbeat has stopped, so its connections expire like any dead instance's,
        and only users still offline then are announced (an agent reconnecting within seconds never flaps).
        Rows of a release that named the instance only (``legacy``) are removed."""
        with self._tx(self.live_db) as db:
            db.execute("DELETE FROM presence WHERE instance = ?", (legacy,))
            db.execute(
                "INSERT INTO instances (name, beat) VALUES (?, 1)"
                " ON CONFLICT (name) DO UPDATE SET beat = instances.beat + 1",
                (run,),
            )

    @staticmethod
    def _drop_connections(db: Database, instance: str) -> list[str]:
        """Delete ``instance``'s presence rows; the users left with no connection anywhere."""
        users = {
            r["user"]
            for r in db.execute('DELETE FROM presence WHERE instance = ? RETURNING "user"', (instance,))
        }
        if not users:
            return []
        marks = ",".join("?" * len(users))
        still = {
            r["user"]
            for r in db.execute(
                f'SELECT DISTINCT "user" FROM presence WHERE "user" IN ({marks})', tuple(users)
            )
        }
        return sorted(users - still)

    def retire_instance(self, instance: str) -> None:
        """A clean stop: the instance's connections and its heartbeat row go."""
        with self._tx(self.live_db) as db:
            db.execute("DELETE FROM presence WHERE instance = ?", (instance,))
            db.execute("DELETE FROM instances WHERE name = ?", (instance,))

    def heartbeat(self, instance: str) -> bool:
        """Move this instance's counter on; False when its row was gone (another instance took it for dead
        while it was stalled, and removed its presence rows: the caller records its connections again)."""
        cur = self.live_db.execute("UPDATE instances SET beat = beat + 1 WHERE name = ?", (instance,))
        if cur.rowcount:
            return True
        self.live_db.execute(
            "INSERT INTO instances (name, beat) VALUES (?, 1)"
            " ON CONFLICT (name) DO UPDATE SET beat = instances.beat + 1",
            (instance,),
        )
        return False

    def instance_beats(self) -> dict[str, int]:
        return {r["name"]: int(r["beat"]) for r in self.live_db.execute("SELECT name, beat FROM instances")}

    def reap_instance(self, instance: str, beat: int) -> list[str]:
        """Remove a dead instance's presence rows, if its counter is still ``beat`` (else it is alive after
        all). Returns the users who have no connection left: they went offline."""
        with self._tx(self.live_db) as db:
            gone = db.execute("DELETE FROM instances WHERE name = ? AND beat = ?", (instance, beat))
            if gone.rowcount == 0:
                return []
            return self._drop_connections(db, instance)

    def reconnect_all(self, instance: str, connections: list[tuple[str, User]]) -> list[str]:
        """Record these connections again (after this instance was taken for dead); returns the users who had
        no other connection: they are back online."""
        names = sorted({user.name for _, user in connections})
        before = set()
        if names:
            marks = ",".join("?" * len(names))
            before = {
                r["user"]
                for r in self.live_db.execute(
                    f'SELECT DISTINCT "user" FROM presence WHERE "user" IN ({marks})', tuple(names)
                )
            }
        for conn_id, user in connections:
            self.connected(conn_id, instance, user)
        return [n for n in names if n not in before]

    def presence(self, team: str) -> list[ServerPresence]:
        online = {
            r["user"]: r["since"]
            for r in self.live_db.execute(
                'SELECT "user", MIN(since) AS since FROM presence WHERE team = ? GROUP BY "user"', (team,)
            )
        }
        calls = {c.agent: c for c in self.live_calls(team)}
        result: list[ServerPresence] = []
        for user in self.team_users(team):
            call = calls.get(user.name)
            result.append(
                ServerPresence(
                    user=user.name,
                    role=user.role.value,
                    online=user.name in online,
                    online_since=online.get(user.name),
                    call=None if call is None else
                    PresenceCall(call_id=call.call_id, customer=call.customer, since=call.started_at),
                )
            )  # fmt: skip
        return result

    def user_presence(self, user: User) -> ServerPresence:
        since = one(
            self.live_db.execute('SELECT MIN(since) AS since FROM presence WHERE "user" = ?', (user.name,))
        )["since"]
        call = self.live_db.execute(
            "SELECT call_id, customer, started_at FROM calls WHERE agent = ? AND ended_at IS NULL"
            " ORDER BY started_at DESC LIMIT 1",
            (user.name,),
        ).fetchone()
        return ServerPresence(
            user=user.name,
            role=user.role.value,
            online=since is not None,
            online_since=since,
            call=None
            if call is None or since is None
            else PresenceCall(
                call_id=call["call_id"],
                customer=_json_object_or_none(call["customer"]),
                since=call["started_at"],
            ),
        )


def _json_object(text: str) -> JsonObject:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"stored JSON is not an object: {text[:80]!r}")
    return value


def _json_object_or_none(text: str | None) -> JsonObject | None:
    return None if text is None else _json_object(text)


def _whisper_row(row: Row) -> ServerWhisper:
    status = (
        WhisperStatus.READ
        if row["read_at"]
        else WhisperStatus.DELIVERED
        if row["delivered_at"]
        else WhisperStatus.SENT
    )
    return ServerWhisper(
        whisper_id=row["whisper_id"],
        agent=row["agent"],
        seq=row["seq"],
        team=row["team"],
        sender=row["sender"],
        call_id=row["call_id"],
        text=row["text"],
        anchor_segment_id=row["anchor_segment_id"],
        attachment=_json_object_or_none(row["attachment"]),
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        read_at=row["read_at"],
        status=status,
    )


def _change_row(row: Row) -> Change:
    return Change(
        seq=row["seq"],
        change_id=row["change_id"],
        team=row["team"],
        kind=RecordKind(row["kind"]),
        record_id=row["record_id"],
        record=_json_object(row["record"]),
        author=row["author"],
        at=row["at"],
    )


def _call_row(row: Row, last_whisper_at: float | None = None) -> ServerCall:
    return ServerCall(
        call_id=row["call_id"],
        team=row["team"],
        agent=row["agent"],
        customer=_json_object_or_none(row["customer"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        info=_json_object(row["info"]),
        last_final=row["last_final"],
        last_whisper_at=last_whisper_at,
    )


def _audit_row(row: Row) -> AuditEntry:
    return AuditEntry(
        seq=row["seq"],
        at=row["at"],
        actor=row["actor"],
        team=row["team"],
        action=row["action"],
        target=row["target"],
        detail=_json_object(row["detail"]),
    )
