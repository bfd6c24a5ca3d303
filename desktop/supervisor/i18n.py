"""The supervisor console in Japanese: its own translation file, installed beside the app's.

The console's strings and their Japanese live in ``desktop/supervisor/translations/supervisor_ja.ts`` (and the
compiled ``.qm``), apart from the agent screen's file; ``scripts/update_translations.py`` keeps both in step
with the code.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

TRANSLATIONS = Path(__file__).resolve().parent / "translations"

_installed: list[QTranslator] = []


def install_supervisor_translation(language: str) -> bool:
    """Show the console in ``language`` (ja or en); call after the app's own install_ui_language()."""
    app = QCoreApplication.instance()
    if app is None:
        return False
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if language != "ja":
        return True  # the source strings are English
    translator = QTranslator(app)
    if not translator.load("supervisor_ja", str(TRANSLATIONS)):
        return False
    app.installTranslator(translator)
    _installed.append(translator)
    return True
