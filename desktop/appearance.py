"""Light and dark themes and the text size, applied to the whole app at once.

The Fusion style with an explicit palette looks the same on every platform, which keeps screenshots and
support instructions valid. A small style sheet gives states a colour (recording, server offline, a new
whisper); each of those states is also written out in words, so colour is never the only signal.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

_STATE_STYLE = """
QLabel#recording[state="on"] { color: %(alert)s; font-weight: bold; }
QLabel#serverState[state="online"] { color: %(ok)s; }
QLabel#serverState[state="offline"], QLabel#serverState[state="local_only"] { color: %(warn)s; }
QLabel#lag[state="behind"] { color: %(warn)s; font-weight: bold; }
QFrame#whisperInbox[unread="true"] { border: 2px solid %(accent)s; }
QFrame#whisperInbox[flash="true"] { background: %(flash)s; }
QFrame#cueBanner { border: 1px solid %(accent)s; border-radius: 6px; background: %(cue)s; }
QFrame#suggestionCard { border: 1px solid %(line)s; border-radius: 6px; background: %(card)s; }
QFrame#suggestionCard[pushed="true"] { border: 2px solid %(accent)s; }
QLabel#cardReason { color: %(muted)s; }
"""

_THEMES = {
    "light": {
        "window": "#f4f5f7",
        "base": "#ffffff",
        "text": "#1d1f23",
        "button": "#e9ebef",
        "highlight": "#2f6fde",
        "muted": "#5d6470",
        "alert": "#c62828",
        "ok": "#2e7d32",
        "warn": "#b26a00",
        "accent": "#2f6fde",
        "flash": "#ffe08a",
        "cue": "#eef4ff",
        "line": "#c9ced6",
        "card": "#ffffff",
        "mid": "#9aa3b0",
    },
    "dark": {
        "window": "#202327",
        "base": "#16181b",
        "text": "#e6e8eb",
        "button": "#2c3036",
        "highlight": "#5b8def",
        "muted": "#a2a9b4",
        "alert": "#ff6b6b",
        "ok": "#7bd88f",
        "warn": "#ffb74d",
        "accent": "#5b8def",
        "flash": "#6b5200",
        "cue": "#1f2a3d",
        "line": "#3a3f47",
        "card": "#1c1f23",
        "mid": "#5d6470",
    },
}


def apply_theme(app: QApplication, name: str) -> None:
    colors = _THEMES.get(name, _THEMES["light"])
    style = QStyleFactory.create("Fusion")
    if style is not None:
        app.setStyle(style)
    palette = QPalette()
    c = {k: QColor(v) for k, v in colors.items()}
    palette.setColor(QPalette.ColorRole.Window, c["window"])
    palette.setColor(QPalette.ColorRole.WindowText, c["text"])
    palette.setColor(QPalette.ColorRole.Base, c["base"])
    palette.setColor(QPalette.ColorRole.AlternateBase, c["window"])
    palette.setColor(QPalette.ColorRole.Text, c["text"])
    palette.setColor(QPalette.ColorRole.Button, c["button"])
    palette.setColor(QPalette.ColorRole.ButtonText, c["text"])
    palette.setColor(QPalette.ColorRole.Highlight, c["highlight"])
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.PlaceholderText, c["muted"])
    palette.setColor(QPalette.ColorRole.ToolTipBase, c["base"])
    palette.setColor(QPalette.ColorRole.ToolTipText, c["text"])
    palette.setColor(QPalette.ColorRole.Mid, c["mid"])
    palette.setColor(QPalette.ColorRole.Link, c["accent"])
    app.setPalette(palette)
    app.setStyleSheet(_STATE_STYLE % colors)


_default_point_size: float | None = None

# Japanese text falls back to another font whose lines are taller than the UI font's metrics, so rows sized
# by those metrics clip it. A UI font that carries Japanese itself keeps one set of metrics for both languages.
CJK_UI_FAMILIES = (
    "Noto Sans CJK JP",
    "Source Han Sans JP",
    "Yu Gothic UI",
    "Meiryo UI",
    "Hiragino Sans",
    "Noto Sans JP",
)


def apply_ui_font(app: QApplication) -> str:
    """Make a Japanese-capable family the app's font when one is installed; returns the family in effect."""
    available = set(QFontDatabase.families())
    font = QFont(app.font())
    for family in CJK_UI_FAMILIES:
        if family in available:
            font.setFamily(family)
            app.setFont(font)
            break
    return font.family()


def apply_font_size(app: QApplication, points: int) -> int:
    """Set the app's text size (0 = platform default); returns the size in effect."""
    global _default_point_size
    font = QFont(app.font())
    if _default_point_size is None:
        _default_point_size = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
    size = points if points > 0 else round(_default_point_size)
    size = max(7, min(28, size))
    font.setPointSize(size)
    app.setFont(font)
    return size
