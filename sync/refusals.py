"""Refused handshakes in the audit log without letting a flood fill the disk.

Every refused handshake (no token, unknown, expired or revoked token) is counted in ``/health``
(``auth_failed``), but only some are written to the audit log: per address and reason, the first refusal of a
window becomes an audit row (``login_failed``, target the address) and the ones after it in the same window
are only counted; once the window is over, :meth:`RefusalLog.due` gives one summary row for those
(``{"reason", "refusals": n, "window_s": w}``). Reasons are few (no token, unknown token, a user's expired or
revoked token), so an address writes a handful of rows per window however hard it knocks. Across addresses at
most ``rows_per_window`` rows are written per window (a flood from many addresses); the rest go into one
summary row for the window (target ``*``, with how many refusals and addresses), and no more than
``max_addresses`` addresses are remembered at once. Behind a TCP proxy every client has the proxy's address:
the rows then summarise the proxy's refusals."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

ALL_ADDRESSES = "*"


@dataclass
class _Address:
    started: float
    counted: int = 0  # refusals after the written one, not written yet


class RefusalLog:
    """Not thread-safe: the server's event loop is its only user."""

    def __init__(
        self,
        window: float = 60.0,
        rows_per_window: int = 100,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.rows_per_window = rows_per_window
        self.max_addresses = max_addresses
        self._clock = clock
        self._addresses: dict[tuple[str, str], _Address] = {}  # (address, reason)
        self._window_started = clock()
        self._rows = 0  # rows admitted in the current window (all addresses)
        self._overflow = 0  # refusals not written because of rows_per_window or max_addresses
        self._overflow_addresses: set[str] = set()

    def admit(self, address: str, reason: str) -> dict[str, object] | None:
        """Count one refusal from ``address``; the audit row's detail when it is to be written now, else None
        (it is counted in a later summary row)."""
        now = self._clock()
        self._roll(now)
        key = (address, reason)
        seen = self._addresses.get(key)
        if seen is not None and now - seen.started < self.window:
            seen.counted += 1
            return None
        if self._rows >= self.rows_per_window or (
            seen is None and len(self._addresses) >= self.max_addresses
        ):
            self._overflow += 1
            if len(self._overflow_addresses) < self.max_addresses:
                self._overflow_addresses.add(address)
            return None
        self._rows += 1
        self._addresses[key] = _Address(now)
        detail: dict[str, object] = {"reason": reason}
        if seen is not None and seen.counted:  # its last window's summary was not written yet
            detail["refusals_before"] = seen.counted
        return detail

    def due(self) -> list[tuple[str, dict[str, object]]]:
        """Summary rows (target, detail) for windows that are over; call it now and then (each minute)."""
        now = self._clock()
        rows: list[tuple[str, dict[str, object]]] = []
        for key, seen in list(self._addresses.items()):
            if now - seen.started < self.window:
                continue
            del self._addresses[key]
            if seen.counted:
                address, reason = key
                rows.append((address, {"reason": reason, "refusals": seen.counted, "window_s": self.window}))
        if self._overflow and now - self._window_started >= self.window:
            detail: dict[str, object] = {
                "reason": "too many refused handshakes to write each",
                "refusals": self._overflow,
                "addresses": len(self._overflow_addresses),
                "window_s": self.window,
            }
            rows.append((ALL_ADDRESSES, detail))
            self._overflow = 0
            self._overflow_addresses.clear()
        self._roll(now)
        return rows

    def _roll(self, now: float) -> None:
        if now - self._window_started >= self.window and not self._overflow:
            self._window_started = now
            self._rows = 0
