"""Whether a window can be shown at all, decided without importing Qt (so `agent-assist demo` can pick its
terminal flavour, and `agent-assist` can explain what to do, before paying for Qt)."""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True  # the user chose a platform (offscreen, xcb under Xvfb, ...): trust it
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True
