"""The team channel's traffic stays out of log files (sync/logs.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.client import ConnectionState, SyncClient
from tests.sync.conftest import RunningServer
from tests.waiting import wait_until


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """A log file taking everything, as the app's log does with ``-v``."""
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield log_file
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def test_a_whisper_and_the_tokens_stay_out_of_a_debug_log(
    tmp_path: Path, team_server: RunningServer, debug_log: Path
) -> None:
    supervisor_token = team_server.add_user("sato", "supervisor", "tokyo")
    agent_token = team_server.add_user("tanaka", "agent", "tokyo")
    agent = SyncClient(team_server.url, agent_token, tmp_path / "agent.sqlite3")
    supervisor = SyncClient(team_server.url, supervisor_token, tmp_path / "supervisor.sqlite3")
    received: list[str] = []
    agent.on_whisper = lambda whisper: received.append(whisper.text)
    try:
        agent.start()
        supervisor.start()
        wait_until(lambda: supervisor.state is ConnectionState.CONNECTED, 10, "the supervisor online")
        supervisor.send_whisper("tanaka", None, "返金は本日中に手配済みとお伝えください")
        wait_until(lambda: received, 10, "the whisper delivered")
    finally:
        supervisor.stop(timeout=5)
        agent.stop(timeout=5)
    written = debug_log.read_text(encoding="utf-8")
    assert "connection open" in written  # the log still says what happened to connections
    for secret in ("手配済み", supervisor_token, agent_token):
        assert secret not in written
