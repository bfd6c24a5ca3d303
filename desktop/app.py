"""Start the desktop app. The desktop issue grows this into the full call screen; the contract kept here:

- ``create_main_window()`` returns the main window without showing it (the self-test and tests use it);
- ``run_app(args)`` runs the app until the user quits and returns the exit code.
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Agent Assist")
        app.setOrganizationName("AgentAssist")
    assert isinstance(app, QApplication)
    return app


def create_main_window() -> QMainWindow:
    window = QMainWindow()
    window.setWindowTitle(window.tr("Agent Assist"))
    window.setCentralWidget(QLabel(window.tr("Agent Assist")))
    window.resize(1200, 800)
    return window


def run_app(args: argparse.Namespace) -> int:
    app = ensure_app()
    window = create_main_window()
    window.show()
    return app.exec()
