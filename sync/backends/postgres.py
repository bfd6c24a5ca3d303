"""PostgreSQL (psycopg 3): one database shared by several server instances.

Statements are written once with ``?`` placeholders (as for SQLite) and translated here. The connection runs
in autocommit mode with explicit ``BEGIN``/``COMMIT``, like the SQLite one, so the durable-log thread's
transactions and savepoints mean the same on both. A lost connection (server down or restarted) is reopened at
the next transaction; while it cannot be, every call raises :class:`~sync.backends.DatabaseUnavailable`, which
the team server turns into a retryable error: nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from sync.backends import DatabaseUnavailable, Params, Value
from sync.backends.sqlite import split_script

# One transaction per durable-log call: rows locked by one call (an agent's whisper counter, a team's feed
# head) are then never held while waiting for another's, so instances cannot deadlock. PostgreSQL groups the
# commits of concurrent connections into one WAL flush by itself.
GROUP_LIMIT = 1

# A constant every instance agrees on: the advisory lock held while the schema is migrated.
_MIGRATION_LOCK = 0x61617373  # "aass"


class Row(dict[str, Value]):
    """A row read by column name, like ``sqlite3.Row`` (and by position for ``fetchone()[0]``)."""

    __slots__ = ("_values",)

    def __init__(self, names: Sequence[str], values: Sequence[Value]) -> None:
        super().__init__(zip(names, values, strict=True))
        self._values = values

    def __getitem__(self, key: str | int, /) -> Value:
        if isinstance(key, int):
            return self._values[key]
        return super().__getitem__(key)


def _rows(cursor: psycopg.Cursor[Row]) -> Callable[[Sequence[Value]], Row]:
    names = [column.name for column in cursor.description or ()]
    return functools.partial(Row, names)


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


class PostgresDatabase:
    dialect = "postgresql"
    group_limit = GROUP_LIMIT

    def __init__(self, url: str, *, durable: bool, connect_timeout: float = 5.0) -> None:
        self.url = url
        self._options = f"-c synchronous_commit={'on' if durable else 'off'}"
        self._connect_timeout = max(1, round(connect_timeout))
        self._conn: psycopg.Connection[Row] | None = None
        self._in_tx = False
        self._connect()

    def _connect(self) -> psycopg.Connection[Row]:
        try:
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=_rows,
                options=self._options,
                connect_timeout=self._connect_timeout,
                application_name="agent-assist-server",
            )
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(f"PostgreSQL at {redact(self.url)} is unavailable: {exc}") from exc
        self._conn = conn
        return conn

    def _live(self) -> psycopg.Connection[Row]:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            if self._in_tx:
                # Never carry on in a new connection: the writes before this point went down with the old one.
                raise DatabaseUnavailable(f"lost PostgreSQL at {redact(self.url)} inside a transaction")
            if conn is not None:
                conn.close()
            conn = self._connect()
        return conn

    def execute(self, sql: str, params: Params = ()) -> psycopg.Cursor[Row]:
        # Outside a transaction a connection found dead (PostgreSQL restarted since its last use) is replaced
        # and the statement sent again: the dead one never ran it. Inside one, the transaction is lost with
        # it.
        for attempt in range(2):
            conn = self._live()
            outside = not self._in_tx
            try:
                return conn.execute(translate(sql), tuple(params) or None)
            except psycopg.OperationalError as exc:
                if not (conn.closed or conn.broken):
                    raise
                if attempt == 0 and outside:
                    continue
                raise DatabaseUnavailable(f"lost PostgreSQL at {redact(self.url)}: {exc}") from exc
            finally:
                if not conn.broken and not conn.closed:
                    # Whoever issued BEGIN/COMMIT (this class, a migration, the durable thread), we know.
                    self._in_tx = conn.info.transaction_status != TransactionStatus.IDLE
        raise AssertionError("unreachable")

    def executescript(self, sql: str) -> None:
        for statement in split_script(sql):
            self.execute(statement)

    @property
    def in_transaction(self) -> bool:
        return self._in_tx

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        try:
            self.execute("COMMIT")
        finally:
            self._in_tx = False

    def rollback(self) -> None:
        if not self._in_tx:
            return
        self._in_tx = False
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            conn.execute("ROLLBACK")

    def begin_exclusive(self) -> None:
        # Instances starting together: one migrates, the others wait here and then find nothing left to do.
        self.begin()
        self.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

    def table_exists(self, name: str) -> bool:
        row = self.execute("SELECT to_regclass(?) IS NOT NULL AS found", (name,)).fetchone()
        return row is not None and bool(row["found"])

    def is_retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, pg_errors.DeadlockDetected | pg_errors.SerializationFailure)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
