"""The team server forgets an erasure's tombstones (the erased customer and call ids) 30 days after the
erasure, at its retention round, on SQLite and on a real PostgreSQL, and still refuses what a client wrote
before it read that erasure: the feed's erasure entry answers for the pruned tombstones. A write made after
reading it is accepted, as before."""

from __future__ import annotations

import pytest

from sync.erasure import apply_retention, erase_customer
from sync.protocol import RecordKind, Role
from sync.store import ErasedError, TeamStore, User
from tests.scale.conftest import ManualClock

AGENT = User("sato", Role.AGENT, "tokyo")
DAY = 86400.0
T0 = 1_000_000.0


def _tombstones(store: TeamStore) -> list[tuple[str, str]]:
    rows = store.team_db.execute("SELECT subject, subject_id FROM erased ORDER BY subject, subject_id")
    return [(r["subject"], r["subject_id"]) for r in rows.fetchall()]


def _note(store: TeamStore, n: int, customer_id: str, seen: int) -> None:
    store.add_change(
        author=AGENT, change_id=f"note-{n}", kind=RecordKind.NOTE, record_id=f"n{n}",
        record={"id": f"n{n}", "customer_id": customer_id, "text": "折り返し希望"}, seen=seen,
    )  # fmt: skip


def _summary(store: TeamStore, call_id: str, seen: int) -> None:
    store.add_change(
        author=AGENT, change_id=f"summary-{call_id}-{seen}", kind=RecordKind.CALL_SUMMARY, record_id=call_id,
        record={"id": call_id, "customer_id": None, "summary": "住所変更"}, seen=seen,
    )  # fmt: skip


def _retention(store: TeamStore, clock: ManualClock) -> dict[str, int]:
    return apply_retention(store, live_seconds=DAY, whisper_seconds=30 * DAY, clock=clock)


def test_tombstones_leave_after_30_days_and_old_writes_are_still_refused(location: dict[str, object]) -> None:
    clock = ManualClock(T0)
    store = TeamStore(clock=clock, **location)  # type: ignore[arg-type]
    try:
        _note(store, 1, "k1", seen=0)
        store.start_call(AGENT, "c1", {"id": "k1"}, T0)
        first = erase_customer(store, "tokyo", "k1", ["c1"], actor="suzuki")
        assert first.change is not None
        clock.now = T0 + 20 * DAY
        second = erase_customer(store, "tokyo", "k9", ["c9"], actor="suzuki")
        assert second.change is not None
        s1, s9 = first.change.seq, second.change.seq

        clock.now = T0 + 30 * DAY - 60  # not yet
        _retention(store, clock)
        assert _tombstones(store) == [("call", "c1"), ("call", "c9"), ("customer", "k1"), ("customer", "k9")]
        clock.now = T0 + 30 * DAY + 60
        assert _retention(store, clock).get("erased") == 2
        assert _tombstones(store) == [("call", "c9"), ("customer", "k9")]

        # Written before its client read the first erasure (an agent's PC offline all month): still refused.
        with pytest.raises(ErasedError, match=f"customer 'k1' was erased \\(feed entry {s1}\\)"):
            _note(store, 2, "k1", seen=s1 - 1)
        with pytest.raises(ErasedError, match=f"call 'c1' was erased \\(feed entry {s1}\\)"):
            _summary(store, "c1", seen=s1 - 1)
        with pytest.raises(ErasedError, match="call 'c1' was erased"):
            store.start_call_unless_erased(AGENT, "c1", None, T0, s1 - 1)
        with pytest.raises(ErasedError, match="customer 'k9' was erased"):
            _note(store, 3, "k9", seen=s9 - 1)  # the second erasure keeps its tombstones
        # Written after reading it: a customer given the id k1 again is a new customer.
        _note(store, 4, "k1", seen=s1)
        assert [c.record_id for c in store.changes_since("tokyo", s9)] == ["n4"]
    finally:
        store.close()


def test_a_tombstone_whose_erasure_entry_an_older_server_deleted_is_kept(location: dict[str, object]) -> None:
    """Before erase_customer left earlier erasure entries alone, erasing a customer again deleted the first
    entry. A server upgraded with such a feed keeps the tombstones of the calls only that entry named: nothing
    else could refuse an old write about them."""
    clock = ManualClock(T0)
    store = TeamStore(clock=clock, **location)  # type: ignore[arg-type]
    try:
        store.start_call(AGENT, "c1", None, T0)
        first = erase_customer(store, "tokyo", "k1", ["c1"], actor="suzuki")
        assert first.change is not None
        s1 = first.change.seq
        clock.now = T0 + 20 * DAY
        erase_customer(store, "tokyo", "k1", ["c2"], actor="suzuki")
        # What the older server's second erasure did to the feed: the first entry is gone.
        with TeamStore._tx(store.team_db) as db:
            db.execute("DELETE FROM changes WHERE seq = ?", (s1,))

        clock.now = T0 + 30 * DAY + 60
        _retention(store, clock)
        assert ("call", "c1") in _tombstones(store)
        with pytest.raises(ErasedError, match=f"call 'c1' was erased \\(feed entry {s1}\\)"):
            _summary(store, "c1", seen=s1 - 1)
        # The second erasure's own tombstones leave on time, as any with their entry in the feed.
        clock.now = T0 + 50 * DAY + 60
        _retention(store, clock)
        assert _tombstones(store) == [("call", "c1")]
    finally:
        store.close()
