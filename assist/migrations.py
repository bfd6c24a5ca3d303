"""One way to evolve every SQLite file the product owns: named, numbered migration sets recorded in one table.

The agent's store, the review tables inside it, the sync client's outbox and the team server's team and live
databases each declare a :class:`MigrationSet`: an append-only list of numbered steps. :func:`migrate` applies
the steps a file lacks, each in its own ``BEGIN IMMEDIATE`` transaction (so two processes opening the same
file cannot both apply a step), and records each in ``schema_migrations`` under the set's name. Several sets
can share one file (the store and review do), each numbered on its own.

Files written before this mechanism existed are *adopted*: a set's ``adopt`` function looks at such a file and
says which version it already is (the store kept a ``schema_version`` table, review a key in ``meta``, the
sync files nothing but their tables), and those versions are recorded without running anything.

A file newer than the app (a step it does not know) is refused with :class:`MigrationError` rather than
opened and misread.

The same sets also migrate the team server's PostgreSQL database (sync/backends): a connection object that is
not a ``sqlite3.Connection`` names its ``dialect`` and brings its own ``begin_exclusive()`` (a transaction no
other process migrates in at the same time) and ``table_exists(name)``; :func:`dialect_step` gives a step its
SQL per dialect.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar


class _Row(Protocol):
    def __getitem__(self, index: int, /) -> object: ...


class _Cursor(Protocol):
    def fetchone(self) -> _Row | None: ...


class Connection(Protocol):
    """What a migration needs: ``sqlite3.Connection`` in autocommit mode, or a team-server database."""

    def execute(self, sql: str, parameters: Sequence[object] = ..., /) -> _Cursor: ...


# The connection class a set's steps are written for (sqlite3.Connection unless the set serves other
# dialects): a step and an adopter may use what that class offers beyond Connection.
C = TypeVar("C", bound=Connection)
# A step receives the connection it migrates.
Step = Callable[[C], None]

LEDGER = "schema_migrations"


class MigrationError(Exception):
    """A database cannot be brought to this app's schema (it is newer, or a step failed)."""


def run_script(conn: Connection, script: str) -> None:
    """Run ``;``-separated DDL inside the caller's transaction (``executescript`` would commit first).

    Only for scripts without ``;`` inside statements (no triggers)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def script_step(script: str) -> Step[Connection]:
    """A step that runs one DDL script."""

    def apply(conn: Connection) -> None:
        run_script(conn, script)

    return apply


def dialect(conn: Connection) -> str:
    return str(getattr(conn, "dialect", "sqlite"))


def dialect_step(scripts: Mapping[str, str]) -> Step[Connection]:
    """A step that runs the DDL script written for the connection's dialect (``sqlite``, ``postgresql``)."""

    def apply(conn: Connection) -> None:
        run_script(conn, scripts[dialect(conn)])

    return apply


def table_exists(conn: Connection, table: str) -> bool:
    own = getattr(conn, "table_exists", None)
    if own is not None:
        return bool(own(table))
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return row is not None


def _begin(conn: Connection) -> None:
    own = getattr(conn, "begin_exclusive", None)
    if own is not None:
        own()
    else:
        conn.execute("BEGIN IMMEDIATE")


def _never_adopted(conn: Connection) -> int:
    return 0


@dataclass(frozen=True, slots=True)
class MigrationSet(Generic[C]):
    """The numbered steps of one schema. ``steps`` is append-only: never edit a step that has shipped."""

    name: str
    steps: Sequence[tuple[int, str, Step[C]]]
    adopt: Callable[[C], int] = field(default=_never_adopted)

    def __post_init__(self) -> None:
        versions = [version for version, _, _ in self.steps]
        if versions != list(range(1, len(versions) + 1)):
            raise ValueError(f"{self.name}: migration versions must be 1, 2, 3, ... in order, got {versions}")

    @property
    def newest(self) -> int:
        return len(self.steps)


def _now() -> str:
    return datetime.fromtimestamp(time.time(), UTC).isoformat(timespec="seconds")


def _ensure_ledger(conn: Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {LEDGER} (migration_set TEXT NOT NULL, version INTEGER NOT NULL, "
        "name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (migration_set, version))"
    )


def current_version(conn: Connection, migrations: MigrationSet[C]) -> int:
    """The newest step of ``migrations`` recorded in this file (0 for none, or no ledger yet)."""
    if not table_exists(conn, LEDGER):
        return 0
    row = conn.execute(
        f"SELECT COALESCE(MAX(version), 0) FROM {LEDGER} WHERE migration_set = ?", (migrations.name,)
    ).fetchone()
    version = None if row is None else row[0]
    if not isinstance(version, int):
        raise MigrationError(f"{LEDGER}: no version for {migrations.name!r} ({version!r})")
    return version


def migrate(conn: C, migrations: MigrationSet[C]) -> int:
    """Bring ``conn`` to the newest step of ``migrations`` and return that version.

    ``conn`` must be in autocommit mode (``isolation_level=None``) or outside a transaction. Cheap when the
    file is current: one read."""
    if current_version(conn, migrations) == migrations.newest:
        return migrations.newest
    _begin(conn)
    try:
        _ensure_ledger(conn)
        # Again inside the write lock: another process may have migrated in between.
        current = current_version(conn, migrations)
        if current == 0:
            adopted = migrations.adopt(conn)
            if adopted > migrations.newest:
                raise MigrationError(
                    f"{migrations.name}: the file has schema version {adopted}, newer than this app "
                    f"({migrations.newest}): update the app"
                )
            for version, name, _ in migrations.steps[:adopted]:
                conn.execute(
                    f"INSERT INTO {LEDGER}(migration_set, version, name, applied_at) VALUES (?, ?, ?, ?)",
                    (migrations.name, version, f"{name} (adopted)", _now()),
                )
            current = adopted
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if current > migrations.newest:
        raise MigrationError(
            f"{migrations.name}: the file has schema version {current}, newer than this app "
            f"({migrations.newest}): update the app"
        )
    for version, name, apply in migrations.steps:
        if version <= current:
            continue
        _begin(conn)
        try:
            if current_version(conn, migrations) >= version:
                conn.execute("COMMIT")
                continue
            apply(conn)
            conn.execute(
                f"INSERT INTO {LEDGER}(migration_set, version, name, applied_at) VALUES (?, ?, ?, ?)",
                (migrations.name, version, name, _now()),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise MigrationError(f"{migrations.name}: step {version} ({name}) failed: {exc}") from exc
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return migrations.newest
