"""The team erases a customer while this PC's agent is on a live call with her: the call goes on, but once it
ends nothing of it stays on this PC (the lines heard after the erasure, the recording, the wrap-up), nothing
of it is sent to the team, and the agent is told why. Also when the erasure names the call rather than the
caller (an unknown number). Real parts: a real team server on 127.0.0.1 (port 0) whose supervisor erases, the
desk's real sync client receiving the erasure through the change feed, the demo call replayed through
FileSource -> faster-whisper tiny.en -> the call session on a real store, recordings on disk; the source is
held at 15 s so the erasure surely arrives mid-call. The proof is the raw files of the PC's data directory."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from assist.exports import call_recording_dir
from audio.events import AudioStatusEvent, EventKind
from audio.source import AudioChunk, ChannelMap, FileSource
from desktop.agent.demo import DEMO_CALL, DEMO_PHONE
from desktop.agent.desk import CallDesk, Problem, SaveOutcome
from desktop.common.views import QuickNote, WrapUpDraft
from sync.client import ConnectionState
from tests.desk.conftest import agents_desk
from tests.desk.wrapped_source import WrappedSource
from tests.sync.conftest import RawClient, RunningServer
from tests.sync.test_erasure import _grep
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

CUSTOMER = "demo-cust-sato"
HER = ["佐藤 花子", "佐藤花子", "サトウ ハナコ", "Hanako", "hanako", "09012345678", "+819012345678"]
QUICK_NOTE = "Wants the refund confirmed by SMS to her mobile"


class HeldSource(WrappedSource):
    """The demo recording at full speed, held once ``hold_at`` seconds were read until the test lets go."""

    def __init__(self, hold_at: float) -> None:
        super().__init__(FileSource(DEMO_CALL, channel_map=ChannelMap.stereo()))
        self.hold_at = hold_at
        self.held = threading.Event()
        self.release = threading.Event()

    def read(self, timeout: float) -> list[AudioChunk | AudioStatusEvent]:
        if self.inner.position >= self.hold_at and not self.release.is_set():
            self.held.set()
            self.release.wait(timeout)
            return []
        return self.inner.read(timeout)

    def stop(self) -> None:
        self.release.set()
        self.inner.stop()


class Agent:
    """The agent at the screen: sees the lines, saves the wrap-up when the call ends, reads the notices."""

    def __init__(self) -> None:
        self.desk: CallDesk | None = None
        self.lines: list[str] = []
        self.finished: list[str] = []
        self.problems: list[tuple[Problem, str]] = []
        self.saves: list[SaveOutcome] = []
        self.saved = threading.Event()

    def on_transcript(self, event: Any) -> None:
        if event.kind is EventKind.FINAL and event.text.strip():
            self.lines.append(event.text.strip())

    def on_call_finished(self, call_id: str, draft: WrapUpDraft) -> None:
        self.finished.append(call_id)
        assert self.desk is not None
        done = self.desk.save_wrap_up(WrapUpDraft(summary="refund confirmed"), [QuickNote(20.0, QUICK_NOTE)])
        done.add_done_callback(lambda f: (self.saves.append(f.result()), self.saved.set()))

    def on_problem(self, problem: Problem, detail: str) -> None:
        self.problems.append((problem, detail))

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


@pytest.mark.parametrize(
    ("caller", "closed"), [("her number", False), ("unknown number", False), ("her number", True)]
)
def test_a_call_whose_customer_the_team_erases_mid_call_leaves_nothing_on_this_pc(
    server: RunningServer, team_pc: Path, caller: str, closed: bool
) -> None:
    pc = team_pc
    agent = Agent()
    desk = agents_desk(agent, pc, server.url, server.tokens["alex"])
    agent.desk = desk
    supervisor = server.raw("miki")
    source = HeldSource(hold_at=15.0)
    try:
        desk.start(preload_model=False)
        wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 30, "the agent's app online")
        call_id = desk.start_call(DEMO_PHONE if caller == "her number" else "", source=source)
        wait_until(lambda: source.held.is_set() and agent.lines, 120, "the first lines of the call heard")
        assert any(call_recording_dir(call_id, pc / "recordings").rglob("*.wav"))  # being recorded
        if caller == "her number":
            erased = supervisor.request("erase_customer", customer_id=CUSTOMER)
        else:  # the supervisor erases the caller the team knows from this call (this PC does not know her)
            erased = supervisor.request("erase_customer", customer_id="walk-in-7", call_ids=[call_id])
        assert erased["type"] == "ack", erased

        def call_gone() -> bool:
            return desk.run_on_worker(lambda store: store.get_call(call_id) is None).result(30)

        if caller == "her number":
            wait_until(call_gone, 30, "her record and the call so far erased on this PC")
        else:
            wait_until(
                lambda: desk.in_call and desk._call is not None and desk._call.erased_for, 30, "erasure"
            )
        assert desk.in_call  # the call goes on: the agent is still talking to her
        heard_before = len(agent.lines)
        if closed:  # the agent closes the app in the middle of the call, after more lines were heard
            source.held.clear()
            source.hold_at = 30.0
            wait_until(lambda: source.held.is_set() and len(agent.lines) > heard_before, 120, "more lines")
        else:
            _played_to_the_end(desk, agent, source, supervisor, call_id, heard_before, caller)
    finally:
        desk.shutdown()  # stops the call's audio first if it is still running (the app closed mid-call)
        source.release.set()
        supervisor.close()
    assert agent.finished == ([] if closed else [call_id])
    said = sorted({line for line in agent.lines if len(line) >= 12})
    assert said
    secrets = [*said, QUICK_NOTE, *([] if caller != "her number" else HER)]
    assert _grep(pc, secrets) == {}
    assert not call_recording_dir(call_id, pc / "recordings").exists()


def _played_to_the_end(
    desk: CallDesk,
    agent: Agent,
    source: HeldSource,
    supervisor: RawClient,
    call_id: str,
    heard_before: int,
    caller: str,
) -> None:
    source.release.set()
    wait_until(agent.saved.is_set, 120, "the call played to its end and the wrap-up asked to be saved")
    assert len(agent.lines) > heard_before  # lines were heard (and written) after the erasure
    assert agent.finished == [call_id]
    assert (Problem.ERASED_DURING_CALL, call_id) in agent.problems  # the agent was told
    assert agent.saves == [SaveOutcome(call_id, False, False, True)]
    feed = supervisor.request("feed_since", after=0)["changes"]
    about_the_call = [c for c in feed if c["kind"] != "erasure" and call_id in str(c)]
    assert about_the_call == []
    # Told calmly, once per attempt, and nothing else: no refusal by the server about the erased call.
    assert {problem for problem, _ in agent.problems} == {Problem.ERASED_DURING_CALL}
    sato_kept = caller != "her number"
    assert desk.run_on_worker(lambda s: s.get_customer(CUSTOMER) is not None).result(30) is sato_kept
    assert desk.run_on_worker(lambda s: s.get_customer("demo-cust-tanaka") is not None).result(30)
