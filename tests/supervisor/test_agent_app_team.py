"""The agent's real app and the supervisor's real console on one real team server (loopback): what the agent
sees reaches the supervisor following the call, a knowledge entry the supervisor sends shows up among the
agent's cards, the same app opens the supervisor console for supervisors (never for agents), and history &
review opens on the agent's own database.

The call's audio is a silent recording replayed in real time (the call stays open, nothing is transcribed);
the customer's words are handed to the desk the way the transcription engine hands them over, from its own
thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from audio.events import Channel, EventKind, TranscriptEvent
from desktop.agent.agent_app import AgentApp
from desktop.agent.demo import DEMO_PHONE, seed_store
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from desktop.supervisor.console import SupervisorConsole
from sync.client import ConnectionState
from sync.protocol import AnyCallEvent, Attachment, CallSnapshot, CallUpdated
from tests.supervisor.conftest import TeamServerForTests
from tests.supervisor.test_console import WAIT_MS, _open_console


class _Unset:
    """The desk's listener until AgentApp puts its bridge in place."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def silent_call(path: Path, seconds: int = 90) -> Path:
    sf.write(path, np.zeros((16_000 * seconds, 2), dtype=np.int16), 16_000, subtype="PCM_16")
    return path


def make_agent_app(
    qtbot: QtBot, tmp_path: Path, team_server: TeamServerForTests, name: str, role: str
) -> AgentApp:
    team_server.add_user(name, role, "demo")
    store_file = tmp_path / f"{name}.sqlite3"
    seed_store(store_file)
    config = DeskConfig(
        language="en",
        agent_name=name,
        server_url=team_server.url,
        server_token=team_server.tokens[name],
        record=False,
    )
    desk = CallDesk(
        _Unset(), config, store_file=store_file, sync_state_file=tmp_path / f"{name}-sync.sqlite3"
    )
    agent = AgentApp(ensure_app(), prefs=Preferences(ui_language="en", softphone_port=0), desk=desk)
    qtbot.addWidget(agent.window)
    agent.window.show()
    agent.desk.start(preload_model=False)
    return agent


@pytest.fixture
def agent_app(qtbot: QtBot, tmp_path: Path, team_server: TeamServerForTests) -> Iterator[AgentApp]:
    agent = make_agent_app(qtbot, tmp_path, team_server, "alex", "agent")
    try:
        qtbot.waitUntil(
            lambda: agent.window.call_bar.server.property("state") == "connected", timeout=WAIT_MS
        )
        yield agent
    finally:
        agent.shutdown()


def customer_says(agent: AgentApp, call_id: str, segment: str, text: str) -> None:
    call = agent.desk._call
    assert call is not None and call.call_id == call_id
    heard = TranscriptEvent(
        call_id, Channel.CUSTOMER, EventKind.FINAL, 2.0, 5.0, text, 0.9, segment, language="en"
    )
    engine = threading.Thread(
        target=agent.desk._heard, args=(call, heard)
    )  # as the engine does: its own thread
    engine.start()
    engine.join()


def start_followed_call(qtbot: QtBot, agent: AgentApp, console: SupervisorConsole, tmp_path: Path) -> str:
    call_id = agent.start_call(DEMO_PHONE, replay=silent_call(tmp_path / "silence.wav"))
    assert call_id
    qtbot.waitUntil(
        lambda: agent.desk._call is not None and agent.desk._call.session is not None, timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: console.board_view.rowCount() == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(console.followed, timeout=WAIT_MS):
        console.follow_call(call_id)
    return call_id


def test_supervisor_following_the_call_sees_the_agents_customer_and_cards(
    qtbot: QtBot, tmp_path: Path, team_server: TeamServerForTests, agent_app: AgentApp
) -> None:
    team_server.add_user("miki", "supervisor", "demo")
    console = _open_console(qtbot, team_server.client("miki"))
    try:
        call_id = start_followed_call(qtbot, agent_app, console, tmp_path)
        # The caller's context the agent sees, shared at call start: the team's caution note included.
        qtbot.waitUntil(lambda: "二重請求" in console.context.text(), timeout=WAIT_MS)
        assert "Hanako Sato" in console.context.text()

        customer_says(
            agent_app, call_id, "c1", "I was charged twice. I would like a refund for the double charge."
        )
        qtbot.waitUntil(lambda: bool(agent_app.window.suggestions.cards()), timeout=WAIT_MS)
        agent_titles = [c.suggestion.title for c in agent_app.window.suggestions.cards()]
        assert any("double charge" in t.lower() for t in agent_titles)
        # The supervisor sees the same cards, in the same order, and is told they are the agent's.
        qtbot.waitUntil(
            lambda: [c.suggestion.title for c in console.cards.cards()] == agent_titles, timeout=WAIT_MS
        )
        assert "agent is seeing now" in console.cards_note.text()
        shared = next(c for c in console.cards.cards() if "double charge" in c.suggestion.title.lower())
        assert (
            shared.suggestion.matched_terms
        )  # the words the agent's card highlights are highlighted here too
    finally:
        console.shutdown()


def test_knowledge_sent_with_a_whisper_becomes_a_card_marked_as_the_supervisors(
    qtbot: QtBot, tmp_path: Path, team_server: TeamServerForTests, agent_app: AgentApp
) -> None:
    team_server.add_user("miki", "supervisor", "demo")
    console = _open_console(qtbot, team_server.client("miki"))
    try:
        start_followed_call(qtbot, agent_app, console, tmp_path)
        attachment = Attachment(
            kind="knowledge",
            entry_id="kb-loyalty",
            title="Loyalty discount for long customers",
            body="Customers of 5+ years may get 10% off for 6 months.",
            tags=("loyalty",),
        )
        console.send_whisper("See: Loyalty discount for long customers", "", attachment)

        window = agent_app.window
        qtbot.waitUntil(lambda: bool(window.whispers.unread()), timeout=WAIT_MS)
        assert window.whispers.unread()[0].sender == "miki"
        qtbot.waitUntil(
            lambda: any(c.suggestion.entry_id == "kb-loyalty" for c in window.suggestions.cards()),
            timeout=WAIT_MS,
        )
        card = next(c for c in window.suggestions.cards() if c.suggestion.entry_id == "kb-loyalty")
        assert window.suggestions.cards()[0] is card  # on top: the supervisor chose it for this call
        assert "sent by miki" in card.title.text()  # in words, not by colour alone
        assert "supervisor" in card.reason.text() and "10% off" in card.body.text()

        # The matcher's next cards do not push it away.
        customer_says(
            agent_app,
            agent_app.desk._call.call_id if agent_app.desk._call else "",
            "c1",
            "I was charged twice. I would like a refund for the double charge.",
        )
        qtbot.waitUntil(lambda: len(window.suggestions.cards()) > 1, timeout=WAIT_MS)
        assert window.suggestions.cards()[0].suggestion.entry_id == "kb-loyalty"
        # And the supervisor sees it among the agent's cards.
        qtbot.waitUntil(
            lambda: any(c.suggestion.entry_id == "kb-loyalty" for c in console.cards.cards()), timeout=WAIT_MS
        )
    finally:
        console.shutdown()


def test_the_same_app_opens_the_console_for_a_supervisor_and_never_for_an_agent(
    qtbot: QtBot, tmp_path: Path, team_server: TeamServerForTests, agent_app: AgentApp
) -> None:
    assert not agent_app.window.act_supervisor.isVisible()
    agent_app.window.act_supervisor.trigger()  # even the shortcut does nothing for an agent
    assert agent_app.supervisor_console is None and agent_app.open_supervisor_console() is None

    supervisor = make_agent_app(qtbot, tmp_path, team_server, "miki", "supervisor")
    admin = make_agent_app(qtbot, tmp_path, team_server, "ito", "admin")
    try:
        # The supervisor's console opens by itself once the server says who signed in.
        qtbot.waitUntil(
            lambda: supervisor.supervisor_console is not None and supervisor.supervisor_console.isVisible(),
            timeout=WAIT_MS,
        )
        assert supervisor.window.act_supervisor.isVisible()
        assert supervisor.window.toolbar.widgetForAction(supervisor.window.act_supervisor).accessibleName()
        console = supervisor.supervisor_console
        # It is a live console of the team: the agent's call shows up on its board.
        agent_app.start_call(DEMO_PHONE, replay=silent_call(tmp_path / "silence.wav"))
        qtbot.waitUntil(lambda: console.board_view.rowCount() == 1, timeout=WAIT_MS)

        # An admin gets the action but no window opening by itself; the action opens it.
        qtbot.waitUntil(lambda: admin.window.act_supervisor.isVisible(), timeout=WAIT_MS)
        assert admin.supervisor_console is None
        admin.window.act_supervisor.trigger()
        assert admin.supervisor_console is not None and admin.supervisor_console.isVisible()

        console.close()  # closing it gives the action back, and it opens again
        qtbot.waitUntil(lambda: supervisor.supervisor_console is None, timeout=WAIT_MS)
        supervisor.window.act_supervisor.trigger()
        assert supervisor.supervisor_console is not None
    finally:
        supervisor.shutdown()
        admin.shutdown()


def test_history_and_review_opens_on_the_agents_own_calls(qtbot: QtBot, tmp_path: Path) -> None:
    store_file = tmp_path / "agent.sqlite3"
    seed_store(store_file)
    desk = CallDesk(_Unset(), DeskConfig(language="en"), store_file=store_file)
    agent = AgentApp(ensure_app(), prefs=Preferences(ui_language="en", softphone_port=0), desk=desk)
    window = agent.window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert window.act_review.text().replace("&&", "&") == "History & review"
        assert window.toolbar.widgetForAction(window.act_review).accessibleName()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
        qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
        review = agent.review_window
        assert review is not None and review.isVisible()
        # The demo customer's past calls, read from this PC's database.
        qtbot.waitUntil(lambda: bool(review.history.call_ids()), timeout=WAIT_MS)
        window.act_review.trigger()  # a second time raises the same window
        assert agent.review_window is review
    finally:
        agent.shutdown()


def test_a_burst_of_card_changes_reaches_followers_a_few_times_a_second_and_ends_up_complete(
    qtbot: QtBot, tmp_path: Path, team_server: TeamServerForTests, agent_app: AgentApp
) -> None:
    team_server.add_user("miki", "supervisor", "demo")
    team_server.add_user("watcher", "supervisor", "demo")
    console = _open_console(qtbot, team_server.client("miki"))
    watcher = team_server.client("watcher")
    updates: list[tuple[float, int]] = []
    lock = threading.Lock()

    def on_call_event(event: AnyCallEvent | CallSnapshot) -> None:
        if isinstance(event, CallUpdated):
            with lock:
                updates.append((time.monotonic(), len(event.info.cards or ())))

    watcher.on_call_event = on_call_event
    watcher.start()
    try:
        call_id = start_followed_call(qtbot, agent_app, console, tmp_path)
        qtbot.waitUntil(lambda: watcher.state is ConnectionState.CONNECTED, timeout=WAIT_MS)
        watcher.subscribe_call(call_id)
        qtbot.waitUntil(lambda: "Hanako Sato" in console.context.text(), timeout=WAIT_MS)
        with lock:
            updates.clear()
        for n in range(12):  # twelve cards pushed as fast as the supervisor can send them
            console.send_whisper(
                f"See #{n}",
                "",
                Attachment(kind="knowledge", entry_id=f"kb-{n}", title=f"Entry {n}", body="..."),
            )
        qtbot.waitUntil(lambda: len(agent_app.window.suggestions.cards()) == 12, timeout=WAIT_MS)
        # The last change is not lost to the throttle: the follower ends with all twelve.
        qtbot.waitUntil(lambda: len(console.cards.cards()) == 12, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: bool(updates) and updates[-1][1] == 12, timeout=WAIT_MS)
        with lock:
            times = [t for t, _ in updates]
        span = times[-1] - times[0]
        # A few updates a second at most, however fast the cards came (the first goes out at once).
        assert len(times) <= span / 0.25 + 2, (len(times), span)
        assert len(times) < 12
    finally:
        console.shutdown()
