"""Which calls the team board raises, with an injected clock: no waiting for a real long call."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec.structs import replace

from audio.events import Channel, EventKind
from desktop.supervisor.board import Attention, AttentionRules, Frustration, TeamBoard
from sync.protocol import Call, CallInfo, ClientCall, ClientPresence, Presence, TranscriptLine, convert


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _final(n: int, text: str, channel: str = "customer") -> TranscriptLine:
    return TranscriptLine(call_id="c", channel=Channel(channel), kind=EventKind.FINAL, start=n, end=n + 1.0,
                          text=text, segment_id=f"seg-{n}")  # fmt: skip


def _call(row: dict[str, object]) -> Call:
    """A call as the server lists it (its info is ``{}`` until the agent's app shares some)."""
    return convert({"info": {}, **row}, ClientCall)


def _calls(rows: Iterable[dict[str, object]]) -> list[Call]:
    return [_call(row) for row in rows]


def _users(rows: Iterable[dict[str, object]]) -> list[Presence]:
    return [convert(row, ClientPresence) for row in rows]


def _board(clock: Clock) -> TeamBoard:
    board = TeamBoard(AttentionRules(long_silence_seconds=30, long_call_seconds=600), clock=clock)
    for call_id, agent, started in (("calm", "sato", 990.0), ("upset", "ito", 995.0)):
        board.call_started(
            _call(
                {
                    "call_id": call_id,
                    "agent": agent,
                    "customer": {"name": agent.upper()},
                    "started_at": started,
                }
            )
        )
    return board


def test_repeated_frustration_becomes_strong_and_comes_first() -> None:
    clock = Clock()
    board = _board(clock)
    board.transcript("upset", _final(1, "何度も電話しているのに"))
    call = board.call("upset")
    assert call is not None and call.frustration is Frustration.SOME and call.frustration_words == ("何度も",)
    assert board.attention(call) == ()
    # The same line again (a re-sent final) is not a second sign; a new frustrated line is.
    board.transcript("upset", _final(1, "何度も電話しているのに"))
    assert board.call("upset").frustration is Frustration.SOME
    board.transcript("upset", _final(2, "I called again and it still doesn't work"))
    call = board.call("upset")
    assert call is not None and call.frustration is Frustration.STRONG
    assert board.attention(call) == (Attention.STRONG_FRUSTRATION,)
    assert [c.call_id for c in board.calls()] == ["upset", "calm"]


def test_agent_words_and_partials_do_not_count_as_customer_frustration() -> None:
    clock = Clock()
    board = _board(clock)
    board.transcript("calm", _final(1, "I understand this is frustrating, again I'm sorry", channel="agent"))
    board.transcript("calm", replace(_final(2, "this is unacceptable"), kind=EventKind.PARTIAL))
    call = board.call("calm")
    assert call is not None and call.frustration is Frustration.NONE
    assert (
        call.last_line == "I understand this is frustrating, again I'm sorry"
        and call.last_line_speaker == "agent"
    )


def test_anger_is_strong_at_once() -> None:
    board = _board(Clock())
    board.transcript("calm", _final(1, "This is ridiculous, let me speak to a manager"))
    assert board.call("calm").frustration is Frustration.STRONG


def test_long_silence_and_long_call_are_raised_and_cleared_by_speech() -> None:
    clock = Clock()
    board = _board(clock)
    board.transcript("calm", _final(1, "もしもし"))
    clock.now += 29
    assert board.attention(board.call("calm")) == ()
    clock.now += 2
    assert board.attention(board.call("calm")) == (Attention.LONG_SILENCE,)
    board.transcript("calm", _final(2, "はい、お待たせしました", channel="agent"))
    assert board.attention(board.call("calm")) == ()
    clock.now = 990.0 + 600
    board.transcript("calm", _final(3, "ありがとうございます"))
    assert board.attention(board.call("calm")) == (Attention.LONG_CALL,)


def test_published_cues_and_customer_context_feed_the_board() -> None:
    board = _board(Clock())
    board.call_info(
        "calm",
        convert(
            {
                "customer": {"name": "山田 花子", "tags": ["VIP"]},
                "cues": [{"kind": "anger", "trigger": "責任者", "segment_id": "seg-9"}],
            },
            CallInfo,
        ),
    )
    call = board.call("calm")
    assert call is not None and call.customer_name == "山田 花子" and call.frustration is Frustration.STRONG
    assert "責任者" in call.frustration_words
    assert board.call_info("no-such-call", convert({"cues": []}, CallInfo)) is None


def test_server_list_replaces_the_board_but_keeps_what_was_learnt_live() -> None:
    clock = Clock()
    board = _board(clock)
    board.transcript("upset", _final(1, "how many times do I have to call"))
    board.replace_calls(_calls([
        {"call_id": "upset", "agent": "ito", "customer": None, "started_at": 995.0, "last_final": "x",
         "last_whisper_at": 1_000.0, "info": {}},
        {"call_id": "ended", "agent": "sato", "started_at": 900.0, "ended_at": 999.0},
    ]))  # fmt: skip
    assert [c.call_id for c in board.calls()] == ["upset"]
    call = board.call("upset")
    assert call is not None and call.frustration is Frustration.SOME and call.last_whisper_at == 1_000.0
    assert call.last_line == "how many times do I have to call"


def test_agents_online_idle_first() -> None:
    board = TeamBoard(clock=Clock())
    board.replace_members(_users([
        {"user": "sato", "role": "agent", "online": True, "online_since": 1.0,
         "call": {"call_id": "c1", "customer": None, "since": 5.0}},
        {"user": "ito", "role": "agent", "online": True, "online_since": 2.0, "call": None},
        {"user": "abe", "role": "agent", "online": False, "online_since": None, "call": None},
        {"user": "suzuki", "role": "supervisor", "online": True, "online_since": 1.0, "call": None},
    ]))  # fmt: skip
    assert [(m.name, m.idle) for m in board.agents()] == [("ito", True), ("sato", False)]
    board.update_members(_users([{"user": "sato", "role": "agent", "online": False, "call": None}]))
    assert [m.name for m in board.agents()] == ["ito"]


def test_an_answer_that_was_on_its_way_does_not_undo_live_events() -> None:
    board = TeamBoard(clock=Clock())
    board.call_started(_call({"call_id": "old", "agent": "abe", "started_at": 900.0}))
    asked_at = board.version  # the console asks for the live calls now...
    board.call_started(
        _call({"call_id": "new", "agent": "sato", "started_at": 999.0})
    )  # ...a call starts meanwhile...
    board.call_ended("old")  # ...and another ends
    board.update_members(
        _users(
            [{"user": "sato", "role": "agent", "online": True, "call": {"call_id": "new", "since": 999.0}}]
        )
    )
    # The answer reflects the server before both events.
    board.replace_calls(_calls([{"call_id": "old", "agent": "abe", "started_at": 900.0}]), asked_at)
    board.replace_members(
        _users([{"user": "sato", "role": "agent", "online": False, "call": None}]), asked_at
    )
    assert [c.call_id for c in board.calls()] == ["new"]
    assert [(m.name, m.idle) for m in board.agents()] == [("sato", False)]
    # A later answer is the truth again.
    board.replace_calls([])
    assert board.calls() == []


def test_a_hard_call_tells_the_board_the_agent_needs_a_moment_and_nothing_more() -> None:
    board = _board(Clock())
    board.call_info("calm", convert({"cues": [], "needs_moment": False}, CallInfo))
    assert board.attention(board.call("calm")) == ()
    board.call_info("calm", convert({"needs_moment": True}, CallInfo))
    assert board.attention(board.call("calm")) == (Attention.NEEDS_MOMENT,)
    assert [c.call_id for c in board.calls()] == ["calm", "upset"]
