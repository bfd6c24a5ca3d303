"""Fixtures for several server instances: a real PostgreSQL cluster (one per test session, an empty database
per test) and a real redis-server per test, both on 127.0.0.1 in temp dirs and stopped afterwards.

``./run`` installs both from Debian (APT_PACKAGES); without the binaries these tests skip and say which are
missing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sync.protocol import Role
from sync.server import ServerThread
from sync.store import TeamStore
from tests.scale.services import Postgres, Redis, missing_binaries
from tests.sync.conftest import RawClient


def _need_binaries() -> None:
    missing = missing_binaries()
    if missing:
        pytest.skip(
            f"needs {', '.join(missing)} (Debian packages postgresql and redis-server; ./run installs them)"
        )


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    _need_binaries()
    # Not under pytest's tmp dir: that one is private to root, and PostgreSQL runs as the postgres user.
    root = Path(tempfile.mkdtemp(prefix="aa-postgres-"))
    try:
        pg = Postgres(root).init()
        pg.start()
        try:
            yield pg
        finally:
            pg.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    return postgres.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """The team store's location on each backend in turn: ``TeamStore(**location)``."""
    if request.param == "sqlite":
        return {"data_dir": tmp_path / "data"}
    return {"database": request.getfixturevalue("pg_url")}


class ManualClock:
    """The store's and the retention round's clock, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[Redis]:
    _need_binaries()
    redis = Redis(tmp_path / "redis")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@dataclass
class Cluster:
    """Server instances (threads of this process) on one PostgreSQL database and one Redis."""

    database: str
    redis: Redis
    instances: list[ServerThread] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def add_user(self, name: str, role: str, team: str = "tokyo") -> str:
        store = TeamStore(database=self.database)
        try:
            self.tokens[name] = store.add_user(name, Role(role), team)
        finally:
            store.close()
        return self.tokens[name]

    def start_instance(self, name: str) -> ServerThread:
        thread = ServerThread(None, instance=name, database=self.database, redis=self.redis.url)
        thread.start()
        self.instances.append(thread)
        return thread

    def raw(self, name: str, instance: int) -> RawClient:
        return RawClient.open(self.instances[instance].url, self.tokens[name])

    def stop(self) -> None:
        for thread in self.instances:
            thread.stop()


@pytest.fixture
def cluster(pg_url: str, redis_server: Redis) -> Iterator[Cluster]:
    running = Cluster(pg_url, redis_server)
    try:
        yield running
    finally:
        running.stop()
