"""Two server instances on one PostgreSQL database: a customer's erasure on one instance and, at the same
moment on the other, a whisper about her live call, a line of its transcript and a raised hand's reason.

Each of the three writes has already read the call (and the erasure tombstones: none yet) when the erasure
runs, and writes after it. The test makes that happen every run, not by timing: a connection of its own holds
what each write needs next (the agent's whisper counter row; the very transcript line's key, as an
uncommitted insert; the durable-log thread, busy with that whisper, for the raised hand's audit entry) while
the erasure is requested, and lets go once the erasure has either finished or is seen waiting for a lock.
Afterwards nothing of her call may be left in any table: not the whisper, not the line, not the reason in the
audit log. The same for a call of hers that starts on the other instance while the erasure runs (after it has
read which calls are hers) and is whispered on, and for one whose own second check finds her erasure and
removes it, after a whisper read it. Real PostgreSQL and redis-server on 127.0.0.1, two real
server instances, bare protocol clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

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


def test_a_whisper_on_her_call_started_on_another_instance_while_she_is_erased_goes_too(race: Race) -> None:
    cluster, watch, holder = race.cluster, race.watch, race.holder
    agent, supervisor, admin = cluster.raw("sato", 0), cluster.raw("suzuki", 0), cluster.raw("root", 1)
    try:
        customer = {"id": "k1", "name": NAME}
        record = agent.request(
            "change_push", change_id="p1", kind="customer", record_id="k1", record=customer
        )
        assert record["type"] == "ack", record

        # The erasure has read which calls are hers (none live) and is held before its deletes: the test holds
        # her record's feed row.
        holder.execute("SELECT seq FROM changes WHERE record_id = 'k1' FOR UPDATE")
        erase = admin.send("erase_customer", customer_id="k1")
        wait_until(lambda: _waiting_for_locks(watch) == 1, 30, "the erasure waiting for her feed row")

        # Meanwhile her call starts on the other instance (no tombstone yet: accepted) and is whispered on.
        assert agent.request("call_start", call_id="c2", customer=customer)["type"] == "ack"
        late = supervisor.request(
            "whisper_send", whisper_id="w2", agent="sato", call_id="c2", text=LATE_WHISPER
        )
        assert late["type"] == "ack", late
        holder.rollback()

        erased = admin.reply(erase, 30)
        assert erased["type"] == "ack", erased
        assert (erased["rows"].get("calls"), erased["rows"].get("whispers")) == (1, 1), erased
        assert _rows_holding(cluster.database, [NAME, LATE_WHISPER]) == {}
        again = supervisor.request(
            "whisper_send", whisper_id="w3", agent="sato", call_id="c2", text=LATE_WHISPER
        )
        assert again["type"] == "error" and "was erased" in again["message"], again
    finally:
        holder.rollback()
        for client in (agent, supervisor, admin):
            client.close()


def test_a_whisper_on_her_call_refused_by_its_own_second_check_goes_too(race: Race) -> None:
    cluster, watch, holder = race.cluster, race.watch, race.holder
    agent, supervisor, admin = cluster.raw("sato", 0), cluster.raw("suzuki", 0), cluster.raw("root", 1)
    tables = psycopg.connect(cluster.database)  # a second holder: every read of the tombstones waits for it
    try:
        # Her call starts on instance a: checked (no tombstone yet), then its row waits for its key, which the
        # test holds, while her erasure on instance b runs to the end without it.
        holder.execute(
            "INSERT INTO calls (call_id, team, agent, started_at) VALUES ('c2', 'tokyo', 'sato', 0)"
        )
        start = agent.send("call_start", call_id="c2", customer={"id": "k1", "name": NAME})
        wait_until(lambda: _waiting_for_locks(watch) == 1, 30, "the call waiting for its key")
        assert admin.request("erase_customer", customer_id="k1")["type"] == "ack"

        # The call's row is written; its second check waits (the test holds the tombstones' table) and a
        # whisper on the call, which has read it, waits at its own check.
        tables.execute("LOCK TABLE erased IN ACCESS EXCLUSIVE MODE")
        holder.rollback()
        wait_until(
            lambda: watch.execute("SELECT 1 FROM calls WHERE call_id = 'c2'").fetchone(),
            30,
            "her call written",
        )
        late = supervisor.send("whisper_send", whisper_id="w2", agent="sato", call_id="c2", text=LATE_WHISPER)
        wait_until(lambda: _waiting_for_locks(watch) == 2, 30, "the call's check and the whisper waiting")
        tables.rollback()

        refused = agent.reply(start, 30)
        assert refused["type"] == "error" and "was erased" in refused["message"], refused
        supervisor.reply(late, 30)  # stored before the call went (then deleted), or refused as erased
        assert _rows_holding(cluster.database, [NAME, LATE_WHISPER]) == {}
        again = supervisor.request(
            "whisper_send", whisper_id="w3", agent="sato", call_id="c2", text=LATE_WHISPER
        )
        assert again["type"] == "error", again
    finally:
        tables.rollback()
        tables.close()
        holder.rollback()
        for client in (agent, supervisor, admin):
            client.close()
