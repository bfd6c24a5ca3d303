"""What the agent shares beyond the transcript, a refused whisper, and a server restart while following."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from audio.events import Channel, EventKind
from sync.client import ConnectionState
from sync.protocol import CallInfo, SharedCustomer, convert
from tests.supervisor.conftest import TeamServerForTests
from tests.supervisor.test_console import WAIT_MS, _tokyo_team


def test_follower_sees_the_agents_cards_and_customer_context(
    qtbot: QtBot, team_server: TeamServerForTests
) -> None:
    console, agent = _tokyo_team(qtbot, team_server)
    agent.client.call_started("call-3", convert({"id": "cust-2", "name": "Hanako Sato"}, SharedCustomer))
    qtbot.waitUntil(lambda: console.board_view.rowCount() == 1, timeout=WAIT_MS)

    with qtbot.waitSignal(console.followed, timeout=WAIT_MS):
        console.follow_call("call-3")
    assert "not shared" in console.cards_note.text() and not console.cards.cards()

    agent.client.publish_call_info(
        "call-3",
        convert(
            {
                "customer": {
                    "id": "cust-2",
                    "name": "Hanako Sato",
                    "traits": ["prefers email"],
                    "tags": ["fiber"],
                },
                "cards": [
                    {
                        "key": "kb-1",
                        "kind": "knowledge",
                        "title": "Evening outages",
                        "body": "Reset the router",
                        "matched_terms": ["dropping"],
                        "reason": "customer said: dropping",
                    }
                ],
            },
            CallInfo,
        ),
    )
    qtbot.waitUntil(lambda: len(console.cards.cards()) == 1, timeout=WAIT_MS)
    assert console.cards.cards()[0].suggestion.title == "Evening outages"
    assert "agent is seeing now" in console.cards_note.text()
    assert "prefers email" in console.context.text() and "fiber" in console.context.text()
    console.shutdown()


def test_a_refused_whisper_says_why_and_the_console_keeps_working(
    qtbot: QtBot, team_server: TeamServerForTests
) -> None:
    console, agent = _tokyo_team(qtbot, team_server)
    agent.client.call_started("call-4", convert({"name": "Jane"}, SharedCustomer))
    qtbot.waitUntil(lambda: console.board_view.rowCount() == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(console.followed, timeout=WAIT_MS):
        console.follow_call("call-4")

    team_server.revoke("sato")  # the agent left the team mid-call
    console.send_whisper("Offer the Lite plan")
    qtbot.waitUntil(lambda: any("refused" in text for text in console.history.texts()), timeout=WAIT_MS)
    assert "not an agent of your team" in console.history.texts()[0]
    assert agent.whispers == []
    # Nothing is stuck: the refused whisper left the outbox and the board still answers.
    assert console.client.pending_count() == 0
    with qtbot.waitSignal(console.board_refreshed, timeout=WAIT_MS):
        console.refresh_board()
    console.shutdown()


def test_following_resumes_after_the_server_restarts(qtbot: QtBot, team_server: TeamServerForTests) -> None:
    console, agent = _tokyo_team(qtbot, team_server)
    agent.client.call_started("call-5", convert({"name": "山田"}, SharedCustomer))
    agent.say("call-5", 1, Channel.CUSTOMER, EventKind.FINAL, "ネットがつながりません")
    qtbot.waitUntil(lambda: console.board_view.rowCount() == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(console.followed, timeout=WAIT_MS):
        console.follow_call("call-5")
    assert len(console.transcript.lines()) == 1

    states: list[str] = []
    console.bridge.connection.connect(lambda state, _reason: states.append(state))
    team_server.restart()
    qtbot.waitUntil(lambda: "connecting" in states, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: (
            console.client.state is ConnectionState.CONNECTED
            and agent.client.state is ConnectionState.CONNECTED
        ),
        timeout=WAIT_MS,
    )
    # Partials go only to followers: this one arrives only if the console followed the call again by itself.
    qtbot.waitUntil(lambda: console.board_view.rowCount() == 1, timeout=WAIT_MS)

    def partial_seen() -> bool:
        agent.say("call-5", 2, Channel.AGENT, EventKind.PARTIAL, "再起動を")
        return len(console.transcript.lines()) == 2

    qtbot.waitUntil(partial_seen, timeout=WAIT_MS)
    assert console.following == "call-5" and "Connected" in console.connection_label.text()
    console.shutdown()
