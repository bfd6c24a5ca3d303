"""The UI language: the app's own translations (resources/translations/agent_assist_<lang>.qm) and Qt's
(for standard dialogs and buttons), swapped at run time. Installing a translator makes Qt send every window a
LanguageChange event, on which each window re-reads its texts."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from resources import ROOT as RESOURCES

log = logging.getLogger(__name__)

TRANSLATIONS = RESOURCES / "translations"
UI_LANGUAGES = ("ja", "en")

_installed: list[QTranslator] = []


def install_ui_language(app: QApplication, language: str) -> bool:
    """Switch the UI to ``language``; returns False when the app's own translation file is missing."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    QLocale.setDefault(QLocale(QLocale.Language.Japanese if language == "ja" else QLocale.Language.English))
    if language == "en":
        return True  # the source strings are English
    found = True
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase", "qt"):
        translator = QTranslator(app)
        if translator.load(f"{name}_{language}", qt_dir):
            app.installTranslator(translator)
            _installed.append(translator)
            break
    own = QTranslator(app)
    if own.load(f"agent_assist_{language}", str(TRANSLATIONS)):
        app.installTranslator(own)
        _installed.append(own)
    else:
        log.warning("no UI translation for %s in %s; showing English", language, TRANSLATIONS)
        found = False
    return found
