"""The team erases a customer and names her calls: a call this PC already saved goes from it even when its
caller was an unknown number here (the call is linked to no customer on this PC): its lines, the wrap-up
(with the quick note an unknown caller's wrap-up keeps), review comments and bookmarks, the search index and
the recording. Real parts: a real team server on 127.0.0.1 (port 0) whose supervisor erases, the desk's real
sync client reading the erasure from the change feed, the demo call played through FileSource ->
faster-whisper tiny.en -> the call session on a real store with recording on, the wrap-up saved as the agent
saves it. The proof is the raw files of the PC's data directory and what History's search finds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assist.exports import call_recording_dir
from assist.history import CallHistory, SearchQuery
from assist.review_schema import ReviewNotes
from assist.store import Store
from audio.source import ChannelMap, FileSource
from desktop.agent.demo import DEMO_CALL
from desktop.agent.desk import CallDesk, SaveOutcome
from sync.client import ConnectionState
from tests.desk.conftest import agents_desk
from tests.desk.test_erasure_during_call import QUICK_NOTE, Agent
from tests.sync.conftest import RunningServer
from tests.sync.test_erasure import _grep
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

COMMENT = "Caller asked twice about the refund date"


def test_an_erasure_naming_a_saved_call_of_an_unknown_caller_removes_it_from_this_pc(
    server: RunningServer, team_pc: Path
) -> None:
    pc = team_pc
    agent = Agent()
    desk = agents_desk(agent, pc, server.url, server.tokens["alex"])
    agent.desk = desk
    supervisor = server.raw("miki")
    try:
        desk.start(preload_model=False)
        wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 30, "the agent's app online")
        # An unknown number calls; the agent takes the call to its end and saves the wrap-up.
        call_id = desk.start_call("", source=FileSource(DEMO_CALL, channel_map=ChannelMap.stereo()))
        wait_until(agent.saved.is_set, 180, "the call played to its end and its wrap-up saved")
        assert agent.saves == [SaveOutcome(call_id, True, True, True)]
        said = sorted({line for line in agent.lines if len(line) >= 12})
        assert said

        def review(store: Store) -> None:  # a lead's comment and bookmark on the call in History & review
            notes = ReviewNotes(store)
            notes.add_comment(call_id, COMMENT, author="miki")
            notes.add_bookmark(call_id, 3.0, label="refund")

        desk.run_on_worker(review).result(30)
        secrets = [*said, QUICK_NOTE, COMMENT]
        assert set().union(*_grep(pc, secrets).values()) == set(secrets)  # all of it is on this PC
        assert call_id in _found_in_history(desk, said[0])
        assert any(call_recording_dir(call_id, pc / "recordings").rglob("*.wav"))

        # The team erases the caller it knows from this call (not known here by that id) and names the call.
        erased = supervisor.request("erase_customer", customer_id="walk-in-7", call_ids=[call_id])
        assert erased["type"] == "ack", erased

        def call_gone(store: Store) -> bool:
            return store.get_call(call_id) is None and not store.segments_for(call_id)

        wait_until(lambda: desk.run_on_worker(call_gone).result(30), 30, "the saved call erased on this PC")
        assert call_id not in _found_in_history(desk, said[0])
        assert desk.run_on_worker(lambda s: ReviewNotes(s).comments(call_id)).result(30) == []
        # The customers this PC knows are untouched.
        assert desk.run_on_worker(lambda s: s.get_customer("demo-cust-sato") is not None).result(30)
    finally:
        desk.shutdown()
        supervisor.close()
    assert _grep(pc, secrets) == {}
    assert not call_recording_dir(call_id, pc / "recordings").exists()


def _found_in_history(desk: CallDesk, line: str) -> list[str]:
    """The calls History's search finds for the longest word of a heard line, as an agent would type it."""
    word = max(re.findall(r"[A-Za-z]+", line), key=len)
    return desk.run_on_worker(lambda s: CallHistory(s).search(SearchQuery(word)).call_ids()).result(30)
