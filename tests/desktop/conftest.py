"""The agent's app on a fresh local store (no team server), shown offscreen: the call screen's tests share
it."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.agent.agent_app import AgentApp
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from tests.listeners import QuietListener


@pytest.fixture
def agent(qtbot: Any, tmp_path: Any) -> Any:
    app = ensure_app()
    desk = CallDesk(QuietListener(), DeskConfig(language="en"), store_file=tmp_path / "store.sqlite3")
    agent = AgentApp(app, prefs=Preferences(ui_language="en"), desk=desk)
    qtbot.addWidget(agent.window)
    agent.window.show()
    qtbot.waitExposed(agent.window)
    yield agent
    agent.shutdown()
