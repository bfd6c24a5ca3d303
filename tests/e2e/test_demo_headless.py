"""`agent-assist demo --headless` on a machine without a display: the whole product in the terminal, ending
by itself with a one-line summary (exit 0). Real pipeline (the Japanese demo call, multilingual base model),
real embedded team server, real time (about a minute)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_headless_demo_shows_the_live_flow_and_ends_with_a_summary(agent_assist_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["AGENT_ASSIST_HOME"] = str(agent_assist_home)
    entry = Path(sys.executable).with_name("agent-assist")
    command = [str(entry)] if entry.exists() else [sys.executable, "-m", "desktop"]
    result = subprocess.run(
        [*command, "demo", "--headless"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    assert "caller: 佐藤 花子 (Hanako Sato)" in out  # context from the demo store
    assert "pinned caution note" in out
    assert re.search(r"customer \| .*インターネット", out)  # transcript, on the customer's side
    assert re.search(r"agent    \| .*サポート", out)
    assert "card: 夜になるとインターネットが切れる" in out  # the knowledge entry that fits
    assert "cue (empathy)" in out and "cue (follow_up)" in out
    assert "whisper from miki: 以前も二重請求" in out
    assert "card from miki: 二重請求の返金手続き" in out  # the knowledge entry the supervisor attached
    last = out.strip().splitlines()[-1]
    match = re.fullmatch(
        r"demo finished: (\d+) lines \((\d+) agent, (\d+) customer\), (\d+) cards, (\d+) cues, "
        r"1 whisper read \(receipt confirmed\), wrap-up saved locally and on the team server, "
        r"in \d+ s",
        last,
    )
    assert match, last
    lines, agent, customer, cards, cues = map(int, match.groups())
    assert agent >= 3 and customer >= 3 and lines == agent + customer
    assert cards >= 1 and cues >= 1
    assert not list((agent_assist_home / "demo").glob("run-*")), "the demo leaves no data behind"


def test_the_demo_picks_the_terminal_when_there_is_no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.common.display import has_display

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert not has_display()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert has_display()
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("DISPLAY", ":99")
    assert has_display()
