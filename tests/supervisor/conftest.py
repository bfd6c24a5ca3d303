"""A real team server on 127.0.0.1 (port 0), real users with tokens, and real SyncClients for the console
tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sync.client import SyncClient
from sync.protocol import Role
from sync.server import ServerThread
from sync.store import TeamStore


@dataclass
class TeamServerForTests:
    thread: ServerThread
    data_dir: Path
    client_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    clients: list[SyncClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.thread.url

    def add_user(self, name: str, role: str, team: str) -> str:
        store = TeamStore(self.data_dir)
        try:
            self.tokens[name] = store.add_user(name, Role(role), team)
        finally:
            store.close()
        return self.tokens[name]

    def restart(self) -> None:
        """Stop the server and start it again on the same port and data (a crash-free restart)."""
        port = self.thread.port
        self.thread.stop()
        self.thread = ServerThread(self.data_dir, "127.0.0.1", port)
        self.thread.start()

    def revoke(self, name: str) -> None:
        store = TeamStore(self.data_dir)
        try:
            store.revoke_user(name)
        finally:
            store.close()

    def client(self, name: str) -> SyncClient:
        """A SyncClient for ``name`` (not started: the console or the test starts it)."""
        client = SyncClient(
            self.url, self.tokens[name], self.client_dir / f"{name}.sqlite3", first_backoff=0.05
        )
        self.clients.append(client)
        return client


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[TeamServerForTests]:
    thread = ServerThread(tmp_path / "server", "127.0.0.1", 0)
    thread.start()
    server = TeamServerForTests(thread, tmp_path / "server", tmp_path / "clients")
    try:
        yield server
    finally:
        for client in server.clients:
            client.stop()
        server.thread.stop()
