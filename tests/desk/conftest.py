"""A real team server for the desk tests that need one (127.0.0.1, port 0), stopped after the test; the
agent's data directory with the demo store, and the agent's desk signed in to that server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.agent.demo import seed_store
from desktop.agent.desk import CallDesk, DeskConfig
from sync.client import ConnectionState, SyncClient
from sync.server import ServerThread
from tests.sync.conftest import RunningServer
from tests.waiting import wait_until


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    thread = ServerThread(tmp_path / "server", "127.0.0.1", 0)
    thread.start()
    try:
        yield RunningServer(thread, tmp_path / "server")
    finally:
        thread.stop()


@pytest.fixture
def team_pc(server: RunningServer, tmp_path: Path) -> Path:
    """The agent's data directory holding the demo store; the team has the agent (alex) and a supervisor
    (miki)."""
    server.add_user("alex", "agent", "demo")
    server.add_user("miki", "supervisor", "demo")
    pc = tmp_path / "pc"
    pc.mkdir()
    seed_store(pc / "agent-assist.sqlite3")
    return pc


def agents_desk(listener: Any, pc: Path, url: str, token: str) -> CallDesk:
    """The agent's desk on the data directory ``pc``, signed in to the team server (English, tiny.en)."""
    return CallDesk(
        listener,
        DeskConfig(language="en", model="tiny.en", server_url=url, server_token=token),
        store_file=pc / "agent-assist.sqlite3",
        sync_state_file=pc / "sync-client.sqlite3",
        recordings=pc / "recordings",
    )


def start_online(desk: CallDesk) -> SyncClient:
    """Start ``desk`` (no model preloaded), wait until it is signed in to the team server and return its sync
    client."""
    desk.start(preload_model=False)
    wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 30, "the agent's app online")
    client = desk.sync
    assert client is not None
    return client
