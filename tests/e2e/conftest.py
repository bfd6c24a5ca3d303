"""Qt's offscreen platform warns that it cannot pass size hints to a window that has none to take: harmless
there, and never seen on a real display, so it must not fail the strict Qt-log check of these tests."""

from __future__ import annotations

import pytest

OFFSCREEN_NOISE = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(OFFSCREEN_NOISE)


# The audio package's PulseAudio fixture closes its pipes (the shared one leaves stderr open, which
# filterwarnings=error turns into a teardown error).
from tests.audio.conftest import pulse_sinks  # noqa: E402, F401
