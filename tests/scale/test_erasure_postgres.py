"""Erasure on the PostgreSQL backend (issue #16): the same ``erase_customer`` request as on SQLite removes the
customer's records, every feed version, the live call with its transcript and the whispers from every table of
the team's PostgreSQL database (read back row by row, as text), leaves the rest of the team's data alone, and
says honestly that the database's own files are PostgreSQL's to reclaim (``files_cleared`` false)."""

from __future__ import annotations

import psycopg

from tests.scale.conftest import Cluster
from tests.sync.test_erasure import OTHER, SECRETS, _customer_call


def _rows_holding(url: str, needles: list[str]) -> dict[str, list[str]]:
    """Which needles appear in which table of the database (every row of every table, as text)."""
    hits: dict[str, list[str]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ]
        for table in tables:
            text = "\n".join(row[0] for row in conn.execute(f'SELECT t::text FROM "{table}" t'))
            found = [n for n in needles if n in text]
            if found:
                hits[table] = found
    return hits


def test_a_supervisor_erases_a_customer_from_postgresql(cluster: Cluster) -> None:
    cluster.add_user("sato", "agent")
    cluster.add_user("suzuki", "supervisor")
    cluster.start_instance("a")
    agent = cluster.raw("sato", 0)
    supervisor = cluster.raw("suzuki", 0)
    try:
        _customer_call(agent, supervisor)
        before = _rows_holding(cluster.database, SECRETS)
        assert set().union(*before.values()) == set(SECRETS), before

        assert agent.request("erase_customer", customer_id="k1")["code"] == "forbidden"
        erased = supervisor.request("erase_customer", customer_id="k1", call_ids=["c1"])
        assert erased["type"] == "ack", erased
        assert erased["calls"] == ["c1"]
        assert erased["rows"]["changes"] == 5 and erased["rows"]["segments"] == 1
        assert erased["rows"]["whispers"] == 1
        assert erased["files_cleared"] is False  # dead rows are PostgreSQL's to reclaim (docs/scaling.md)

        assert _rows_holding(cluster.database, SECRETS) == {}
        feed = supervisor.request("feed_since", after=0)["changes"]
        assert [c["record"].get("text") for c in feed if c["kind"] == "note"] == [OTHER]
        again = supervisor.request("whisper_send", whisper_id="w2", agent="sato", text="next")
        assert again["whisper"]["seq"] == 2  # the agent's whisper numbers go on counting
        assert supervisor.request("erase_customer", customer_id="k1")["type"] == "ack"  # twice is harmless
    finally:
        agent.close()
        supervisor.close()
