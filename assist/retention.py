"""Keeping recordings and transcripts only as long as the team decided.

Why: call audio is the most sensitive thing the app holds and the biggest on disk, so it goes first: after
``recording_days`` the WAVs of a call are deleted. Transcripts are what agents search, so by default they
stay; a team may instead choose, after ``transcript_days``, to have them redacted (card numbers, codes, My
Number, e-mail addresses and phone numbers masked, re-indexed to match) or deleted. The setting lives in the
store's ``meta`` table so every tool on this PC applies the same one; :func:`apply_retention` is safe to run
at every start-up and is idempotent.

A call's age counts from when it ended (or started, if it never recorded an end); recording folders that
belong to no call in the store are aged by their files' modification time.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from assist import paths
from assist.domain import Clock, system_clock
from assist.redaction import RedactionPolicy, Redactor
from assist.store import Store
from assist.text import index_text

META_KEY = "review_retention"


class TranscriptRetention(StrEnum):
    KEEP = "keep"
    REDACT = "redact"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """``None`` days means "keep for ever"."""

    recording_days: int | None = None
    transcripts: TranscriptRetention = TranscriptRetention.KEEP
    transcript_days: int | None = None

    def __post_init__(self) -> None:
        for name in ("recording_days", "transcript_days"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be 0 or more days, not {value}")


def load_policy(store: Store) -> RetentionPolicy:
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if not row:
        return RetentionPolicy()
    data = json.loads(row[0])
    return RetentionPolicy(
        data.get("recording_days"),
        TranscriptRetention(data.get("transcripts", "keep")),
        data.get("transcript_days"),
    )


def save_policy(store: Store, policy: RetentionPolicy) -> None:
    value = json.dumps({**asdict(policy), "transcripts": policy.transcripts.value})
    with store.transaction(durable=True):
        store.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
            "excluded.value",
            (META_KEY, value),
        )


@dataclass(frozen=True, slots=True)
class RetentionReport:
    recordings_deleted: tuple[Path, ...] = ()
    transcripts_redacted: int = 0  # lines whose text changed
    transcripts_deleted: int = 0  # lines removed
    problems: tuple[str, ...] = field(default_factory=tuple)


def _parse(moment: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _calls_older_than(store: Store, cutoff: datetime) -> list[str]:
    old = []
    for call_id, started, ended in store.conn.execute("SELECT id, started_at, ended_at FROM calls"):
        moment = _parse(ended) or _parse(started)
        if moment is not None and moment < cutoff:
            old.append(call_id)
    return old


def apply_retention(
    store: Store,
    policy: RetentionPolicy | None = None,
    *,
    clock: Clock = system_clock,
    recordings_root: Path | None = None,
) -> RetentionReport:
    """Apply ``policy`` (default: the saved one) now."""
    from assist.exports import call_recording_dir

    policy = policy or load_policy(store)
    now = clock()
    root = recordings_root if recordings_root is not None else paths.recordings_dir()
    deleted: list[Path] = []
    problems: list[str] = []
    if policy.recording_days is not None:
        cutoff = now - timedelta(days=policy.recording_days)
        known = {r[0] for r in store.conn.execute("SELECT id FROM calls")}
        folders = {call_recording_dir(call_id, root) for call_id in _calls_older_than(store, cutoff)}
        known_folders = {call_recording_dir(call_id, root) for call_id in known}
        if root.is_dir():
            for folder in root.iterdir():
                if folder.is_dir() and folder not in known_folders:
                    newest = max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0)
                    if datetime.fromtimestamp(newest, UTC) < cutoff:
                        folders.add(folder)
        for folder in sorted(folders):
            if not folder.is_dir():
                continue
            files = [p for p in folder.rglob("*") if p.is_file()]
            try:
                shutil.rmtree(folder)
                deleted.extend(files)
            except OSError as exc:
                problems.append(f"{folder}: cannot delete: {exc.strerror or exc}")
    redacted = removed = 0
    if policy.transcripts is not TranscriptRetention.KEEP and policy.transcript_days is not None:
        cutoff = now - timedelta(days=policy.transcript_days)
        old_calls = _calls_older_than(store, cutoff)
        if policy.transcripts is TranscriptRetention.DELETE:
            removed = _delete_transcripts(store, old_calls)
        else:
            redacted = _redact_transcripts(store, old_calls)
    return RetentionReport(tuple(deleted), redacted, removed, tuple(problems))


def _delete_transcripts(store: Store, call_ids: list[str]) -> int:
    count = 0
    store.conn.execute("PRAGMA secure_delete = ON")
    try:
        with store.transaction():
            for call_id in call_ids:
                # One rowid at a time: FTS5 scans its whole index for "rowid IN (...)".
                rowids = [
                    r[0]
                    for r in store.conn.execute("SELECT rowid FROM segments WHERE call_id = ?", (call_id,))
                ]
                for rowid in rowids:
                    store.conn.execute("DELETE FROM segments_fts WHERE rowid = ?", (rowid,))
                count += store.conn.execute("DELETE FROM segments WHERE call_id = ?", (call_id,)).rowcount
                # "Helped" examples are the customer's own lines too (store migration 3 links them to calls).
                store.conn.execute("DELETE FROM knowledge_examples WHERE call_id = ?", (call_id,))
            if count:
                store.conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
    finally:
        store.conn.execute("PRAGMA secure_delete = OFF")
    return count


def _redact_transcripts(store: Store, call_ids: list[str]) -> int:
    # Stricter than live redaction: at the end of retention, e-mail addresses and phone numbers go too.
    policy = RedactionPolicy(emails=True, phones=True)
    count = 0
    store.conn.execute("PRAGMA secure_delete = ON")
    try:
        with store.transaction():
            for call_id in call_ids:
                redactor = Redactor(policy)  # one per call: "card number mentioned" context is per call
                rows = store.conn.execute(
                    "SELECT rowid, text FROM segments WHERE call_id = ? ORDER BY start", (call_id,)
                ).fetchall()
                for rowid, text in rows:
                    result = redactor.redact(text)
                    if result.text == text:
                        continue
                    store.conn.execute("UPDATE segments SET text = ? WHERE rowid = ?", (result.text, rowid))
                    store.conn.execute("DELETE FROM segments_fts WHERE rowid = ?", (rowid,))
                    store.conn.execute(
                        "INSERT INTO segments_fts(rowid, terms) VALUES (?, ?)",
                        (rowid, index_text(result.text, store.analyzer)),
                    )
                    count += 1
            if count:
                store.conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
    finally:
        store.conn.execute("PRAGMA secure_delete = OFF")
    return count
