"""The local store: one SQLite file holding what the agent's PC knows about customers, knowledge and calls.

Why it looks like this:

* sqlite-utils on one connection per process, guarded by a lock: SQLite allows one writer, and the desktop
  calls us from a worker thread while the UI reads through its own ``Store.open`` on the same file (WAL lets
  readers run beside the writer without blocking).
* Schema changes are migrations registered in this module and recorded in ``schema_version``; opening an
  older file upgrades it in place, opening a newer one is refused with a clear error.
* ``synchronous=FULL`` for notes, follow-ups and whispers (never lose what a person typed or was promised),
  ``NORMAL`` for the rest (a lost transcript line after a power cut is acceptable, a slow call screen is not).
* Full-text search: FTS5 tables hold the *analysed* terms (see ``assist.text``) with the ``unicode61``
  tokenizer, kept in step with their tables by rowid in the same transaction. Knowledge, notes, call
  summaries and transcript segments are indexed, so after-call search (issue 8) can join
  ``segments_fts``/``calls_fts``/``notes_fts`` back to ``segments``/``calls``/``notes`` by rowid.
* Everything stored has passed PII redaction first: the store never sees a raw card number (the
  ``CallSession`` redacts before ``add_segment``, importers redact notes).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import sqlite_utils

from assist import paths
from assist.domain import (
    CallRecord,
    Customer,
    FollowUp,
    FollowUpStatus,
    KnowledgeEntry,
    Note,
    Segment,
    SuggestionFeedback,
    TriggerRule,
    WhisperRecord,
    system_clock,
    utc_iso,
)
from assist.migrations import MigrationError, MigrationSet, current_version, migrate, run_script, table_exists
from assist.phones import index_version as phone_index_version
from assist.phones import national_number, try_normalize_phone
from assist.text import (
    DEFAULT_ANALYZER,
    Analyzer,
    fts_match,
    index_text,
    name_terms,
    to_hiragana,
    to_katakana,
)


class StoreError(Exception):
    """The store file cannot be used (newer schema, not a database, locked)."""


def _j(values: Iterable[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _l(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


# --- migrations -------------------------------------------------------------------------------------------


_run_script = run_script


def _migration_1(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE customers (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, kana TEXT NOT NULL DEFAULT '',
            company TEXT NOT NULL DEFAULT '', phones TEXT NOT NULL DEFAULT '[]',
            email TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]', traits TEXT NOT NULL DEFAULT '[]',
            preferred_language TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL DEFAULT '');
        CREATE INDEX customers_email ON customers(email COLLATE NOCASE);
        CREATE TABLE customer_phones (
            phone TEXT NOT NULL, national TEXT NOT NULL, customer_id TEXT NOT NULL
                REFERENCES customers(id) ON DELETE CASCADE,
            PRIMARY KEY (phone, customer_id)) WITHOUT ROWID;
        CREATE INDEX customer_phones_national ON customer_phones(national);
        CREATE INDEX customer_phones_customer ON customer_phones(customer_id);
        CREATE VIRTUAL TABLE customers_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 0');

        CREATE TABLE notes (
            id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, text TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT 'context',
            pinned INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX notes_customer ON notes(customer_id, pinned DESC, created_at DESC);
        CREATE VIRTUAL TABLE notes_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 0');

        CREATE TABLE follow_ups (
            id TEXT PRIMARY KEY, customer_id TEXT, call_id TEXT, text TEXT NOT NULL,
            due TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open', owner TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT '');
        CREATE INDEX follow_ups_customer ON follow_ups(customer_id, status, due);

        CREATE TABLE knowledge (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]', language TEXT NOT NULL DEFAULT '',
            aliases TEXT NOT NULL DEFAULT '[]', updated_at TEXT NOT NULL DEFAULT '');
        CREATE VIRTUAL TABLE knowledge_fts USING fts5(title, body, aliases,
            tokenize='unicode61 remove_diacritics 0');
        CREATE VIRTUAL TABLE knowledge_vocab USING fts5vocab(knowledge_fts, 'row');

        CREATE TABLE trigger_rules (
            id TEXT PRIMARY KEY, phrases TEXT NOT NULL, entry_id TEXT, script TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT '');

        CREATE TABLE calls (
            id TEXT PRIMARY KEY, customer_id TEXT, agent TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL DEFAULT '', ended_at TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT '', disposition TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL DEFAULT '[]',
            next_action TEXT NOT NULL DEFAULT '');
        CREATE INDEX calls_customer ON calls(customer_id, started_at DESC);
        CREATE INDEX calls_started ON calls(started_at DESC);
        CREATE VIRTUAL TABLE calls_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 0');

        CREATE TABLE segments (
            rowid INTEGER PRIMARY KEY, call_id TEXT NOT NULL, segment_id TEXT NOT NULL, channel TEXT NOT NULL,
            start REAL NOT NULL, "end" REAL NOT NULL, text TEXT NOT NULL, confidence REAL NOT NULL DEFAULT 0,
            UNIQUE (call_id, segment_id));
        CREATE INDEX segments_call_start ON segments(call_id, start);
        CREATE VIRTUAL TABLE segments_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 0');

        CREATE TABLE whispers (
            id TEXT PRIMARY KEY, call_id TEXT NOT NULL, author TEXT NOT NULL DEFAULT '', text TEXT NOT NULL,
            sent_at TEXT NOT NULL DEFAULT '', segment_id TEXT, delivered_at TEXT, read_at TEXT);
        CREATE INDEX whispers_call ON whispers(call_id, sent_at);

        CREATE TABLE suggestion_feedback (
            rowid INTEGER PRIMARY KEY, call_id TEXT NOT NULL, kind TEXT NOT NULL, target_id TEXT NOT NULL,
            action TEXT NOT NULL, at TEXT NOT NULL);
        CREATE INDEX suggestion_feedback_target ON suggestion_feedback(kind, target_id, action);
        CREATE INDEX suggestion_feedback_call ON suggestion_feedback(call_id);

        CREATE TABLE call_cues (
            rowid INTEGER PRIMARY KEY, call_id TEXT NOT NULL, segment_id TEXT NOT NULL, kind TEXT NOT NULL,
            trigger TEXT NOT NULL, phrase TEXT NOT NULL DEFAULT '', at TEXT NOT NULL);
        CREATE INDEX call_cues_call ON call_cues(call_id);
        """,
    )


def _migration_2(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        ALTER TABLE segments ADD COLUMN corrections TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE segments ADD COLUMN source TEXT NOT NULL DEFAULT '';
        """,
    )


def _migration_3(conn: sqlite3.Connection) -> None:
    """ "Helped" examples (assist.semantic: a customer's masked line that an entry answered) know the call
    they came from, so erasing the customer or the call removes them (assist.privacy). Examples kept before
    this step are linked to the call whose transcript line they repeat, where one does."""
    if not table_exists(conn, "knowledge_examples"):
        conn.execute(
            "CREATE TABLE knowledge_examples (entry_id TEXT NOT NULL, language TEXT NOT NULL,"
            " text TEXT NOT NULL, model TEXT NOT NULL, vector BLOB NOT NULL, call_id TEXT,"
            " PRIMARY KEY (entry_id, text))"
        )
    else:
        conn.execute("ALTER TABLE knowledge_examples ADD COLUMN call_id TEXT")
        unlinked = {str(t) for (t,) in conn.execute("SELECT DISTINCT text FROM knowledge_examples")}
        if unlinked:
            found: dict[str, str] = {}
            for call_id, text in conn.execute("SELECT call_id, text FROM segments"):
                said = " ".join(str(text).split())
                if said in unlinked:
                    found.setdefault(said, str(call_id))
            conn.executemany(
                "UPDATE knowledge_examples SET call_id = ? WHERE text = ?", [(c, t) for t, c in found.items()]
            )
    conn.execute("CREATE INDEX knowledge_examples_call ON knowledge_examples(call_id)")


def _migration_4(conn: sqlite3.Connection) -> None:
    """What was erased here (a digest of each customer and call id, never the id, with when): a process
    writing about a call of hers (the app's live call, while ``review delete-customer`` or the Privacy view
    erases her) finds it here and stops, and what it wrote before it looked goes at its call's end or at the
    next opening (assist.privacy)."""
    _run_script(
        conn,
        """
        CREATE TABLE erased_ids (
            kind TEXT NOT NULL, digest TEXT NOT NULL, erased_at TEXT NOT NULL, PRIMARY KEY (kind, digest))
            WITHOUT ROWID;
        CREATE INDEX erased_ids_at ON erased_ids(erased_at);
        """,
    )


# (version, name, apply): append only; never edit a migration that has shipped.
MIGRATIONS: tuple[tuple[int, str, Callable[[sqlite3.Connection], None]], ...] = (
    (
        1,
        "initial schema: customers, notes, follow-ups, knowledge, rules, calls, segments, whispers, feedback",
        _migration_1,
    ),
    (
        2,
        "transcript lines keep the lexicon's corrections and which pass wrote them (live, after-call)",
        _migration_2,
    ),
    (3, "'Helped' examples are linked to the call they came from (erased with it)", _migration_3),
    (
        4,
        "the ids of erased customers and calls are kept (ids only), so no later write brings them back",
        _migration_4,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _adopt_store(conn: sqlite3.Connection) -> int:
    # Stores made before assist.migrations kept their own ledger; its rows become the shared ledger's.
    if not table_exists(conn, "schema_version"):
        return 0
    version = int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])
    conn.execute("DROP TABLE schema_version")
    return version


STORE_MIGRATIONS = MigrationSet("store", MIGRATIONS, adopt=_adopt_store)

# A row as sqlite3 returns it: each column holds what the schema stored there, which the typed record
# built from the row declares (sqlite3 itself types rows as untyped).
Row = Sequence[Any]  # Any: sqlite3 types its rows' columns as Any


def _segment(row: Row) -> Segment:
    call_id, segment_id, channel, start, end, text, confidence, corrections, source = row
    return Segment(
        call_id,
        segment_id,
        channel,
        start,
        end,
        text,
        confidence,
        corrections=tuple(json.loads(corrections or "[]")),
        source=str(source),
    )


@dataclass(frozen=True, slots=True)
class KnowledgeHit:
    """A knowledge entry found by full-text search, with its analysed fields for rescoring."""

    entry: KnowledgeEntry
    title_terms: str
    body_terms: str
    alias_terms: str
    rank: float


class Store:
    """The local SQLite store. Open with ``Store.open()``; one instance per process does the writing."""

    def __init__(self, db: sqlite_utils.Database, analyzer: Analyzer) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.analyzer = analyzer
        self._lock = threading.RLock()
        self.knowledge_version = 0  # bumped on every knowledge write, so matchers can drop cached statistics
        self._seen_data_version = -1  # PRAGMA data_version when knowledge_key() was last read
        self._seen_knowledge: tuple[object, ...] | None = None

    @property
    def path(self) -> Path | None:
        """The database file, or None for an in-memory store (which no other connection can open)."""
        row = self.conn.execute("PRAGMA database_list").fetchone()
        return Path(row[2]) if row and row[2] else None

    # --- opening ------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str | None = None, analyzer: Analyzer | None = None) -> Store:
        """Open (creating and migrating as needed) the store at ``path``; None means the user's data dir,
        ``":memory:"`` an in-memory store for tests. ``analyzer`` only applies when the file is new."""
        target = paths.store_path() if path is None else path
        memory = str(target) == ":memory:"
        try:
            conn = sqlite3.connect(
                ":memory:" if memory else str(target),
                check_same_thread=False,
                isolation_level=None,
                timeout=10,
            )
            conn.execute("PRAGMA foreign_keys = ON")
            if not memory:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Live matching reads FTS pages on every customer line: keep them mapped and cached, not re-read.
            conn.execute("PRAGMA mmap_size = 268435456")
            conn.execute("PRAGMA cache_size = -32768")
            db = sqlite_utils.Database(conn)
            version = cls._migrate(conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{target}: cannot open the store: {exc}") from exc
        row = conn.execute("SELECT value FROM meta WHERE key = 'analyzer'").fetchone()
        if row is None:
            chosen = analyzer or DEFAULT_ANALYZER
            conn.execute("INSERT INTO meta(key, value) VALUES ('analyzer', ?)", (chosen.value,))
        else:
            chosen = Analyzer(row[0])
        del version
        store = cls(db, chosen)
        store._reindex_phones_if_stale()
        return store

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> int:
        try:
            return migrate(conn, STORE_MIGRATIONS)
        except MigrationError as exc:
            raise StoreError(str(exc)) from exc

    def schema_version(self) -> int:
        return current_version(self.conn, STORE_MIGRATIONS)

    def apply_migrations(self, migrations: MigrationSet[sqlite3.Connection]) -> int:
        """Bring another schema that lives in this file (e.g. review's tables) to its newest version."""
        with self._lock:
            return migrate(self.conn, migrations)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``durable`` switches to synchronous=FULL for it (notes, promises,
        whispers)."""
        with self._lock:
            if self.conn.in_transaction:  # nested: join the outer transaction
                yield self.conn
                return
            if durable:
                self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            finally:
                if durable:
                    self.conn.execute("PRAGMA synchronous = NORMAL")

    _FTS_COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "knowledge_fts": ("title", "body", "aliases"),
        "customers_fts": ("terms",),
        "notes_fts": ("terms",),
        "calls_fts": ("terms",),
        "segments_fts": ("terms",),
    }

    def _fts_replace(self, table: str, rowid: int, values: Sequence[str]) -> None:
        columns = self._FTS_COLUMNS[table]
        marks = ", ?" * len(columns)
        self.conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,))
        self.conn.execute(
            f"INSERT INTO {table}(rowid, {', '.join(columns)}) VALUES (?{marks})", (rowid, *values)
        )

    def _rowid(self, table: str, id_: str) -> int:
        return int(self.conn.execute(f"SELECT rowid FROM {table} WHERE id = ?", (id_,)).fetchone()[0])

    # --- customers ----------------------------------------------------------------------------------------

    def upsert_customer(self, customer: Customer) -> None:
        with self.transaction():
            self._upsert_customer(customer)

    def upsert_customers(self, customers: Iterable[Customer]) -> int:
        count = 0
        with self.transaction():
            for customer in customers:
                self._upsert_customer(customer)
                count += 1
        return count

    def _upsert_customer(self, c: Customer) -> None:
        self.conn.execute(
            """INSERT INTO customers(id, name, kana, company, phones, email, tags, traits, preferred_language,
                   updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(id) DO UPDATE SET name=excluded.name, kana=excluded.kana, company=excluded.company,
                   phones=excluded.phones, email=excluded.email, tags=excluded.tags, traits=excluded.traits,
                   preferred_language=excluded.preferred_language, updated_at=excluded.updated_at""",
            (
                c.id,
                c.name,
                c.kana,
                c.company,
                _j(c.phones),
                c.email,
                _j(c.tags),
                _j(c.traits),
                c.preferred_language,
                c.updated_at or utc_iso(system_clock()),
            ),
        )
        self.conn.execute("DELETE FROM customer_phones WHERE customer_id = ?", (c.id,))
        self._index_phones(c.id, c.phones)
        searchable = " ".join(name_terms(" ".join((c.name, c.kana, c.company, c.email))))
        self._fts_replace("customers_fts", self._rowid("customers", c.id), (searchable,))

    def _index_phones(self, customer_id: str, phones: Iterable[str]) -> None:
        for phone in phones:
            normalized = try_normalize_phone(phone)
            if normalized:
                self.conn.execute(
                    "INSERT OR IGNORE INTO customer_phones(phone, national, customer_id) VALUES (?,?,?)",
                    (normalized, national_number(normalized), customer_id),
                )

    def _reindex_phones_if_stale(self) -> None:
        """Customers' numbers are indexed in the form assist.phones gives them; when that form changes
        (another default region, another parser), they are indexed again, once."""
        wanted = phone_index_version()
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'phone_index'").fetchone()
        if row is not None and row[0] == wanted:
            return
        with self.transaction():
            self.conn.execute("DELETE FROM customer_phones")
            for customer_id, phones in self.conn.execute("SELECT id, phones FROM customers").fetchall():
                self._index_phones(customer_id, _l(phones))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('phone_index', ?)", (wanted,))

    def get_customer(self, customer_id: str) -> Customer | None:
        row = self.conn.execute(
            "SELECT id, name, kana, company, phones, email, tags, traits, preferred_language, updated_at "
            "FROM customers WHERE id = ?",
            (customer_id,),
        ).fetchone()
        return self._customer(row) if row else None

    @staticmethod
    def _customer(row: Row) -> Customer:
        return Customer(
            id=row[0],
            name=row[1],
            kana=row[2],
            company=row[3],
            phones=_l(row[4]),
            email=row[5],
            tags=_l(row[6]),
            traits=_l(row[7]),
            preferred_language=row[8],
            updated_at=row[9],
        )

    def customers_by_phone(self, normalized: str) -> list[Customer]:
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT customer_id FROM customer_phones WHERE phone = ?", (normalized,)
            )
        ]
        if not ids:
            ids = [
                r[0]
                for r in self.conn.execute(
                    "SELECT customer_id FROM customer_phones WHERE national = ?",
                    (national_number(normalized),),
                )
            ]
        return [c for c in (self.get_customer(i) for i in dict.fromkeys(ids)) if c is not None]

    def search_customers(self, text: str, limit: int = 20) -> list[Customer]:
        text = text.strip()
        if "@" in text:
            rows = self.conn.execute(
                "SELECT id FROM customers WHERE email = ? COLLATE NOCASE LIMIT ?", (text, limit)
            ).fetchall()
            return [c for c in (self.get_customer(r[0]) for r in rows) if c]
        query_terms = name_terms(text)
        if not query_terms:
            return []
        # Kana folded both ways (すずき finds スズキ and ｽｽﾞｷ, which NFKC makes スズキ): the index holds names
        # as they were written, so each term looks for its hiragana and katakana forms.
        match = " AND ".join(
            "("
            + " OR ".join(
                '"' + v.replace('"', '""') + '"' for v in dict.fromkeys((t, to_katakana(t), to_hiragana(t)))
            )
            + ")"
            for t in dict.fromkeys(query_terms)
        )
        rows = self.conn.execute(
            "SELECT c.id FROM customers_fts JOIN customers c ON c.rowid = customers_fts.rowid "
            "WHERE customers_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, limit),
        ).fetchall()
        return [c for c in (self.get_customer(r[0]) for r in rows) if c]

    def all_customers(self) -> Iterator[Customer]:
        for row in self.conn.execute(
            "SELECT id, name, kana, company, phones, email, tags, traits, preferred_language, updated_at "
            "FROM customers ORDER BY rowid"
        ):
            yield self._customer(row)

    def held_team_changes(self) -> list[str]:
        """Team changes this PC accepted but has not applied yet (their JSON texts, oldest first): a change
        that arrives during a call waits for it to end, and must outlive a crash until then."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'held_team_changes'").fetchone()
        return [str(text) for text in json.loads(row[0])] if row else []

    def hold_team_changes(self, changes: Sequence[str]) -> None:
        """Replace the held team changes (an empty list: all applied)."""
        with self.transaction():
            if changes:
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('held_team_changes', ?)",
                    (json.dumps(list(changes), ensure_ascii=False),),
                )
            else:
                self.conn.execute("DELETE FROM meta WHERE key = 'held_team_changes'")

    def count(self, table: str) -> int:
        if table not in {
            "customers",
            "knowledge",
            "notes",
            "calls",
            "segments",
            "follow_ups",
            "whispers",
            "trigger_rules",
            "suggestion_feedback",
            "call_cues",
        }:
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    # --- notes --------------------------------------------------------------------------------------------

    def upsert_note(self, note: Note) -> None:
        with self.transaction(durable=True):
            self._upsert_note(note)

    def _upsert_note(self, n: Note) -> None:
        self.conn.execute(
            """INSERT INTO notes(id, customer_id, text, author, created_at, kind, pinned)
            VALUES (?,?,?,?,?,?,?)
               ON CONFLICT(id) DO UPDATE SET customer_id=excluded.customer_id, text=excluded.text,
               author=excluded.author, created_at=excluded.created_at, kind=excluded.kind,
               pinned=excluded.pinned""",
            (
                n.id,
                n.customer_id,
                n.text,
                n.author,
                n.created_at or utc_iso(system_clock()),
                n.kind.value,
                int(n.pinned),
            ),
        )
        self._fts_replace("notes_fts", self._rowid("notes", n.id), (index_text(n.text, self.analyzer),))

    def notes_for(self, customer_id: str) -> list[Note]:
        rows = self.conn.execute(
            "SELECT id, customer_id, text, author, created_at, kind, pinned FROM notes WHERE customer_id = ? "
            # Timestamps keep whole seconds: notes written in the same second (quick notes taken one after
            # the other) come newest first too, by the order they were written in.
            "ORDER BY pinned DESC, CASE kind WHEN 'caution' THEN 0 ELSE 1 END, created_at DESC, rowid DESC",
            (customer_id,),
        )
        return [
            Note.from_dict(
                dict(
                    zip(
                        ("id", "customer_id", "text", "author", "created_at", "kind", "pinned"),
                        r,
                        strict=True,
                    )
                )
            )
            for r in rows
        ]

    # --- follow-ups ---------------------------------------------------------------------------------------

    def upsert_follow_up(self, f: FollowUp, updated_at: str = "") -> None:
        with self.transaction(durable=True):
            self.conn.execute(
                """INSERT INTO follow_ups(id, customer_id, call_id, text, due, status, owner,
                   created_at, updated_at)
                   VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET customer_id=excluded.customer_id,
                   call_id=excluded.call_id, text=excluded.text, due=excluded.due, status=excluded.status,
                   owner=excluded.owner, updated_at=excluded.updated_at""",
                (
                    f.id,
                    f.customer_id,
                    f.call_id,
                    f.text,
                    f.due,
                    f.status.value,
                    f.owner,
                    f.created_at or utc_iso(system_clock()),
                    updated_at or utc_iso(system_clock()),
                ),
            )

    def follow_ups_for(
        self, customer_id: str, status: FollowUpStatus | None = FollowUpStatus.OPEN
    ) -> list[FollowUp]:
        sql = (
            "SELECT id, customer_id, text, due, status, call_id, owner, created_at FROM follow_ups "
            "WHERE customer_id = ?"
        )
        params: list[object] = [customer_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(status.value)
        rows = self.conn.execute(sql + " ORDER BY due, created_at", params)
        keys = ("id", "customer_id", "text", "due", "status", "call_id", "owner", "created_at")
        return [FollowUp.from_dict(dict(zip(keys, r, strict=True))) for r in rows]

    def follow_ups_changed_since(self, customer_id: str, since: str) -> list[tuple[FollowUp, str]]:
        """Follow-ups of a customer created or changed after ``since`` (ISO time), with when they changed."""
        rows = self.conn.execute(
            "SELECT id, customer_id, text, due, status, call_id, owner, created_at, updated_at FROM "
            "follow_ups WHERE customer_id = ? AND updated_at > ? ORDER BY updated_at",
            (customer_id, since),
        )
        keys = ("id", "customer_id", "text", "due", "status", "call_id", "owner", "created_at")
        return [(FollowUp.from_dict(dict(zip(keys, r[:8], strict=True))), r[8]) for r in rows]

    # --- knowledge ----------------------------------------------------------------------------------------

    def upsert_knowledge(self, entries: Iterable[KnowledgeEntry]) -> int:
        count = 0
        with self.transaction():
            for e in entries:
                self.conn.execute(
                    """INSERT INTO knowledge(id, title, body, tags, language, aliases, updated_at)
                       VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET title=excluded.title,
                       body=excluded.body, tags=excluded.tags, language=excluded.language,
                       aliases=excluded.aliases, updated_at=excluded.updated_at""",
                    (
                        e.id,
                        e.title,
                        e.body,
                        _j(e.tags),
                        e.language,
                        _j(e.aliases),
                        e.updated_at or utc_iso(system_clock()),
                    ),
                )
                self._fts_replace(
                    "knowledge_fts",
                    self._rowid("knowledge", e.id),
                    (
                        index_text(e.title, self.analyzer),
                        index_text(e.body, self.analyzer),
                        index_text(" 。 ".join((*e.aliases, *e.tags)), self.analyzer),
                    ),
                )
                count += 1
            self.knowledge_version += 1
        return count

    def knowledge_key(self) -> tuple[object, ...]:
        """A key that changes whenever the knowledge table does, whoever wrote it: its row count, newest row,
        newest edit and the length of its texts (reads every row: ~0.1 s at 100,000 entries)."""
        row = self.conn.execute(
            "SELECT count(*), max(rowid), max(updated_at), "
            "total(length(title) + length(body) + length(aliases) + length(language)) FROM knowledge"
        ).fetchone()
        return tuple(row)

    def notice_knowledge_from_elsewhere(self) -> bool:
        """Bump :attr:`knowledge_version` when another connection (``kb import`` in another process while the
        app runs, a second window) changed the knowledge since this was last asked, so what matchers keep from
        call to call is read again. Cheap when nobody else wrote to the file (``PRAGMA data_version``)."""
        with self._lock:
            version = int(self.conn.execute("PRAGMA data_version").fetchone()[0])
            if version == self._seen_data_version:
                return False
            self._seen_data_version = version
            key = self.knowledge_key()
            changed = self._seen_knowledge is not None and key != self._seen_knowledge
            self._seen_knowledge = key
            if changed:
                self.knowledge_version += 1
            return changed

    def delete_knowledge(self, entry_id: str) -> bool:
        with self.transaction():
            row = self.conn.execute("SELECT rowid FROM knowledge WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                return False
            self.conn.execute("DELETE FROM knowledge_fts WHERE rowid = ?", (row[0],))
            self.conn.execute("DELETE FROM knowledge WHERE rowid = ?", (row[0],))
            self.knowledge_version += 1
        return True

    _K_COLS = "k.id, k.title, k.body, k.tags, k.language, k.aliases, k.updated_at"

    @staticmethod
    def _knowledge(row: Row) -> KnowledgeEntry:
        return KnowledgeEntry(
            id=row[0],
            title=row[1],
            body=row[2],
            tags=_l(row[3]),
            language=row[4],
            aliases=_l(row[5]),
            updated_at=row[6],
        )

    def get_knowledge(self, entry_id: str) -> KnowledgeEntry | None:
        row = self.conn.execute(
            f"SELECT {self._K_COLS} FROM knowledge k WHERE id = ?", (entry_id,)
        ).fetchone()
        return self._knowledge(row) if row else None

    def all_knowledge(self) -> Iterator[KnowledgeEntry]:
        for row in self.conn.execute(f"SELECT {self._K_COLS} FROM knowledge k ORDER BY rowid"):
            yield self._knowledge(row)

    def knowledge_candidates(
        self, query_terms: Sequence[str], limit: int = 30, title_only: Iterable[str] = ()
    ) -> list[KnowledgeHit]:
        """Entries sharing any of the terms, best BM25 first (title and aliases count more than the body).

        Terms in ``title_only`` are looked for in titles and aliases only: for a word found in thousands of
        entries, ranking every body that mentions it costs tens of milliseconds at 100,000 entries, and an
        entry that only mentions it in passing is a weak card anyway."""
        restricted = [t for t in dict.fromkeys(title_only) if t in set(query_terms)]
        anywhere = [t for t in dict.fromkeys(query_terms) if t not in set(restricted)]
        parts = [fts_match(anywhere)] if anywhere else []
        if restricted:
            parts.append("{title aliases} : (" + fts_match(restricted) + ")")
        if not parts:
            return []
        # Ranked first, read after: only the best ``limit`` entries and their indexed text are read, not those
        # of every entry sharing a term (at 100,000 entries that took about a third off the query).
        top = self.conn.execute(
            """SELECT rowid, bm25(knowledge_fts, 3.0, 1.0, 3.0) AS score FROM knowledge_fts
               WHERE knowledge_fts MATCH ? ORDER BY score LIMIT ?""",
            (" OR ".join(parts), limit),
        ).fetchall()
        if not top:
            return []
        marks = ",".join("?" * len(top))
        rows = {
            r[0]: r[1:]
            for r in self.conn.execute(
                f"""SELECT k.rowid, {self._K_COLS}, f.title, f.body, f.aliases
                    FROM knowledge k JOIN knowledge_fts f ON f.rowid = k.rowid WHERE k.rowid IN ({marks})""",
                [rowid for rowid, _ in top],
            )
        }
        return [
            KnowledgeHit(self._knowledge(r[:7]), r[7], r[8], r[9], float(score))
            for rowid, score in top
            if (r := rows.get(rowid)) is not None
        ]

    def knowledge_term_frequencies(self, query_terms: Iterable[str]) -> dict[str, int]:
        """How many knowledge entries contain each term (for weighting rare words above common ones)."""
        from assist.text import fts_token

        wanted = {fts_token(t): t for t in query_terms}
        result = dict.fromkeys(wanted.values(), 0)
        for token, term in wanted.items():
            row = self.conn.execute("SELECT doc FROM knowledge_vocab WHERE term = ?", (token,)).fetchone()
            if row:
                result[term] = int(row[0])
        return result

    # --- trigger rules ------------------------------------------------------------------------------------

    def upsert_trigger_rule(self, rule: TriggerRule) -> None:
        with self.transaction():
            self.conn.execute(
                """INSERT INTO trigger_rules(id, phrases, entry_id, script, language) VALUES (?,?,?,?,?)
                   ON CONFLICT(id) DO UPDATE SET phrases=excluded.phrases, entry_id=excluded.entry_id,
                   script=excluded.script, language=excluded.language""",
                (rule.id, _j(rule.phrases), rule.entry_id, rule.script, rule.language),
            )
            self.knowledge_version += 1

    def delete_trigger_rule(self, rule_id: str) -> None:
        with self.transaction():
            if self.conn.execute("DELETE FROM trigger_rules WHERE id = ?", (rule_id,)).rowcount:
                self.knowledge_version += 1

    def trigger_rules(self) -> list[TriggerRule]:
        return [
            TriggerRule(id=r[0], phrases=_l(r[1]), entry_id=r[2], script=r[3], language=r[4])
            for r in self.conn.execute("SELECT id, phrases, entry_id, script, language FROM trigger_rules")
        ]

    # --- calls and transcripts ----------------------------------------------------------------------------

    def upsert_call(self, call: CallRecord) -> None:
        with self.transaction(durable=True):
            self.conn.execute(
                """INSERT INTO calls(id, customer_id, agent, started_at, ended_at, language, disposition,
                       summary, tags, next_action) VALUES (?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(id) DO UPDATE SET customer_id=excluded.customer_id, agent=excluded.agent,
                   started_at=excluded.started_at, ended_at=excluded.ended_at, language=excluded.language,
                   disposition=excluded.disposition, summary=excluded.summary, tags=excluded.tags,
                   next_action=excluded.next_action""",
                (
                    call.id,
                    call.customer_id,
                    call.agent,
                    call.started_at,
                    call.ended_at,
                    call.language,
                    call.disposition,
                    call.summary,
                    _j(call.tags),
                    call.next_action,
                ),
            )
            text = " 。 ".join((call.summary, call.next_action, " ".join(call.tags)))
            self._fts_replace("calls_fts", self._rowid("calls", call.id), (index_text(text, self.analyzer),))

    def get_call(self, call_id: str) -> CallRecord | None:
        row = self.conn.execute(
            "SELECT id, customer_id, agent, started_at, ended_at, language, disposition, summary, tags, "
            "next_action FROM calls WHERE id = ?",
            (call_id,),
        ).fetchone()
        return self._call(row) if row else None

    @staticmethod
    def _call(r: Row) -> CallRecord:
        return CallRecord(
            id=r[0],
            customer_id=r[1],
            agent=r[2],
            started_at=r[3],
            ended_at=r[4],
            language=r[5],
            disposition=r[6],
            summary=r[7],
            tags=_l(r[8]),
            next_action=r[9],
        )

    def calls_for(self, customer_id: str, limit: int = 5) -> list[CallRecord]:
        rows = self.conn.execute(
            "SELECT id, customer_id, agent, started_at, ended_at, language, disposition, summary, tags, "
            "next_action FROM calls WHERE customer_id = ? ORDER BY started_at DESC LIMIT ?",
            (customer_id, limit),
        )
        return [self._call(r) for r in rows]

    def call_count_for(self, customer_id: str) -> int:
        """How many calls with this customer are stored."""
        row = self.conn.execute("SELECT COUNT(*) FROM calls WHERE customer_id = ?", (customer_id,))
        return int(row.fetchone()[0])

    def add_segment(self, segment: Segment) -> None:
        """Store one final (already redacted) line; a repeated segment id replaces the earlier text."""
        self.add_segments((segment,))

    def add_segments(self, segments: Iterable[Segment]) -> int:
        count = 0
        with self.transaction():
            for s in segments:
                row = self.conn.execute(
                    """INSERT INTO segments(call_id, segment_id, channel, start, "end", text, confidence,
                       corrections, source)
                       VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(call_id, segment_id) DO UPDATE SET
                       channel=excluded.channel, start=excluded.start, "end"=excluded."end",
                       text=excluded.text,
                       confidence=excluded.confidence, corrections=excluded.corrections,
                       source=excluded.source RETURNING rowid""",
                    (
                        s.call_id,
                        s.segment_id,
                        s.channel,
                        s.start,
                        s.end,
                        s.text,
                        s.confidence,
                        json.dumps(list(s.corrections), ensure_ascii=False),
                        s.source,
                    ),
                ).fetchone()
                self._fts_replace("segments_fts", int(row[0]), (index_text(s.text, self.analyzer),))
                count += 1
        return count

    def merge_segment(self, call_id: str, segment_id: str, into: str) -> bool:
        """A line folded into another by the second pass over a turn: the row goes, and what pointed at it (a
        whisper's anchor, a cue) points at ``into``. False when there was no such line."""
        with self.transaction():
            row = self.conn.execute(
                "DELETE FROM segments WHERE call_id = ? AND segment_id = ? RETURNING rowid",
                (call_id, segment_id),
            ).fetchone()
            if row is None:
                return False
            self.conn.execute("DELETE FROM segments_fts WHERE rowid = ?", (int(row[0]),))
            for table in ("whispers", "call_cues"):
                self.conn.execute(
                    f"UPDATE {table} SET segment_id = ? WHERE call_id = ? AND segment_id = ?",
                    (into, call_id, segment_id),
                )
        return True

    def replace_segments(self, call_id: str, segments: Sequence[Segment]) -> int:
        """The call's lines replaced by ``segments`` (the after-call quality pass): the old rows and their
        search entries go, and what pointed at an old line (a whisper's anchor, a cue) points at the new
        line that overlaps it most in time on the same channel (the nearest one when none overlaps)."""
        with self.transaction():
            old = self.conn.execute(
                'SELECT rowid, segment_id, channel, start, "end" FROM segments WHERE call_id = ?', (call_id,)
            ).fetchall()
            moves: dict[str, str] = {}
            for _, segment_id, channel, start, end in old:
                same = [s for s in segments if s.channel == channel] or list(segments)
                if not same:
                    continue
                best = max(
                    same,
                    key=lambda s: (min(end, s.end) - max(start, s.start), -abs(s.start - start)),
                )
                moves[segment_id] = best.segment_id
            for rowid, *_ in old:
                self.conn.execute("DELETE FROM segments_fts WHERE rowid = ?", (int(rowid),))
            self.conn.execute("DELETE FROM segments WHERE call_id = ?", (call_id,))
            count = self.add_segments(segments)
            for table in ("whispers", "call_cues"):
                anchored = self.conn.execute(
                    f"SELECT rowid, segment_id FROM {table} WHERE call_id = ?", (call_id,)
                ).fetchall()
                for rowid, before in anchored:  # row by row: an old id may equal a new one
                    if before in moves:
                        self.conn.execute(
                            f"UPDATE {table} SET segment_id = ? WHERE rowid = ?", (moves[before], rowid)
                        )
        return count

    def segments_for(self, call_id: str) -> list[Segment]:
        rows = self.conn.execute(
            'SELECT call_id, segment_id, channel, start, "end", text, confidence, corrections, source '
            "FROM segments WHERE call_id = ? ORDER BY start",
            (call_id,),
        )
        return [_segment(r) for r in rows]

    def search_segments(self, text: str, limit: int = 50) -> list[Segment]:
        """Transcript lines containing all the terms of ``text`` (a base for after-call search)."""
        from assist.text import terms

        query_terms = terms(text, self.analyzer)
        if not query_terms:
            return []
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(query_terms))
        rows = self.conn.execute(
            'SELECT s.call_id, s.segment_id, s.channel, s.start, s."end", s.text, s.confidence, '
            "s.corrections, s.source FROM segments_fts f JOIN segments s ON s.rowid = f.rowid "
            "WHERE segments_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, limit),
        )
        return [_segment(r) for r in rows]

    # --- whispers, feedback, cues -------------------------------------------------------------------------

    def upsert_whisper(self, w: WhisperRecord) -> None:
        with self.transaction(durable=True):
            self.conn.execute(
                """INSERT INTO whispers(id, call_id, author, text, sent_at, segment_id, delivered_at, read_at)
                   VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET
                   delivered_at=COALESCE(excluded.delivered_at, delivered_at),
                   read_at=COALESCE(excluded.read_at, read_at)""",
                (w.id, w.call_id, w.author, w.text, w.sent_at, w.segment_id, w.delivered_at, w.read_at),
            )

    def mark_whisper_read(self, whisper_id: str, read_at: str) -> bool:
        """The agent read the whisper (the first time counts); False when no such whisper is kept."""
        with self.transaction(durable=True):
            cur = self.conn.execute(
                "UPDATE whispers SET read_at = COALESCE(read_at, ?) WHERE id = ?", (read_at, whisper_id)
            )
        return cur.rowcount > 0

    def whispers_for(self, call_id: str) -> list[WhisperRecord]:
        rows = self.conn.execute(
            "SELECT id, call_id, author, text, sent_at, segment_id, delivered_at, read_at FROM whispers "
            "WHERE call_id = ? ORDER BY sent_at",
            (call_id,),
        )
        return [WhisperRecord(*r) for r in rows]

    def add_feedback(self, feedback: SuggestionFeedback) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO suggestion_feedback(call_id, kind, target_id, action, at) VALUES (?,?,?,?,?)",
                (
                    feedback.call_id,
                    feedback.kind.value,
                    feedback.target_id,
                    feedback.action.value,
                    feedback.at,
                ),
            )

    def add_cue(self, call_id: str, segment_id: str, kind: str, trigger: str, phrase: str, at: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO call_cues(call_id, segment_id, kind, trigger, phrase, at) VALUES (?,?,?,?,?,?)",
                (call_id, segment_id, kind, trigger, phrase, at),
            )

    def rebuild_search_indexes(self) -> None:
        """Re-derive the FTS rows of knowledge, customers, notes and calls from their tables.

        Those tables key their FTS rows by the implicit rowid, which VACUUM may renumber; segments have an
        explicit INTEGER PRIMARY KEY and keep theirs."""
        with self.transaction():
            for table in ("knowledge_fts", "customers_fts", "notes_fts", "calls_fts"):
                self.conn.execute(f"DELETE FROM {table}")
            for entry in list(self.all_knowledge()):
                self.upsert_knowledge([entry])
            for customer in list(self.all_customers()):
                self._upsert_customer(customer)
            for (note_id,) in self.conn.execute("SELECT id FROM notes").fetchall():
                row = self.conn.execute(
                    "SELECT id, customer_id, text, author, created_at, kind, pinned FROM notes WHERE id = ?",
                    (note_id,),
                ).fetchone()
                self._upsert_note(
                    Note.from_dict(
                        dict(
                            zip(
                                ("id", "customer_id", "text", "author", "created_at", "kind", "pinned"),
                                row,
                                strict=True,
                            )
                        )
                    )
                )
            for (call_id,) in self.conn.execute("SELECT id FROM calls").fetchall():
                call = self.get_call(call_id)
                if call is not None:
                    text = " 。 ".join((call.summary, call.next_action, " ".join(call.tags)))
                    self._fts_replace(
                        "calls_fts", self._rowid("calls", call.id), (index_text(text, self.analyzer),)
                    )

    def vacuum(self) -> None:
        """Compact the file (e.g. after erasing a customer) and keep search consistent afterwards."""
        with self._lock:
            self.conn.execute("VACUUM")
            self.rebuild_search_indexes()

    def dump_all_text(self) -> str:
        """Every text value in every table and FTS index, for tests proving a value was never stored."""
        parts: list[str] = []
        tables = [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table')")]
        for table in tables:
            if table.endswith(("_config", "_docsize", "_idx", "_data")):
                # FTS shadow tables hold binary segments; the vocab view below lists their terms.
                continue
            for row in self.conn.execute(f'SELECT * FROM "{table}"'):
                parts.extend(str(v) for v in row if v is not None)
        for table in ("knowledge_fts", "notes_fts", "calls_fts", "segments_fts", "customers_fts"):
            vocab = f"temp_{table}_vocab"
            self.conn.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocab} USING fts5vocab(main, {table}, 'row')"
            )
            parts.extend(r[0] for r in self.conn.execute(f"SELECT term FROM temp.{vocab}"))
        return "\n".join(parts)
