"""Refused handshakes cannot fill the team server's disk (issue #16): a flood of bad tokens from one address
writes one audit row and, after the window, one summary row with the count, while /health counts every
refusal. Real server on 127.0.0.1, real handshakes, the audit table read from the server's file."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from sync.refusals import ALL_ADDRESSES, RefusalLog
from sync.server import ServerLimits
from tests.sync.conftest import RunningServer
from tests.waiting import wait_until

FLOOD = 300
WINDOW = 2.0


@pytest.fixture
def server_limits() -> ServerLimits:
    return ServerLimits(refusal_window=WINDOW, retention_every=0.2)


def _login_failures(team_server: RunningServer) -> list[tuple[str, dict[str, Any]]]:
    db = sqlite3.connect(f"file:{team_server.data_dir / 'team.sqlite3'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT target, detail FROM audit WHERE action = 'login_failed' ORDER BY seq"
        ).fetchall()
    finally:
        db.close()
    return [(str(target), json.loads(detail)) for target, detail in rows]


def _refusals_in(rows: list[tuple[str, dict[str, Any]]]) -> int:
    """How many refusals the rows account for: a written one (plus any it carries), or a summary's count."""
    return sum(int(d.get("refusals", 0)) or 1 + int(d.get("refusals_before", 0)) for _, d in rows)


def test_a_flood_of_bad_tokens_writes_a_few_audit_rows_not_one_per_try(team_server: RunningServer) -> None:
    began = time.monotonic()
    for _ in range(FLOOD):
        with pytest.raises(InvalidStatus):
            connect(
                team_server.url,
                additional_headers={"Authorization": "Bearer nope"},
                proxy=None,
                open_timeout=5,
            )
    elapsed = time.monotonic() - began
    with urllib.request.urlopen(f"http://127.0.0.1:{team_server.thread.port}/health", timeout=5) as response:
        assert json.loads(response.read())["auth_failed"] == FLOOD  # every one is counted

    rows = wait_until(
        lambda: (found := _login_failures(team_server)) and _refusals_in(found) == FLOOD and found,
        15,
        "every refusal of the flood accounted for in the audit log",
    )
    # One row when a window opens and one summary when it closes, per window of the flood (2 s each).
    assert len(rows) <= 2 * (elapsed // WINDOW + 1), (elapsed, rows)
    target, first = rows[0]
    assert target.startswith("127.0.0.1:") and first == {"reason": "unknown token"}
    summaries = [d for t, d in rows if t == "127.0.0.1"]
    assert summaries and all(d["reason"] == "unknown token" and d["window_s"] == WINDOW for d in summaries)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_many_addresses_share_one_budget_per_window() -> None:
    clock = _Clock()
    log = RefusalLog(window=60.0, rows_per_window=3, max_addresses=100, clock=clock)
    written = [log.admit(f"10.0.0.{n}", "unknown token") for n in range(10)]
    assert written[:3] == [{"reason": "unknown token"}] * 3 and written[3:] == [None] * 7
    assert log.admit("10.0.0.1", "unknown token") is None  # its window is not over
    assert log.due() == []  # nothing is due before the window ends
    clock.now += 60.0
    rows = log.due()
    assert (ALL_ADDRESSES, {"reason": "too many refused handshakes to write each", "refusals": 7,
                            "addresses": 7, "window_s": 60.0}) in rows  # fmt: skip
    assert ("10.0.0.1", {"reason": "unknown token", "refusals": 1, "window_s": 60.0}) in rows
    assert len(rows) == 2
    assert log.admit("10.0.0.9", "unknown token") == {"reason": "unknown token"}  # a new window, a new budget
