"""One Agent Assist app runs on an agent's data at a time: started again, it brings the running one to the
front or says that one is open, and never opens the same store and headset a second time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from assist.privacy import app_running
from desktop.agent.agent_app import AgentApp
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.app import already_open, ensure_app
from desktop.common.preferences import Preferences
from tests.desktop.test_softphone_link import free_port
from tests.listeners import QuietListener

ROOT = Path(__file__).resolve().parents[2]


def running_app(home: Path, port: int) -> AgentApp:
    """The agent's app on ``home``'s store, its window hidden (minimised to the taskbar, as far as the agent
    sees), its store open (so it holds the app lock) and its loopback link listening on ``port``."""
    desk = CallDesk(QuietListener(), DeskConfig(language="en"), store_file=home / "agent-assist.sqlite3")
    agent = AgentApp(ensure_app(), prefs=Preferences(ui_language="en", softphone_port=0), desk=desk)
    assert agent.listen_for_softphone(port)
    desk.run_on_worker(lambda store: None).result(timeout=60)
    return agent


def test_starting_the_app_again_brings_the_running_one_to_the_front(qtbot: Any, tmp_path: Path) -> None:
    port = free_port()
    Preferences(ui_language="en", softphone_port=port).save(
        QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    )
    agent = running_app(tmp_path, port)
    qtbot.addWidget(agent.window)
    second: subprocess.Popen[str] | None = None
    try:
        assert app_running(tmp_path / "agent-assist.sqlite3")
        assert not agent.window.isVisible()
        env = dict(
            os.environ, AGENT_ASSIST_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT)
        )
        second = subprocess.Popen(
            [sys.executable, "-m", "desktop.cli"],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # The running app answers on this (its) event loop while the second one waits for it.
        qtbot.waitUntil(lambda: second is not None and second.poll() is not None, timeout=60_000)
        out, err = second.communicate()
        assert second.returncode == 0, err
        assert "already open" in out
        assert agent.window.isVisible()
    finally:
        if second is not None and second.poll() is None:
            second.kill()
            second.wait()
        agent.shutdown()
    assert not app_running(tmp_path / "agent-assist.sqlite3")  # the app let go of its store when it ended


def test_when_the_running_app_cannot_be_reached_the_second_says_where_it_is_open(
    qtbot: Any, tmp_path: Path
) -> None:
    """The running app's link is off (or its port was taken): the second start shows a message naming the data
    folder and ends with exit code 3, opening nothing."""
    agent = running_app(tmp_path, free_port())
    qtbot.addWidget(agent.window)
    shown: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            shown.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(20, answer)

    try:
        QTimer.singleShot(0, answer)
        code = already_open(
            tmp_path / "agent-assist.sqlite3", Preferences(ui_language="en", softphone_port=0)
        )
    finally:
        agent.shutdown()
    assert code == 3
    assert len(shown) == 1 and str(tmp_path) in shown[0] and "already open" in shown[0]
    assert not agent.window.isVisible()
