"""`agent-assist supervisor`: reachable from the main command, Qt-free until it opens the window, clear on bad
input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.cli import main
from desktop.supervisor.console import SupervisorConsole
from desktop.supervisor.i18n import install_supervisor_translation
from sync.client import SyncClient
from tests.conftest import ROOT


def test_supervisor_command_is_listed_and_importing_it_loads_no_qt() -> None:
    code = (
        "import sys; from desktop.cli import build_parser; "
        "help = build_parser().format_help(); "
        "assert 'supervisor' in help, help; "
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported by --help'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_missing_token_and_wrong_url_are_explained(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AGENT_ASSIST_TOKEN", raising=False)
    assert main(["supervisor", "--server", "ws://127.0.0.1:8765/"]) == 2
    assert "give --token or set AGENT_ASSIST_TOKEN" in capsys.readouterr().err
    assert main(["supervisor", "--server", "http://127.0.0.1:8765/", "--token", "t"]) == 2
    assert "must be a ws:// or wss:// URL" in capsys.readouterr().err


def test_console_speaks_japanese_and_switches_back(qtbot: QtBot, tmp_path: Path) -> None:
    # Nothing listens on port 9: the console opens offline all the same.
    client = SyncClient("ws://127.0.0.1:9/", "token", tmp_path / "c.sqlite3", first_backoff=5.0)
    console = SupervisorConsole(client)
    qtbot.addWidget(console)
    try:
        assert install_supervisor_translation("ja")
        qtbot.waitUntil(lambda: console.tabs.tabText(0) == "チームボード")
        header = console.board_view.horizontalHeaderItem(0)
        assert header is not None and header.text() == "要注意"
        assert "モニター中の通話はありません" in console.follow_title.text()
    finally:
        install_supervisor_translation("en")
    qtbot.waitUntil(lambda: console.tabs.tabText(0) == "Team board")
    console.shutdown()
    client.stop()
