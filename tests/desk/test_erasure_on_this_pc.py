"""The customer of the app's live call is erased on this PC, not by the team: in the app's own Privacy
view (its erasure runs on the desk worker, the store's one writer) or with ``agent-assist review
delete-customer`` from a second process while the app runs. The desk takes the call as it takes the team's
erasure: the call goes on, but once it ends nothing of her is on this PC (the lines heard after the erasure,
the recording, the wrap-up and its quick note, her name and numbers), and the agent is told why. Real parts:
the demo call replayed through FileSource -> faster-whisper tiny.en -> the call session on a real store,
recording on, held at 15 s so the erasure surely comes mid-call; the command is the real ``python -m
desktop`` process on the same data directory. The proof is the raw files of the PC's data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assist.exports import call_recording_dir
from assist.privacy import erase_customer
from desktop.agent.demo import DEMO_PHONE, seed_store
from desktop.agent.desk import CallDesk, DeskConfig, Problem, SaveOutcome
from tests.desk.test_erasure_during_call import CUSTOMER, HER, QUICK_NOTE, Agent, HeldSource
from tests.sync.test_erasure import _grep
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _delete_customer_command(pc: Path) -> subprocess.CompletedProcess[str]:
    """``agent-assist review delete-customer`` as the agent types it, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGENT_ASSIST_HOME": str(pc)}
    return subprocess.run(
        [sys.executable, "-m", "desktop", "review", "delete-customer", CUSTOMER, "--yes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


@pytest.mark.parametrize("where", ["privacy view", "review command"])
def test_a_live_calls_customer_erased_on_this_pc_leaves_nothing_of_her_once_the_call_ends(
    tmp_path: Path, where: str
) -> None:
    pc = tmp_path / "pc"
    pc.mkdir()
    seed_store(pc / "agent-assist.sqlite3")
    recordings = pc / "recordings"
    agent = Agent()
    desk = CallDesk(
        agent,
        DeskConfig(language="en", model="tiny.en"),
        store_file=pc / "agent-assist.sqlite3",
        sync_state_file=pc / "sync-client.sqlite3",
        recordings=recordings,
    )
    agent.desk = desk
    source = HeldSource(hold_at=15.0)
    try:
        desk.start(preload_model=False)
        call_id = desk.start_call(DEMO_PHONE, source=source)
        wait_until(lambda: source.held.is_set() and agent.lines, 120, "the first lines of the call heard")
        assert any(call_recording_dir(call_id, recordings).rglob("*.wav"))  # being recorded
        if where == "privacy view":  # what the view runs, on the store's thread it is given (the desk worker)
            report = desk.run_on_worker(lambda store: erase_customer(store, CUSTOMER, recordings)).result(60)
            assert call_id in report.call_ids
        else:
            done = _delete_customer_command(pc)
            assert done.returncode == 0, done.stderr
            assert f"erased {CUSTOMER}" in done.stdout
        heard_before = len(agent.lines)
        assert desk.in_call  # the call goes on: the agent is still talking to her
        source.release.set()
        wait_until(agent.saved.is_set, 120, "the call played to its end and the wrap-up asked to be saved")
        tanaka_kept = desk.run_on_worker(lambda s: s.get_customer("demo-cust-tanaka") is not None).result(30)
    finally:
        desk.shutdown()
        source.release.set()
    assert len(agent.lines) > heard_before  # lines were heard after the erasure
    said = sorted({line for line in agent.lines if len(line) >= 12})
    assert said
    assert _grep(pc, [*said, QUICK_NOTE, *HER]) == {}
    assert not call_recording_dir(call_id, recordings).exists()
    assert agent.finished == [call_id]
    assert (Problem.ERASED_DURING_CALL, call_id) in agent.problems  # the agent was told
    assert agent.saves == [SaveOutcome(call_id, False, False, False)]  # nothing saved
    assert tanaka_kept
