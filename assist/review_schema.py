"""The tables after-call review adds to the store: bookmarks and comments on transcript lines, and one index
on the transcript table that date-filtered search needs.

Why a separate schema: the store's own migrations (``assist.store``) belong to the domain core and are
numbered there. Review keeps its own migration set ("review", see ``assist.migrations``) in the same file, so
both can evolve without renumbering each other. :func:`ensure_review_schema` is idempotent and cheap: call it
whenever a review feature opens a store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from assist.domain import new_id, system_clock, utc_iso
from assist.migrations import MigrationSet
from assist.store import Store

META_KEY = "review_schema_version"


def _migration_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS review_bookmarks (
            id TEXT PRIMARY KEY, call_id TEXT NOT NULL, segment_id TEXT NOT NULL DEFAULT '',
            position REAL NOT NULL DEFAULT 0, label TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT '')"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS review_bookmarks_call ON review_bookmarks(call_id, position)")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS review_comments (
            id TEXT PRIMARY KEY, call_id TEXT NOT NULL, segment_id TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT 'agent', text TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT '')"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS review_comments_call ON review_comments(call_id, created_at)")


def _migration_2(conn: sqlite3.Connection) -> None:
    # Search within a date range bounds the full-text walk by the lowest and highest transcript rowid of the
    # calls in range; an index on call_id alone (rowid implied) answers MIN/MAX(rowid) per call in one seek.
    conn.execute("CREATE INDEX IF NOT EXISTS review_segments_call ON segments(call_id)")


# (version, name, apply): append only; never edit one that has shipped.
MIGRATIONS: tuple[tuple[int, str, Callable[[sqlite3.Connection], None]], ...] = (
    (1, "bookmarks and comments on transcript lines", _migration_1),
    (2, "index on segments(call_id) for date-bounded search", _migration_2),
)


def _adopt_review(conn: sqlite3.Connection) -> int:
    # Before assist.migrations, review numbered itself under a key in the store's meta table.
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is None:
        return 0
    conn.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
    return int(row[0])


REVIEW_MIGRATIONS = MigrationSet("review", MIGRATIONS, adopt=_adopt_review)
REVIEW_TABLES = ("review_bookmarks", "review_comments")


def ensure_review_schema(store: Store) -> int:
    """Create or upgrade the review tables; returns the version now in place (``MigrationError`` when the
    store's review tables come from a newer app)."""
    return store.apply_migrations(REVIEW_MIGRATIONS)


class CommentRole(StrEnum):
    AGENT = "agent"  # self-review
    SUPERVISOR = "supervisor"  # coaching on someone else's call


@dataclass(frozen=True, slots=True)
class Bookmark:
    """A moment of a call worth coming back to (position in seconds from the start of the recording)."""

    id: str
    call_id: str
    position: float
    segment_id: str = ""
    label: str = ""
    author: str = ""
    created_at: str = ""


@dataclass(frozen=True, slots=True)
class LineComment:
    """A remark on one transcript line (or the whole call when ``segment_id`` is empty)."""

    id: str
    call_id: str
    text: str
    segment_id: str = ""
    author: str = ""
    role: CommentRole = CommentRole.AGENT
    created_at: str = ""


class ReviewNotes:
    """Bookmarks and comments of calls, stored beside the calls they belong to."""

    def __init__(self, store: Store) -> None:
        self.store = store
        ensure_review_schema(store)

    def add_bookmark(
        self, call_id: str, position: float, *, segment_id: str = "", label: str = "", author: str = ""
    ) -> Bookmark:
        if position < 0:
            raise ValueError(f"bookmark position must not be negative: {position}")
        mark = Bookmark(
            new_id("bm"), call_id, float(position), segment_id, label, author, utc_iso(system_clock())
        )
        with self.store.transaction(durable=True):
            self.store.conn.execute(
                "INSERT INTO review_bookmarks(id, call_id, segment_id, position, label, author, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    mark.id,
                    mark.call_id,
                    mark.segment_id,
                    mark.position,
                    mark.label,
                    mark.author,
                    mark.created_at,
                ),
            )
        return mark

    def bookmarks(self, call_id: str) -> list[Bookmark]:
        rows = self.store.conn.execute(
            "SELECT id, call_id, position, segment_id, label, author, created_at FROM review_bookmarks "
            "WHERE call_id = ? ORDER BY position",
            (call_id,),
        )
        return [Bookmark(*r) for r in rows]

    def add_comment(
        self,
        call_id: str,
        text: str,
        *,
        segment_id: str = "",
        author: str = "",
        role: CommentRole = CommentRole.AGENT,
    ) -> LineComment:
        text = text.strip()
        if not text:
            raise ValueError("a comment needs some text")
        comment = LineComment(
            new_id("cm"), call_id, text, segment_id, author, CommentRole(role), utc_iso(system_clock())
        )
        with self.store.transaction(durable=True):
            self.store.conn.execute(
                "INSERT INTO review_comments(id, call_id, segment_id, author, role, text, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (comment.id, call_id, segment_id, author, comment.role.value, text, comment.created_at),
            )
        return comment

    def comments(self, call_id: str) -> list[LineComment]:
        rows = self.store.conn.execute(
            "SELECT id, call_id, text, segment_id, author, role, created_at FROM review_comments "
            "WHERE call_id = ? ORDER BY created_at, rowid",
            (call_id,),
        )
        return [LineComment(r[0], r[1], r[2], r[3], r[4], CommentRole(r[5]), r[6]) for r in rows]


def bookmark_dict(mark: Bookmark) -> dict[str, object]:
    return {
        "id": mark.id,
        "call_id": mark.call_id,
        "position": mark.position,
        "segment_id": mark.segment_id,
        "label": mark.label,
        "author": mark.author,
        "created_at": mark.created_at,
    }


def comment_dict(comment: LineComment) -> dict[str, object]:
    return {
        "id": comment.id,
        "call_id": comment.call_id,
        "segment_id": comment.segment_id,
        "text": comment.text,
        "author": comment.author,
        "role": comment.role.value,
        "created_at": comment.created_at,
    }
