"""The durable log behind the seam: the same store on SQLite and on a real PostgreSQL, one migration
mechanism, and whisper numbering that stays gap-free and ordered when several instances write at once."""

from __future__ import annotations

import threading

import pytest

from assist.migrations import MigrationError
from audio.events import Channel, EventKind
from sync.protocol import RecordKind, Role, ServerWhisper, TranscriptLine
from sync.store import LIVE_MIGRATIONS, TEAM_MIGRATIONS, TeamStore, User

SUPERVISOR = User("suzuki", Role.SUPERVISOR, "tokyo")
AGENT = User("sato", Role.AGENT, "tokyo")


def _whisper(store: TeamStore, whisper_id: str, agent: str = "sato") -> ServerWhisper:
    whisper, _ = store.add_whisper(
        whisper_id=whisper_id, sender=SUPERVISOR, agent=agent, text=f"ヒント {whisper_id}", call_id=None,
        anchor_segment_id=None, attachment={"kind": "knowledge", "id": "k1"},
    )  # fmt: skip
    return whisper


def _line(channel: str, segment_id: str, kind: str, text: str) -> TranscriptLine:
    return TranscriptLine(
        call_id="call-1", channel=Channel(channel), kind=EventKind(kind), start=0.0, end=1.0, text=text,
        segment_id=segment_id,
    )  # fmt: skip


def test_the_store_behaves_the_same_on_both_databases(location: dict[str, object]) -> None:
    store = TeamStore(**location)  # type: ignore[arg-type]
    try:
        token = store.add_user("sato", Role.AGENT, "tokyo")
        store.add_user("suzuki", Role.SUPERVISOR, "tokyo")
        assert store.authenticate(token)[0] == AGENT
        assert [_whisper(store, f"w{n}").seq for n in range(3)] == [1, 2, 3]
        again, is_new = store.add_whisper(
            whisper_id="w1", sender=SUPERVISOR, agent="sato", text="retry", call_id=None,
            anchor_segment_id=None, attachment=None,
        )  # fmt: skip
        assert (again.seq, again.text, is_new) == (2, "ヒント w1", False)
        read, changed = store.mark_whisper("w0", "read", AGENT)
        assert (read.status, changed) == ("read", True)
        assert [w.whisper_id for w in store.whispers_for_agent("sato", 1)] == ["w1", "w2"]
        assert store.whispers_for_agent("sato", 0)[0].attachment == {"kind": "knowledge", "id": "k1"}

        first, _ = store.add_change(
            author=AGENT, change_id="c1", kind=RecordKind.NOTE, record_id="n1", record={"text": "メモ"}
        )
        second, _ = store.add_change(
            author=AGENT, change_id="c2", kind=RecordKind.CUSTOMER, record_id="u1", record={"name": "山田"}
        )
        assert second.seq > first.seq
        with pytest.raises(ValueError, match="append-only"):
            store.add_change(
                author=AGENT, change_id="c3", kind=RecordKind.NOTE, record_id="n1", record={"text": "edit"}
            )
        assert [c.change_id for c in store.changes_since("tokyo", 0)] == ["c1", "c2"]
        assert [c.record for c in store.history("tokyo", "customer", "u1")] == [{"name": "山田"}]

        store.start_call(AGENT, "call-1", {"id": "u1"}, 100.0)
        store.connected("a:1", "a", AGENT)
        assert store.add_segment("call-1", _line("customer", "s1", "final", "こんにちは"))
        assert not store.add_segment(
            "call-1", _line("customer", "s1", "partial", "こん")
        )  # a partial never replaces its final
        store.add_segment("call-1", _line("agent", "s2", "partial", "は"))
        store.add_segment("call-1", _line("agent", "s2", "final", "はい"))
        assert [e.text for e in store.transcript_so_far("call-1")] == ["こんにちは", "はい"]
        assert store.update_call_info("call-1", {"cue": "angry"}) == {"cue": "angry"}
        (live,) = store.live_calls("tokyo")
        assert (live.call_id, live.last_final, live.customer) == ("call-1", "はい", {"id": "u1"})
        presence = {p.user: p for p in store.presence("tokyo")}
        assert presence["sato"].online and presence["sato"].call.call_id == "call-1"
        assert not presence["suzuki"].online
        store.forget_instance("a")
        assert not store.user_presence(AGENT).online
        actions = [e.action for e in store.audit_since("tokyo", 0, 100)]
        assert actions.count("whisper_sent") == 3 and actions.count("data_change") == 2
    finally:
        store.close()


def test_a_burst_of_handshakes_is_checked_and_recorded_in_one_trip_each(location: dict[str, object]) -> None:
    """A failover's hundreds of handshakes: the batched forms answer each one as the single-row ones would."""
    store = TeamStore(**location)  # type: ignore[arg-type]
    try:
        token = store.add_user("sato", Role.AGENT, "tokyo")
        store.add_user("suzuki", Role.SUPERVISOR, "tokyo")
        revoked = store.add_user("tanaka", Role.AGENT, "tokyo")
        store.revoke_user("tanaka")
        answers = store.authenticate_many([token, "no-such-token", revoked, token])
        assert [a[0] for a in answers] == [AGENT, None, None, AGENT]
        assert answers == [store.authenticate(t) for t in (token, "no-such-token", revoked, token)]

        store.connected("a:1", "a", SUPERVISOR)  # already online through another connection
        came = store.connected_many("b", [("b:1", AGENT), ("b:2", SUPERVISOR), ("b:3", AGENT)])
        assert came == [True, False, False]  # only sato came online, with the first of their connections
        assert {p.user for p in store.presence("tokyo") if p.online} == {"sato", "suzuki"}
        assert store.disconnected("b:1", "sato") is False  # b:3 still holds sato
        assert store.disconnected("b:3", "sato") is True
    finally:
        store.close()


def test_migrations_are_recorded_once_and_a_newer_schema_is_refused(location: dict[str, object]) -> None:
    for _ in range(2):  # opening again applies nothing twice
        TeamStore(**location).close()  # type: ignore[arg-type]
    store = TeamStore(**location)  # type: ignore[arg-type]
    try:
        # SQLite: one table in each file; PostgreSQL: one table holding both scopes.
        recorded = [
            (r["migration_set"], r["version"])
            for db in (store.team_db, store.live_db)
            for r in db.execute("SELECT migration_set, version FROM schema_migrations ORDER BY 1, 2")
        ]
        expected = [("live", v) for v in range(1, LIVE_MIGRATIONS.newest + 1)] + [
            ("team", v) for v in range(1, TEAM_MIGRATIONS.newest + 1)
        ]
        assert sorted(set(recorded)) == expected
        assert len(recorded) == len(expected) * (1 if store.team_db.dialect == "sqlite" else 2)
        store.team_db.execute(
            "INSERT INTO schema_migrations (migration_set, version, name, applied_at) VALUES ('team', ?, "
            "'future', '')",
            (TEAM_MIGRATIONS.newest + 1,),
        )
    finally:
        store.close()
    with pytest.raises(MigrationError, match="newer than this app"):
        TeamStore(**location)  # type: ignore[arg-type]


def test_whisper_numbers_stay_gap_free_and_in_commit_order_across_instances(pg_url: str) -> None:
    """Four stores (as four server instances) whisper to the same two agents at once."""
    TeamStore(database=pg_url).close()
    errors: list[BaseException] = []

    def instance(name: str) -> None:
        store = TeamStore(database=pg_url)
        try:
            for n in range(60):
                _whisper(store, f"{name}-{n}", agent="sato" if n % 3 else "tanaka")
                store.add_change(
                    author=AGENT, change_id=f"{name}-c{n}", kind=RecordKind.CUSTOMER, record_id="u1",
                    record={"n": n, "by": name},
                )  # fmt: skip
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=instance, args=(f"i{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    reader = TeamStore(database=pg_url)
    try:
        for agent, count in (("sato", 160), ("tanaka", 80)):
            whispers = reader.whispers_for_agent(agent, 0)
            assert [w.seq for w in whispers] == list(range(1, count + 1))
            # Numbered in the order they were stored: no later number committed before an earlier one.
            created = [w.created_at for w in whispers]
            assert created == sorted(created)
        changes = reader.changes_since("tokyo", 0, 1000)
        assert len(changes) == 240
        # The record holds the change with the highest seq (last writer in server order wins).
        record = reader.team_db.execute("SELECT seq FROM records WHERE record_id = 'u1'").fetchone()
        assert record["seq"] == changes[-1].seq
    finally:
        reader.close()
