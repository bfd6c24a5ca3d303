"""Live retention on the team server ages a call and its transcript together (SQLite and a real PostgreSQL):
a call whose end never arrived counts from its last sign of life, not its start, so a long call still
sending lines keeps them; once it has gone quiet, its record and its lines leave in the same round; and a
line written while the round runs never outlives its call (the round deletes the call's row first)."""

from __future__ import annotations

import threading

from audio.events import Channel, EventKind
from sync.erasure import apply_retention
from sync.protocol import Role, TranscriptLine
from sync.store import TeamStore, User
from tests.scale.conftest import ManualClock
from tests.waiting import wait_until

AGENT = User("sato", Role.AGENT, "tokyo")
HOUR = 3600.0
LIVE = 24 * HOUR  # the server's default live retention
T0 = 1_000_000.0


def _line(n: int) -> TranscriptLine:
    return TranscriptLine(
        call_id="call-1", channel=Channel.CUSTOMER, kind=EventKind.FINAL, start=float(n), end=n + 1.0,
        text=f"お問い合わせの件 {n}", segment_id=f"s{n}",
    )  # fmt: skip


def _lines(store: TeamStore, call_id: str) -> int:
    row = store.live_db.execute("SELECT COUNT(*) AS n FROM segments WHERE call_id = ?", (call_id,)).fetchone()
    return int(row["n"])


def test_a_call_that_never_ended_is_aged_from_its_last_line_with_its_lines(
    location: dict[str, object],
) -> None:
    clock = ManualClock(T0)
    store = TeamStore(clock=clock, **location)  # type: ignore[arg-type]
    try:
        store.start_call(AGENT, "call-1", {"id": "k1"}, T0)
        for n in range(41):  # a line every hour for 40 hours: the call is alive all along
            clock.now = T0 + n * HOUR
            assert store.add_segment_for(AGENT, "call-1", _line(n)) == "ok"

        # 40 h after its start, 12 + 24 h would have aged it from the start; its last line was just now.
        assert apply_retention(store, live_seconds=LIVE, whisper_seconds=LIVE, clock=clock) == {}
        assert store.call("call-1") is not None and _lines(store, "call-1") == 41

        # Then the agent's PC dies: nothing more comes. 12 h after the last line it counts as ended, and 24 h
        # after that its record and every line leave in the same round.
        last = clock.now
        clock.now = last + 12 * HOUR + LIVE - 60
        assert apply_retention(store, live_seconds=LIVE, whisper_seconds=LIVE, clock=clock) == {}
        assert _lines(store, "call-1") == 41
        clock.now = last + 12 * HOUR + LIVE + 60
        assert apply_retention(store, live_seconds=LIVE, whisper_seconds=LIVE, clock=clock) == {
            "calls": 1,
            "segments": 41,
        }
        assert store.call("call-1") is None and _lines(store, "call-1") == 0
    finally:
        store.close()


def test_a_line_written_while_retention_runs_never_outlives_its_call(pg_url: str) -> None:
    """Two instances on one PostgreSQL database: one writes a line of a call that looks dead (its line holds
    the call's row until it commits) while the other's retention round runs. Before, the round deleted the
    lines first, then waited for the call's row and deleted it: the new line stayed without its call."""
    clock = ManualClock(T0)
    writer = TeamStore(database=pg_url, clock=clock)
    keeper = TeamStore(database=pg_url, clock=clock)
    try:
        writer.start_call(AGENT, "call-1", {"id": "k1"}, T0)
        assert writer.add_segment_for(AGENT, "call-1", _line(0)) == "ok"
        clock.now = T0 + 12 * HOUR + LIVE + 60  # quiet for longer than retention: the round takes it

        writer.live_db.begin()  # the line's transaction, not committed yet
        assert writer.add_segment_for(AGENT, "call-1", _line(1)) == "ok"
        outcome: list[dict[str, int]] = []
        round_ = threading.Thread(
            target=lambda: outcome.append(
                apply_retention(keeper, live_seconds=LIVE, whisper_seconds=LIVE, clock=clock)
            )
        )
        round_.start()
        wait_until(
            lambda: writer.team_db.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM%'"
            ).fetchone(),
            what="the retention round to wait for the line's transaction",
        )
        writer.live_db.commit()
        round_.join(timeout=30)
        assert not round_.is_alive() and outcome

        orphans = writer.live_db.execute(
            "SELECT COUNT(*) AS n FROM segments s"
            " WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.call_id = s.call_id)"
        ).fetchone()
        assert orphans["n"] == 0
        # The line was a sign of life: the call stays with both its lines, to be aged from now.
        assert writer.call("call-1") is not None and _lines(writer, "call-1") == 2
    finally:
        writer.close()
        keeper.close()
