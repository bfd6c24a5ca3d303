"""A real team server for the desk tests that need one (127.0.0.1, port 0), stopped after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.server import ServerThread
from tests.sync.conftest import RunningServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    thread = ServerThread(tmp_path / "server", "127.0.0.1", 0)
    thread.start()
    try:
        yield RunningServer(thread, tmp_path / "server")
    finally:
        thread.stop()
