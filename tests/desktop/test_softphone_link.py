"""A softphone hands the caller number to the app over the loopback URL; `--caller` reuses it."""

from __future__ import annotations

import socket
import threading
from typing import Any

from desktop.agent.agent_app import AgentApp
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.agent.softphone_link import hand_over
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from tests.listeners import QuietListener


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_softphone_url_fills_in_the_caller_and_bad_requests_change_nothing(qtbot: Any, tmp_path: Any) -> None:
    agent = AgentApp(
        ensure_app(),
        prefs=Preferences(ui_language="en", softphone_port=0),
        desk=CallDesk(QuietListener(), DeskConfig(), store_file=tmp_path / "s.sqlite3"),
    )
    qtbot.addWidget(agent.window)
    port = free_port()
    try:
        assert agent.listen_for_softphone(port)
        results: list[bool] = []

        def ring(number: str) -> None:
            results.append(hand_over(number, port, timeout=5))

        thread = threading.Thread(target=ring, args=("090-1234-5678",))
        thread.start()
        qtbot.waitUntil(lambda: agent.window.call_bar.phone.text() == "090-1234-5678", timeout=5000)
        qtbot.waitUntil(lambda: results == [True], timeout=5000)
        thread.join()

        thread = threading.Thread(target=ring, args=("not a number",))
        thread.start()
        qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
        thread.join()
        assert results == [True, False]
        assert agent.window.call_bar.phone.text() == "090-1234-5678"
    finally:
        agent.shutdown()
    assert not hand_over(
        "090-1234-5678", port, timeout=1
    )  # nobody listening: the caller opens the app instead
