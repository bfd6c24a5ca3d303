"""The one way tests wait for something to happen in another thread: poll a condition, fail naming it.

Qt tests use ``qtbot.waitUntil`` / ``waitSignal`` instead, so the event loop keeps running while they wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll until ``predicate`` returns something truthy and return it; fail naming ``what`` after
    ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)
