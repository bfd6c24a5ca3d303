"""Start the desktop app. The contract others rely on:

- ``create_main_window()`` returns the main window without showing it (the self-test and tests use it); it
  needs no server, no audio device and no loaded model;
- ``run_app(args)`` runs the app until the user quits and returns the exit code (``args.caller`` may hold the
  caller number a softphone passed on the command line). One app runs on an agent's data at a time: started
  again, it brings the running one to the front (or says that one is open) and ends.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from assist.paths import store_path
from assist.privacy import app_running
from desktop.agent.main_window import CallScreen
from desktop.common.display import has_display
from desktop.common.i18n import install_ui_language
from desktop.common.lifetime import collect_garbage_on_main_thread
from desktop.common.preferences import APPLICATION, ORGANIZATION, Preferences

NO_DISPLAY_HELP = """\
agent-assist: there is no display to open the desktop app on (no DISPLAY or WAYLAND_DISPLAY).
  - on a desktop session, start it from there;
  - without a screen, try the terminal demo:   agent-assist demo --headless
  - or a virtual display:                      xvfb-run -a agent-assist
  - or render off screen (no window to see):   QT_QPA_PLATFORM=offscreen agent-assist
"""


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName(APPLICATION)
        app.setOrganizationName(ORGANIZATION)
    assert isinstance(app, QApplication)
    # Worker threads must never destroy a window caught in a reference cycle (a crash in Qt's event loop).
    collect_garbage_on_main_thread(app)
    return app


def already_open(store_file: Path, prefs: Preferences) -> int:
    """Another Agent Assist app runs on this PC's data (``store_file``): a second one would record the same
    headset and write the same calls. Bring that one to the front through its loopback link (exit 0); when it
    does not answer (the link is off or its port taken), say so in a message box (exit 3)."""
    from desktop.agent.softphone_link import bring_to_front

    if bring_to_front(prefs.softphone_port):
        print("agent-assist: the app is already open on this PC; its window was brought to the front")
        return 0
    where = str(store_file.parent)
    print(
        f"agent-assist: the app is already open on this PC (data folder {where}); close it first",
        file=sys.stderr,
    )
    app = ensure_app()
    install_ui_language(app, prefs.ui_language)
    QMessageBox.information(
        None,
        QCoreApplication.translate("AlreadyOpen", "Agent Assist is already open"),
        QCoreApplication.translate(
            "AlreadyOpen",
            "Agent Assist is already open on this PC (data folder {folder}). Switch to its window, or close "
            "it before starting it again.",
        ).format(folder=where),
    )
    return 3


def create_main_window() -> CallScreen:
    ensure_app()
    return CallScreen()


def run_app(args: argparse.Namespace) -> int:
    caller = getattr(args, "caller", None)
    if caller:
        from desktop.agent.softphone_link import hand_over

        if hand_over(str(caller)):
            print(f"agent-assist: caller {caller} handed to the app already running")
            return 0
    if not has_display():
        print(NO_DISPLAY_HELP, file=sys.stderr, end="")
        return 2
    if app_running(store_path()):
        return already_open(store_path(), Preferences.load())
    from desktop.agent.agent_app import AgentApp

    app = ensure_app()
    agent = AgentApp.create(app)
    if caller:
        agent.window.call_bar.phone.setText(str(caller))
    agent.show()
    code = app.exec()
    agent.shutdown()
    return code
