"""The supervisor console window: the team board, one followed call, the whisper composer, the audit trail.

Everything arrives from the team server through :class:`SupervisorBridge` as queued signals, and every
blocking request (live calls, presence, whisper sending, the audit log, the knowledge feed) runs on the
bridge's background thread, so the window never waits on the network or on the client's local database.

What a followed call shows beyond its transcript depends on what the agent's app publishes with
``SyncClient.publish_call_info(call_id, info)``: a :class:`sync.protocol.CallInfo` with the customer record,
the agent's current suggestion cards and the cues. Without them it shows the customer given at call start and
says that the agent's cards are not shared.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QWidget,
)

from desktop.supervisor.audit_view import AuditTrail
from desktop.supervisor.board import AttentionRules, LiveCall, TeamBoard
from desktop.supervisor.bridge import SupervisorBridge
from desktop.supervisor.console_parts import BoardSide, ConsoleActions, ServerState
from desktop.supervisor.follow_pane import FollowPane
from desktop.supervisor.ledger import (
    SentWhisper,
)
from desktop.supervisor.templates import WhisperTemplates
from desktop.supervisor.whisper_flow import WhisperFlow
from sync.client import ConnectionState, SyncClient, SyncRequestError, SyncUnavailable
from sync.protocol import (
    AnyCallEvent,
    Attachment,
    Call,
    CallEnded,
    CallSnapshot,
    CallStarted,
    CallTranscript,
    CallUpdated,
    CallWhispered,
    HandChanged,
    Presence,
)

BOARD_REFRESH_MS = 30_000  # a full re-read heals anything a dropped connection made us miss
TICK_MS = 1_000
RENDER_DELAY_MS = 150


class SupervisorConsole(QMainWindow):
    """The supervisor's window over one signed-in :class:`SyncClient` (started here if it is not running).

    Signals:
        board_refreshed(): the live calls and presence were re-read from the server and drawn.
        followed(str): a call's snapshot (its transcript so far) arrived and is shown.
        message(str): a status message was shown (already translated).
    """

    board_refreshed = Signal()
    followed = Signal(str)
    message = Signal(str)

    def __init__(
        self,
        client: SyncClient,
        parent: QWidget | None = None,
        *,
        templates: WhisperTemplates | None = None,
        rules: AttentionRules | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("supervisorConsole")
        self.client = client
        self.bridge = SupervisorBridge(client, self)
        self.board = TeamBoard(rules)
        self.templates = templates if templates is not None else WhisperTemplates.load()
        self.following: str | None = None
        self._followed: LiveCall | None = None  # as last seen on the board: still named once it has ended
        self.flow = WhisperFlow(self)
        self._role = ""
        self._closing = False
        self._render_scheduled = False

        board_side = self.board_side = BoardSide(self)
        self.board_view, self.agents_view = board_side.board_view, board_side.agents_view
        self.board_view.follow_requested.connect(self.follow_call)

        self.follow = FollowPane(self.templates, self)
        follow_side = self.follow
        # The pane's parts, as the console's callers and tests know them.
        self.follow_title, self.transcript = self.follow.follow_title, self.follow.transcript
        self.context, self.cards = self.follow.context, self.follow.cards
        self.cards_note, self.history = self.follow.cards_note, self.follow.history
        self.composer = self.follow.composer
        self.composer.send_requested.connect(self.flow.send)
        self.composer.knowledge_requested.connect(self.flow.push_knowledge)
        self.composer.coming_requested.connect(self.flow.send_coming)
        self.composer.problem.connect(self.show_message)

        live = QSplitter(Qt.Orientation.Horizontal, self)
        live.addWidget(board_side)
        live.addWidget(follow_side)
        live.setStretchFactor(0, 1)
        live.setStretchFactor(1, 1)
        live.setSizes([650, 750])
        self.audit = AuditTrail(self)
        self.audit.refresh_requested.connect(self.load_audit)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(live, "")
        self.tabs.addTab(self.audit, "")
        self.setCentralWidget(self.tabs)
        self.connection_label = ServerState(self)
        self.statusBar().addPermanentWidget(self.connection_label)

        self.shortcuts = ConsoleActions(
            self,
            refresh=self.refresh_board,
            follow=self._follow_selected,
            stop=self.stop_following,
            compose=self.composer.text.setFocus,
            coming=self.flow.send_coming,
        )
        self.menu_board, self.menu_call = self.shortcuts.menu_board, self.shortcuts.menu_call
        self.bridge.call_event.connect(self._on_call_event)
        self.bridge.whisper_status.connect(self.flow.on_receipt)
        self.bridge.presence.connect(self._on_presence)
        self.bridge.change.connect(self.flow.on_change)
        self.bridge.connection.connect(self._on_connection)
        self.bridge.request_error.connect(self.flow.on_request_error)

        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._render_board)
        self._tick.start()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(BOARD_REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh_board)
        self._refresh_timer.start()

        self.retranslate()
        self._show_followed_call()
        if self.templates.problem:
            self.show_message(
                self.tr("Whisper templates: %1 — using the defaults.").replace("%1", self.templates.problem)
            )
        self._on_connection(client.state.value, "")
        client.start()

    # -- texts ---------------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Agent Assist — Supervisor"))
        self.tabs.setTabText(0, self.tr("Team board"))
        self.tabs.setTabText(1, self.tr("Audit trail"))
        for widget in (self.shortcuts, self.board_side, self.follow, self.audit):
            widget.retranslate()
        self._show_followed_call()
        self._render_board()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- connection and board ------------------------------------------------------------------------------

    def _on_connection(self, state: str, reason: str) -> None:
        user = self.client.user
        self.connection_label.show_state(state, reason, user)
        if state == ConnectionState.CONNECTED.value and user is not None:
            self._role = user.role.value
            self.audit.set_allowed(self._role == "admin")
            self.refresh_board()
            self.flow.load_knowledge()
            if self._role == "admin" and self.audit.last_seq == 0:
                self.load_audit(0)
            if self.following is not None:
                self._subscribe(self.following)  # the server forgot our subscription with the old connection
        elif state != ConnectionState.CONNECTING.value and reason and "refused the token" in reason:
            self.show_message(self.tr("The team server refused the token; ask your admin for a new one."))

    def refresh_board(self) -> None:
        """Re-read the live calls and presence from the server (in the background)."""
        if self.client.state is not ConnectionState.CONNECTED:
            return

        asked_at = self.board.version

        def work() -> tuple[list[Call], list[Presence]]:
            return self.client.list_live_calls(), self.client.list_presence()

        def done(result: tuple[list[Call], list[Presence]]) -> None:
            calls, users = result
            self.board.replace_calls(calls, asked_at)
            self.board.replace_members(users, asked_at)
            self._render_board()
            self.board_refreshed.emit()

        self.bridge.run(work, done, self.request_failed(self.tr("The live calls could not be loaded")))

    def _render_board(self) -> None:
        self._render_scheduled = False
        if self._closing:
            return
        self.board_side.show_board(self.board, self.following)

    def board_changed(self) -> None:
        # A busy team sends dozens of lines a second: redraw the board at most every RENDER_DELAY_MS.
        if not self._render_scheduled:
            self._render_scheduled = True
            QTimer.singleShot(RENDER_DELAY_MS, self._render_board)

    def _on_presence(self, users: tuple[Presence, ...]) -> None:
        self.board.update_members(users)
        self.board_changed()

    def _on_call_event(self, event: AnyCallEvent | CallSnapshot) -> None:
        match event:
            case CallStarted():
                self.board.call_started(event.call)
            case CallEnded():
                self.board.call_ended(event.call_id)
                if event.call_id == self.following:
                    self._show_followed_call(ended=True)
            case CallTranscript():
                self.board.transcript(event.call_id, event.transcript)
                if event.call_id == self.following:
                    self.transcript.show_event(event.transcript)
            case CallUpdated():
                self.board.call_info(event.call_id, event.info)
                if event.call_id == self.following:
                    self._show_call_info()
            case HandChanged():
                self._on_hand(event)
            case CallSnapshot():
                self._on_snapshot(event)
            case CallWhispered():
                pass
        self._remember_followed()
        self.board_changed()

    def _on_hand(self, event: HandChanged) -> None:
        call_id, hand = event.call_id, event.hand
        call = self.board.hand(call_id, hand)
        if hand is not None:
            agent = event.agent or (call.agent if call else "")
            reason = hand.reason
            text = self.tr("⚑ %1 raised a hand: %2").replace("%1", agent).replace("%2", reason or "—")
            self.show_message(text)
            QApplication.alert(self)  # the taskbar entry asks for attention when the console is behind
        if call_id == self.following:
            self._show_followed_call()
        self._render_board()

    def _remember_followed(self) -> None:
        if self.following is not None:
            call = self.board.call(self.following)
            if call is not None:
                self._followed = call

    # -- following -----------------------------------------------------------------------------------------

    def follow_call(self, call_id: str) -> None:
        """Follow one call: its transcript so far, then live; whispers go to its agent."""
        if call_id == self.following:
            return
        self.stop_following()
        self.following = call_id
        self._followed = self.board.call(call_id)
        self.transcript.clear_lines()
        self.cards.clear()
        self._show_followed_call()
        self._subscribe(call_id)

    def _subscribe(self, call_id: str) -> None:
        # A request (not SyncClient.subscribe_call) so a refusal comes back to us; the snapshot itself arrives
        # through on_call_event, and we subscribe again ourselves after a reconnect.
        def work() -> None:
            self.client.follow(call_id)

        def failed(error: Exception) -> None:
            if self.following == call_id:
                self.following = None
                self._show_followed_call()
                self._render_board()
            self.request_failed(self.tr("Could not follow the call"))(error)

        self.bridge.run(work, lambda _snapshot: None, failed)

    def stop_following(self) -> None:
        if self.following is None:
            return
        self.client.unsubscribe_call(self.following)
        self.following = None
        self._followed = None
        self.transcript.clear_lines()
        self.cards.clear()
        self._show_followed_call()
        self._render_board()

    def _follow_selected(self) -> None:
        call_id = self.board_view.selected_call_id()
        if call_id:
            self.follow_call(call_id)

    def _on_snapshot(self, snapshot: CallSnapshot) -> None:
        call = snapshot.call
        if call.call_id != self.following:
            return
        self.board.call_started(call)
        for line in snapshot.transcript:
            self.transcript.show_event(line)
        for whisper in snapshot.whispers:
            self.flow.merge(SentWhisper.from_server(whisper))
        self._show_followed_call(ended=call.ended_at is not None)
        self._show_call_info()
        self.followed.emit(call.call_id)

    def _followed_call(self) -> LiveCall | None:
        """The followed call: from the board while it is live, as last seen once it has ended."""
        if self.following is None:
            return None
        return self.board.call(self.following) or self._followed

    def _show_followed_call(self, ended: bool = False) -> None:
        self._remember_followed()
        call = self._followed_call()
        if self.following is None:
            self.follow.show_nothing_followed()
        else:
            ended = ended or (call is not None and self.board.call(call.call_id) is None)
            self.follow.show_title(call, ended)
            self.flow.show_history()
        self._show_call_info()

    def _show_call_info(self) -> None:
        self.follow.show_call_info(self._followed_call())

    # -- whispers ------------------------------------------------------------------------------------------

    def send_whisper(
        self, text: str, anchor_segment_id: str = "", attachment: Attachment | None = None
    ) -> None:
        self.flow.send(text, anchor_segment_id, attachment)

    def whisper_status(self, whisper_id: str) -> str:
        return self.flow.ledger.status(whisper_id)

    # -- audit ---------------------------------------------------------------------------------------------

    def load_audit(self, after: int = 0) -> None:
        if self._role != "admin":
            self.audit.set_allowed(False)
            return
        self.bridge.run(
            lambda: self.client.audit_log(after=after, limit=500),
            self.audit.add_entries,
            self.request_failed(self.tr("The audit trail could not be loaded")),
        )

    # -- messages and closing ------------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15_000)
        self.message.emit(text)

    def request_failed(self, what: str) -> Callable[[Exception], None]:
        def report(error: Exception) -> None:
            if isinstance(error, SyncRequestError):
                detail = error.message
            elif isinstance(error, SyncUnavailable):
                detail = self.tr("the team server is not reachable")
            else:
                detail = str(error)
            self.show_message(f"{what}: {detail}")

        return report

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop timers and relaying; the caller owns the client and stops it."""
        if self._closing:
            return
        self._closing = True
        self._tick.stop()
        self._refresh_timer.stop()
        if self.following is not None and self.client.state is ConnectionState.CONNECTED:
            self.client.unsubscribe_call(self.following)
        self.bridge.close()
