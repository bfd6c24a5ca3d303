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
QLabel#serverState[state="connected"] { color: %(ok)s; }
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
        "warn": "#945800",
        "accent": "#2f5fc7",
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
        "highlight": "#3d6bd1",
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

SELECTED_TEXT = "#ffffff"  # text on the highlight colour (selected rows), both themes

# Every (text colour, background colour) pair the app draws text with, by theme key; "selected" is
# SELECTED_TEXT. tests/desktop/test_appearance.py holds each to WCAG AA (4.5:1) in both themes.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("text", "window"), ("text", "base"), ("text", "button"), ("text", "cue"), ("text", "card"),
    ("text", "flash"), ("muted", "window"), ("muted", "base"), ("muted", "card"), ("muted", "cue"),
    ("alert", "window"), ("alert", "base"), ("ok", "window"), ("warn", "window"), ("warn", "base"),
    ("accent", "window"), ("accent", "base"), ("selected", "highlight"),
)  # fmt: skip

# Translucent tints drawn under text: (RGBA tint, the background it lies on).
TINTS: dict[str, tuple[tuple[int, int, int, int], str]] = {
    "attention": ((255, 170, 0, 70), "base"),  # a board row that needs the supervisor
    "matched": ((255, 200, 0, 90), "card"),  # a matched word on a suggestion card
}


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1.0 .. 21.0)."""

    def luminance(colour: str) -> float:
        value = colour.lstrip("#")
        channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def blend(tint: tuple[int, int, int, int], background: str) -> str:
    """The opaque colour a translucent tint makes over ``background``."""
    alpha = tint[3] / 255
    value = background.lstrip("#")
    base = [int(value[i : i + 2], 16) for i in (0, 2, 4)]
    mixed = [round(alpha * t + (1 - alpha) * b) for t, b in zip(tint[:3], base, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def theme_colours(name: str) -> dict[str, str]:
    """The named colours of a theme, with "selected" (text on the highlight) and the tints made opaque."""
    colours = {**_THEMES[name], "selected": SELECTED_TEXT}
    for key, (tint, under) in TINTS.items():
        colours[key] = blend(tint, colours[under])
    return colours


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
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(SELECTED_TEXT))
    palette.setColor(QPalette.ColorRole.PlaceholderText, c["muted"])
    palette.setColor(QPalette.ColorRole.ToolTipBase, c["base"])
    palette.setColor(QPalette.ColorRole.ToolTipText, c["text"])
    palette.setColor(QPalette.ColorRole.Mid, c["mid"])
    palette.setColor(QPalette.ColorRole.Link, c["accent"])
    app.setPalette(palette)
    app.setStyleSheet(_STATE_STYLE % colors)


_default_point_size: float | None = None

# Japanese text falls back to another font whose lines are taller than the UI font's metrics, so rows sized
# by those metrics clip it. A UI font that carries Japanese itself keeps one set of metrics for both
# languages.
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


# The default text size never goes below this: Japanese at the usual 9 pt UI size is hard to read on a call.
MIN_DEFAULT_POINTS = 11


def apply_font_size(app: QApplication, points: int) -> int:
    """Set the app's text size (0 = the default: the platform's, at least MIN_DEFAULT_POINTS); returns the
    size in effect. Open windows change at once, not only windows opened later."""
    global _default_point_size
    font = QFont(app.font())
    if _default_point_size is None:
        _default_point_size = max(float(MIN_DEFAULT_POINTS), font.pointSizeF())
    size = points if points > 0 else round(_default_point_size)
    size = max(7, min(28, size))
    font.setPointSize(size)
    app.setFont(font)
    # With an application style sheet Qt does not pass a new app font on to widgets that exist already;
    # setting the sheet again re-resolves every widget's font (bold and other explicit attributes are kept).
    app.setStyleSheet(app.styleSheet())
    return size
