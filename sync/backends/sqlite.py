"""SQLite files in the server's data directory: the embedded default for one instance (WAL, one writer at a
time)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sync.backends import Params

# Calls committed together at most by the durable-log thread: bounds how long the first of a huge burst waits.
GROUP_LIMIT = 64


def split_script(script: str) -> list[str]:
    """The statements of a schema script (no semicolons inside literals in ours)."""
    return [s.strip() for s in script.split(";") if s.strip()]


class SqliteDatabase:
    dialect = "sqlite"
    group_limit = GROUP_LIMIT

    def __init__(self, path: Path, *, durable: bool) -> None:
        self.path = path
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        db.execute("PRAGMA busy_timeout=30000")
        # Deleted text is overwritten, not left in free space: erasure and retention leave no byte behind.
        db.execute("PRAGMA secure_delete=ON")
        self.connection = db

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, params)

    def executescript(self, sql: str) -> None:
        # sqlite3's executescript would commit an open transaction first; migrations run inside one.
        for statement in split_script(sql):
            self.connection.execute(statement)

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    def begin(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    def begin_exclusive(self) -> None:
        self.begin()  # BEGIN IMMEDIATE holds the file's write lock

    def table_exists(self, name: str) -> bool:
        row = self.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def is_retryable(self, exc: BaseException) -> bool:
        return False  # writers are serialised by the write lock: no deadlocks to retry

    def close(self) -> None:
        self.connection.close()
