"""Where the team server keeps its state: one seam, two databases.

:class:`Database` is all :class:`sync.store.TeamStore` and the durable-log thread ask of a database: run a
statement with ``?`` placeholders, read rows by column name (or position), and explicit transactions with
savepoints. Two implementations:

* :mod:`sync.backends.sqlite` — files in the server's data directory (the embedded default for one instance
  and the demo; behaviour as before the seam).
* :mod:`sync.backends.postgres` — a PostgreSQL database shared by several server instances (psycopg 3), chosen
  with ``--database postgresql://...``.

Schema changes are one mechanism for both, the product's own (assist/migrations.py): numbered migration sets
(``team`` for the durable log, ``live`` for calls, transcripts and presence), each step with its SQL per
dialect, recorded in ``schema_migrations``; a database newer than this program is refused with a clear
message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

Value = Any  # Any: a column as sqlite3 or psycopg read it (str, int, float or None); readers convert it
Params = Sequence[object]  # a statement's ``?`` values, in order


class Row(Protocol):
    """A row read by column name (or by position for ``fetchone()[0]``): ``sqlite3.Row``, or
    :class:`sync.backends.postgres.Row`."""

    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: str | int, /) -> Value: ...


class DatabaseUnavailable(Exception):
    """The database cannot be reached (down, restarting, network): nothing was stored; the request may be
    retried. The server answers it with a retryable error instead of a generic failure."""


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> Sequence[Row]: ...

    def __iter__(self) -> Iterator[Row]: ...


def one(cursor: Cursor) -> Row:
    """The row of a query that always returns one (an aggregate, ``RETURNING`` of a write)."""
    row = cursor.fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return row


class Database(Protocol):
    """One connection, used from one thread at a time."""

    dialect: str  # "sqlite" or "postgresql"
    # How many durable-log calls may share one transaction (the group commit; sync/durable.py).
    group_limit: int

    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def executescript(self, sql: str) -> None: ...

    @property
    def in_transaction(self) -> bool: ...

    def begin(self) -> None:
        """Start a write transaction (SQLite: ``BEGIN IMMEDIATE``, so writers queue at the start)."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def begin_exclusive(self) -> None:
        """Start a transaction no other process migrates the schema in at the same time
        (assist/migrations.py)."""
        ...

    def table_exists(self, name: str) -> bool: ...

    def is_retryable(self, exc: BaseException) -> bool:
        """Whether a failed statement may simply be run again (a deadlock or serialization failure)."""
        ...

    def close(self) -> None: ...


def is_postgres_url(location: str | Path | None) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def open_database(location: str | Path, *, durable: bool, name: str) -> Database:
    """A connection to ``location``: a PostgreSQL URL, or a data directory in which ``name`` is the SQLite
    file.

    ``durable`` asks for every commit to be on disk before it returns (SQLite ``synchronous=FULL``, PostgreSQL
    ``synchronous_commit=on``); otherwise a crash may lose the last moments (``NORMAL`` / ``off``), which is
    what live call state can afford.
    """
    if is_postgres_url(location):
        from sync.backends.postgres import PostgresDatabase

        return PostgresDatabase(str(location), durable=durable)
    from sync.backends.sqlite import SqliteDatabase

    directory = Path(location)
    directory.mkdir(parents=True, exist_ok=True)
    return SqliteDatabase(directory / name, durable=durable)


def describe(location: str | Path) -> str:
    """``location`` for messages and logs, without a password."""
    if is_postgres_url(location):
        from sync.backends.postgres import redact

        return redact(str(location))
    return str(location)
