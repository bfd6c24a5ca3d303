"""Failures of a several-instance deployment: an instance killed with -9, Redis restarted, PostgreSQL away.
Nothing acknowledged is lost, nothing is shown twice, and clients carry on by themselves."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.client import ConnectionState, SyncClient
from sync.protocol import Role, Whisper
from sync.store import TeamStore
from tests.scale.conftest import Cluster
from tests.scale.services import Instance, Postgres, Redis
from tests.sync.conftest import RawClient, wait_until


def _users(database: str) -> dict[str, str]:
    store = TeamStore(database=database)
    try:
        return {
            "sato": store.add_user("sato", Role.AGENT, "tokyo"),
            "suzuki": store.add_user("suzuki", Role.SUPERVISOR, "tokyo"),
        }
    finally:
        store.close()


class Inbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.whispers: list[Whisper] = []

    def __call__(self, whisper: Whisper) -> None:
        with self.lock:
            self.whispers.append(whisper)

    def ids(self) -> list[str]:
        with self.lock:
            return [w.whisper_id for w in self.whispers]


@pytest.fixture
def instances(pg_url: str, redis_server: Redis, tmp_path: Path) -> Iterator[list[Instance]]:
    started = [Instance(name, pg_url, redis_server.url, tmp_path) for name in ("a", "b")]
    try:
        for instance in started:
            instance.start()
        yield started
    finally:
        for instance in started:
            instance.stop()


def test_an_instance_killed_with_9_loses_nothing_acknowledged(
    instances: list[Instance], pg_url: str, tmp_path: Path
) -> None:
    a, b = instances
    tokens = _users(pg_url)
    inbox = Inbox()
    # The agent knows both instances and starts on a; the supervisor is on b.
    agent = SyncClient([a.url, b.url], tokens["sato"], tmp_path / "sato.sqlite3", first_backoff=0.1)
    agent.on_whisper = inbox
    supervisor = SyncClient([b.url, a.url], tokens["suzuki"], tmp_path / "suzuki.sqlite3", first_backoff=0.1)
    sent: list[str] = []
    try:
        agent.start()
        supervisor.start()
        wait_until(lambda: agent.state is ConnectionState.CONNECTED, what="agent connected")
        wait_until(lambda: supervisor.state is ConnectionState.CONNECTED, what="supervisor connected")
        for n in range(10):
            sent.append(supervisor.send_whisper("sato", None, f"before {n}"))
        wait_until(lambda: len(set(inbox.ids())) == 10, what="10 whispers relayed from b to the agent on a")
        a.kill()
        killed_at = time.monotonic()
        for n in range(10):
            sent.append(supervisor.send_whisper("sato", None, f"after {n}"))
        wait_until(lambda: supervisor.pending_count() == 0, what="every whisper acknowledged")
        wait_until(lambda: set(inbox.ids()) == set(sent), 15, "every acknowledged whisper at the agent")
        assert time.monotonic() - killed_at < 10
        assert agent.state is ConnectionState.CONNECTED
        duplicates = [i for i, c in Counter(inbox.ids()).items() if c > 1]
        assert duplicates == []
        assert [w.seq for w in sorted(inbox.whispers, key=lambda w: w.seq)] == list(range(1, 21))
    finally:
        agent.stop()
        supervisor.stop()


def _health(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
        return dict(json.loads(response.read()))


def test_after_redis_restarts_the_instances_catch_their_clients_up(cluster: Cluster) -> None:
    cluster.add_user("sato", "agent")
    cluster.add_user("suzuki", "supervisor")
    cluster.start_instance("a")
    cluster.start_instance("b")
    agent, supervisor = cluster.raw("sato", 1), cluster.raw("suzuki", 0)
    try:
        cluster.redis.stop()
        ack = supervisor.request(
            "whisper_send", whisper_id="w-down", agent="sato", text="Redis が落ちている間"
        )
        assert ack["type"] == "ack"  # durable first: the backplane is not needed to accept it
        wait_until(
            lambda: _health(cluster.instances[0].port)["backplane"]["state"] == "down", what="a notices"
        )
        cluster.redis.start()  # same port, empty
        pushed = agent.wait_for(lambda f: f["type"] == "whisper", timeout=15)
        assert pushed["whisper"]["whisper_id"] == "w-down"
        health = _health(cluster.instances[1].port)["backplane"]
        assert health["state"] == "connected" and health["reconnects"] >= 1
        # And live relaying works again.
        supervisor.request("whisper_send", whisper_id="w-up", agent="sato", text="戻った")
        assert agent.wait_for(lambda f: f["type"] == "whisper" and f["whisper"]["seq"] == 2)
    finally:
        agent.close()
        supervisor.close()


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A cluster of its own: this test stops it."""
    import shutil
    import tempfile

    from tests.scale.conftest import _need_binaries

    _need_binaries()
    root = Path(tempfile.mkdtemp(prefix="aa-postgres-"))
    pg = Postgres(root).init()
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_while_postgresql_is_away_requests_fail_retryably_and_nothing_acknowledged_is_lost(
    own_postgres: Postgres, redis_server: Redis, tmp_path: Path
) -> None:
    database = own_postgres.new_database()
    cluster = Cluster(database, redis_server)
    try:
        cluster.add_user("sato", "agent")
        cluster.add_user("suzuki", "supervisor")
        cluster.start_instance("a")
        cluster.start_instance("b")
        agent, supervisor = cluster.raw("sato", 1), cluster.raw("suzuki", 0)
        ack = supervisor.request("whisper_send", whisper_id="w1", agent="sato", text="一件目")
        assert ack["type"] == "ack"
        own_postgres.stop()
        refused = supervisor.request("whisper_send", whisper_id="w2", agent="sato", text="二件目")
        assert refused["type"] == "error" and refused["code"] == "internal"
        assert "database is unavailable" in refused["message"]
        own_postgres.start()
        # The client retries (internal is retryable) with the same id: stored once, delivered.
        retried = supervisor.request("whisper_send", whisper_id="w2", agent="sato", text="二件目")
        assert retried["type"] == "ack" and retried["whisper"]["seq"] == 2
        got = agent.wait_for(lambda f: f["type"] == "whisper" and f["whisper"]["whisper_id"] == "w2")
        assert got["whisper"]["seq"] == 2
        store = TeamStore(database=database)
        try:
            assert [w.whisper_id for w in store.whispers_for_agent("sato", 0)] == ["w1", "w2"]
        finally:
            store.close()
        agent.close()
        supervisor.close()
    finally:
        cluster.stop()


def test_a_client_retries_through_a_postgresql_outage_and_its_whisper_lands_once(
    own_postgres: Postgres, redis_server: Redis, tmp_path: Path
) -> None:
    cluster = Cluster(own_postgres.new_database(), redis_server)
    inbox = Inbox()
    try:
        tokens = {
            name: cluster.add_user(name, role) for name, role in (("sato", "agent"), ("suzuki", "supervisor"))
        }
        a, b = cluster.start_instance("a"), cluster.start_instance("b")
        agent = SyncClient([b.url], tokens["sato"], tmp_path / "sato.sqlite3", first_backoff=0.1)
        agent.on_whisper = inbox
        supervisor = SyncClient([a.url], tokens["suzuki"], tmp_path / "suzuki.sqlite3", first_backoff=0.1)
        try:
            agent.start()
            supervisor.start()
            wait_until(lambda: agent.state is ConnectionState.CONNECTED, what="agent connected")
            wait_until(lambda: supervisor.state is ConnectionState.CONNECTED, what="supervisor connected")
            own_postgres.stop()
            whisper_id = supervisor.send_whisper("sato", None, "データベースが止まっている間")
            # Refused as retryable ("nothing was stored; retry"), and the client keeps it in its outbox.
            wait_until(
                lambda: _health(a.port)["database_unavailable"] >= 2, 15, "the whisper refused and retried"
            )
            assert supervisor.pending_count() == 1 and inbox.ids() == []
            own_postgres.start()
            wait_until(lambda: inbox.ids() == [whisper_id], 15, "the retried whisper at the agent")
            wait_until(lambda: supervisor.pending_count() == 0, what="acknowledged")
            assert agent.state is ConnectionState.CONNECTED and supervisor.state is ConnectionState.CONNECTED
        finally:
            agent.stop()
            supervisor.stop()
        assert inbox.ids() == [whisper_id]  # once, though it was sent several times
    finally:
        cluster.stop()


def test_a_handshake_while_postgresql_is_away_is_refused_with_503(
    own_postgres: Postgres, redis_server: Redis
) -> None:
    from websockets.exceptions import InvalidStatus

    cluster = Cluster(own_postgres.new_database(), redis_server)
    try:
        token = cluster.add_user("sato", "agent")
        cluster.start_instance("a")
        own_postgres.stop()
        with pytest.raises(InvalidStatus) as refused:
            RawClient.open(cluster.instances[0].url, token)
        assert refused.value.response.status_code == 503
        own_postgres.start()
        RawClient.open(cluster.instances[0].url, token).close()
    finally:
        cluster.stop()
