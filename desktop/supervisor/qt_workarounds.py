"""A guard against a reference-counting bug in PySide6 6.12.0's ``SignalInstance.emit``.

In that release ``emit()`` hands back ``True`` without taking a reference, and the caller then drops one: every
signal emitted from Python slowly "frees" ``True``. After a few thousand emissions (a console ticking every
second, a live transcript) the interpreter aborts, at the latest while shutting down with
"Fatal Python error: bool_dealloc". The fix here gives the reference back after each emission, and only when a
probe at install time shows the leak, so it switches itself off on a PySide6 that is fixed. It patches the
process-wide class on purpose: every emitter in the app is affected, not only the supervisor console.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import Any

_lock = threading.Lock()
_installed = False


def _emit_leaks_a_reference() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        fired = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(16):
        probe.fired.emit()
    leaked = sys.getrefcount(True) - before
    for _ in range(max(0, -leaked)):  # the probe's own damage, repaid
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return leaked <= -8


def install_emit_refcount_fix() -> bool:
    """Patch ``SignalInstance.emit`` if this PySide6 leaks; returns whether the patch is active. Idempotent."""
    global _installed
    with _lock:
        if _installed:
            return True
        if not _emit_leaks_a_reference():
            return False
        from PySide6.QtCore import SignalInstance

        original = SignalInstance.emit
        incref = ctypes.pythonapi.Py_IncRef
        incref.argtypes = [ctypes.py_object]
        incref.restype = None

        def emit(self: Any, *args: Any) -> Any:
            result = original(self, *args)
            if result is True or result is False:
                incref(result)
            return result

        SignalInstance.emit = emit  # type: ignore[method-assign]
        _installed = True
        return True
