"""Two server instances on one PostgreSQL database: a customer's erasure on one instance and, at the same
moment on the other, a whisper about her live call, a line of its transcript and a raised hand's reason.

Each of the three writes has already read the call (and the erasure tombstones: none yet) when the erasure
runs, and writes after it. The test makes that happen every run, not by timing: a connection of its own holds
what each write needs next (the agent's whisper counter row; the very transcript line's key, as an
uncommitted insert; the durable-log thread, busy with that whisper, for the raised hand's audit entry) while
the erasure is requested, and lets go once the erasure has either finished or is seen waiting for a lock.
Afterwards nothing of her call may be left in any table: not the whisper, not the line, not the reason in the
audit log. A call of hers that starts on the other instance while the erasure runs either waits for it and is
refused (held inside the erasure), or is committed first and then deleted and named by it, in its reply and
its feed entry, so that once the tombstones are pruned the entry still refuses an old write about that call
(held before its commit). Real PostgreSQL and redis-server on 127.0.0.1, two real
server instances, bare protocol clients."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from sync.erasure import apply_retention
from sync.protocol import RecordKind
from sync.store import TeamStore
from tests.scale.conftest import Cluster
from tests.scale.test_erasure_postgres import _rows_holding
from tests.sync.test_erasure import LINE, NAME, WHISPER, _line
from tests.waiting import wait_until

LATE_WHISPER = "青木様には返金の件を先にお伝えください"
LATE_LINE = "青木花子です、実家の住所は川口市の本町です"
LATE_REASON = "青木様が実家の住所の件でお怒りです"
SECRETS = [NAME, LINE, WHISPER, LATE_WHISPER, LATE_LINE, LATE_REASON]


def _waiting_for_locks(conn: psycopg.Connection[Any]) -> int:
    """How many connections to this database are waiting for a lock another transaction holds."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return int(row[0]) if row else 0


@dataclass
class Race:
    cluster: Cluster
    watch: psycopg.Connection[Any]  # reads what the server's connections are waiting for
    holder: psycopg.Connection[Any]  # one transaction, rolled back to let the held writes go on


@pytest.fixture
def race(cluster: Cluster) -> Iterator[Race]:
    """Instances a and b, an agent, a supervisor and an admin, and the test's own two connections."""
    for name, role in (("sato", "agent"), ("suzuki", "supervisor"), ("root", "admin")):
        cluster.add_user(name, role)
    cluster.start_instance("a")
    cluster.start_instance("b")
    with (
        psycopg.connect(cluster.database, autocommit=True) as watch,
        psycopg.connect(cluster.database) as holder,
    ):
        try:
            yield Race(cluster, watch, holder)
        finally:
            holder.rollback()


def test_a_whisper_a_line_and_a_raised_hand_racing_her_erasure_on_another_instance_leave_nothing(
    race: Race,
) -> None:
    cluster, watch, holder = race.cluster, race.watch, race.holder
    agent, agent_again, supervisor = cluster.raw("sato", 0), cluster.raw("sato", 0), cluster.raw("suzuki", 0)
    admin = cluster.raw("root", 1)
    try:
        # Her live call on instance a, a line of it and a whisper about it.
        assert agent.request("call_start", call_id="c1", customer={"id": "k1", "name": NAME})["type"] == "ack"
        agent.send("transcript", call_id="c1", event=_line("c1", 1, LINE))
        agent.request("list_whispers")  # answered after the line (one connection's frames run in turn)
        first = supervisor.request("whisper_send", whisper_id="w1", agent="sato", call_id="c1", text=WHISPER)
        assert first["type"] == "ack", first
        assert set().union(*_rows_holding(cluster.database, SECRETS).values()) == {NAME, LINE, WHISPER}

        # The whisper about her call is checked (the call is live, not erased) and then waits for the agent's
        # whisper counter, which the test holds.
        holder.execute("SELECT seq FROM whisper_heads WHERE agent = 'sato' FOR UPDATE")
        whisper = supervisor.send(
            "whisper_send", whisper_id="w-late", agent="sato", call_id="c1", text=LATE_WHISPER
        )
        wait_until(lambda: _waiting_for_locks(watch) == 1, 30, "the whisper waiting for its counter")
        # The raised hand is on the call; its audit entry (with the reason) waits behind that whisper on the
        # instance's durable-log thread.
        hand = agent_again.send("raise_hand", call_id="c1", reason=LATE_REASON)
        wait_until(
            lambda: (
                LATE_REASON in str(watch.execute("SELECT info FROM calls WHERE call_id = 'c1'").fetchone())
            ),
            30,
            "the raised hand on her call",
        )
        # The transcript line is checked (her call, live) and then waits for its own key, held by the test.
        holder.execute(
            "INSERT INTO segments (call_id, channel, segment_id, event) VALUES ('c1', 'customer', 's9', '{}')"
        )
        agent.send("transcript", call_id="c1", event=_line("c1", 9, LATE_LINE))
        wait_until(lambda: _waiting_for_locks(watch) == 2, 30, "the line waiting for its key")

        # Her erasure on the other instance: before the fix it finished here; with it, it waits for the
        # writes that hold her call.
        erase = admin.send("erase_customer", customer_id="k1", call_ids=["c1"])

        def erasure_done_or_waiting() -> bool:
            admin.receive(0.05)
            return any(f.get("ref") == erase for f in admin.frames) or _waiting_for_locks(watch) == 3

        wait_until(erasure_done_or_waiting, 30, "the erasure finished or waiting for her call")
        holder.rollback()

        erased = admin.reply(erase, 30)
        assert erased["type"] == "ack", erased
        assert supervisor.reply(whisper, 30)["type"] == "ack"  # stored before the erasure took her call
        hand_answer = agent_again.reply(hand, 30)
        assert hand_answer["type"] == "ack" or "was erased" in hand_answer["message"], hand_answer
        # The line has been handled once the agent's next request on the same connection is answered.
        agents_whispers = agent.request("list_whispers")["whispers"]

        assert _rows_holding(cluster.database, SECRETS) == {}
        assert agents_whispers == admin.request("list_whispers")["whispers"] == []
    finally:
        holder.rollback()
        for client in (agent, agent_again, supervisor, admin):
            client.close()


def _erasure_entry(cluster: Cluster) -> tuple[int, list[str]]:
    """The feed seq of the team's one erasure entry and the calls it names (what every client reads)."""
    store = TeamStore(database=cluster.database)
    try:
        (entry,) = [c for c in store.changes_since("tokyo", 0) if c.kind is RecordKind.ERASURE]
    finally:
        store.close()
    return entry.seq, list(entry.record["call_ids"])  # type: ignore[arg-type]


def _tombstoned_calls(conn: psycopg.Connection[Any]) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT subject_id FROM erased WHERE subject = 'call'")}


def test_her_call_started_on_another_instance_while_she_is_erased_waits_and_is_refused(race: Race) -> None:
    cluster, watch, holder = race.cluster, race.watch, race.holder
    agent, supervisor, admin = cluster.raw("sato", 0), cluster.raw("suzuki", 0), cluster.raw("root", 1)
    try:
        customer = {"id": "k1", "name": NAME}
        record = agent.request(
            "change_push", change_id="p1", kind="customer", record_id="k1", record=customer
        )
        assert record["type"] == "ack", record

        # The erasure is held in the middle (the test holds her record's feed row, which it deletes).
        holder.execute("SELECT seq FROM changes WHERE record_id = 'k1' FOR UPDATE")
        erase = admin.send("erase_customer", customer_id="k1")
        wait_until(lambda: _waiting_for_locks(watch) == 1, 30, "the erasure waiting for her feed row")

        # Meanwhile her call starts on the other instance, from a PC that has not read the erasure. Before the
        # fix it was accepted at once, then deleted and tombstoned by the erasure, which did not name it.
        start = agent.send("call_start", call_id="c2", customer=customer)

        def start_answered_or_waiting() -> bool:
            agent.receive(0.05)
            return any(f.get("ref") == start for f in agent.frames) or _waiting_for_locks(watch) == 2

        wait_until(start_answered_or_waiting, 30, "the call start answered or waiting for the erasure")
        holder.rollback()

        erased = admin.reply(erase, 30)
        assert erased["type"] == "ack", erased
        started = agent.reply(start, 30)
        seq, named = _erasure_entry(cluster)
        # Refused as any call start written before its client read the erasure, and nothing kept.
        assert (
            started["type"] == "error"
            and f"customer 'k1' was erased (feed entry {seq})" in started["message"]
        )
        assert erased["calls"] == named == []
        assert _tombstoned_calls(watch) == set()
        assert _rows_holding(cluster.database, [NAME]) == {}
        late = supervisor.request(
            "whisper_send", whisper_id="w2", agent="sato", call_id="c2", text=LATE_WHISPER
        )
        assert late["type"] == "error", late
        assert _rows_holding(cluster.database, [LATE_WHISPER]) == {}
    finally:
        holder.rollback()
        for client in (agent, supervisor, admin):
            client.close()


def test_her_call_committed_while_she_is_erased_is_named_by_the_erasure_also_after_30_days(
    race: Race,
) -> None:
    cluster, watch, holder = race.cluster, race.watch, race.holder
    agent, admin = cluster.raw("sato", 0), cluster.raw("root", 1)
    try:
        # Her call starts on instance a: checked (no tombstone yet), then its row waits for its key, which the
        # test holds, while her erasure is asked for on instance b. Before the fix the erasure ran to the end
        # without it, and the call's own second check then deleted it and tombstoned it, unnamed.
        holder.execute(
            "INSERT INTO calls (call_id, team, agent, started_at) VALUES ('c2', 'tokyo', 'sato', 0)"
        )
        start = agent.send("call_start", call_id="c2", customer={"id": "k1", "name": NAME})
        wait_until(lambda: _waiting_for_locks(watch) == 1, 30, "the call waiting for its key")
        erase = admin.send("erase_customer", customer_id="k1")

        def erasure_done_or_waiting() -> bool:
            admin.receive(0.05)
            return any(f.get("ref") == erase for f in admin.frames) or _waiting_for_locks(watch) == 2

        wait_until(erasure_done_or_waiting, 30, "the erasure finished or waiting for the call start")
        holder.rollback()

        erased = admin.reply(erase, 30)
        assert erased["type"] == "ack", erased
        started = agent.reply(start, 30)
        assert started["type"] == "ack" or "was erased" in started["message"], started
        seq, named = _erasure_entry(cluster)
        # The admin's report and the feed entry every client reads (and drops its queued frames by) name it.
        assert erased["calls"] == named == ["c2"]
        assert erased["rows"].get("calls") == 1, erased
        assert _tombstoned_calls(watch) == {"c2"}
        assert _rows_holding(cluster.database, [NAME]) == {}

        # 30 days on, the retention round prunes the tombstones; a wrap-up of that call written before its PC
        # read the erasure, without her id (an unknown number's call), is still refused: the entry names it.
        store = TeamStore(database=cluster.database)
        try:
            later = time.time() + 31 * 86400
            removed = apply_retention(
                store, live_seconds=86400, whisper_seconds=30 * 86400, clock=lambda: later
            )
            assert removed.get("erased") == 2, removed
        finally:
            store.close()
        summary = {"id": "c2", "customer_id": None, "summary": "住所変更"}
        wrap_up = agent.request(
            "change_push", change_id="s1", kind="call_summary", record_id="c2", record=summary, seen=seq - 1
        )
        assert wrap_up["type"] == "error" and f"call 'c2' was erased (feed entry {seq})" in wrap_up["message"]
    finally:
        holder.rollback()
        for client in (agent, admin):
            client.close()
