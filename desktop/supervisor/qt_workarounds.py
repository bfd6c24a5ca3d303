"""A guard against PySide6 6.12.0 dropping references to ``None``, ``True`` and ``False`` on Python 3.11.

That release returns these three singletons without taking a reference (on Python 3.12+ they are immortal, so
it does not matter there): every ``setText()``, ``setData()``, ``emit()``... called from Python on 3.11
decrements their reference count once more. A window that redraws every second exhausts them within minutes
and the interpreter aborts ("Fatal Python error: none_dealloc" / "bool_dealloc"), at the latest when it exits.

The guard does what Python 3.12 does: it makes the three singletons practically immortal by adding 2**40 to
their reference counts, once per process, and only when a probe shows the leak (so it is a no-op on a fixed
PySide6 or a newer Python). It acts on the whole process on purpose: every widget in the app leaks the same way.
"""

from __future__ import annotations

import ctypes
import sys
import threading

_IMMORTAL_MARGIN = 1 << 40
_lock = threading.Lock()
_installed = False


def _leaks_singletons() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        fired = Signal()

    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(32):
        probe.setObjectName("probe")  # returns None
        probe.fired.emit()  # returns True
    none_lost = none_before - sys.getrefcount(None)
    true_lost = true_before - sys.getrefcount(True)
    _give_back(None, none_lost)
    _give_back(True, true_lost)
    return none_lost >= 16 or true_lost >= 16


def _give_back(obj: object, count: int) -> None:
    if count > 0:
        # ob_refcnt is the first field of every object in CPython (non-debug builds), at the object's address.
        refcount = ctypes.c_ssize_t.from_address(id(obj))
        refcount.value += count


def install_refcount_guard() -> bool:
    """Make None/True/False immortal if this PySide6 leaks them; returns whether the guard is active."""
    global _installed
    with _lock:
        if _installed:
            return True
        if sys.implementation.name != "cpython" or sys.version_info >= (3, 12) or not _leaks_singletons():
            return False
        for singleton in (None, True, False):
            _give_back(singleton, _IMMORTAL_MARGIN)
        _installed = True
        return True
