"""Small parts of the supervisor console's window (split from desktop.supervisor.console): the board side
(live calls over the agents online), the team-server state in the status bar, and the shortcuts and menus."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from desktop.supervisor.board import TeamBoard
from desktop.supervisor.board_view import AgentsList, BoardTable
from sync.client import ConnectionState
from sync.protocol import Welcome


class BoardSide(QWidget):
    """The live calls (calls needing attention first) over the agents online."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.board_view = BoardTable(self)
        self.agents_view = AgentsList(self)
        self.board_title = QLabel(self)
        self.agents_title = QLabel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.board_title)
        layout.addWidget(self.board_view, 3)
        layout.addWidget(self.agents_title)
        layout.addWidget(self.agents_view, 1)

    def retranslate(self) -> None:
        self.board_title.setText(self.tr("Live calls (calls needing attention first)"))
        self.agents_title.setText(self.tr("Agents online"))
        self.board_view.retranslate()
        self.agents_view.retranslate()

    def show_board(self, board: TeamBoard, following: str | None) -> None:
        self.board_view.render(board, following)
        self.agents_view.render(board.agents())


class ServerState(QLabel):
    """Connected as whom, connecting, or offline (and why); styled by its ``state`` property."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverState")

    def show_state(self, state: str, reason: str, user: Welcome | None) -> None:
        if state == ConnectionState.CONNECTED.value and user is not None:
            self.setText(
                self.tr("Connected as %1 (%2, team %3)")
                .replace("%1", user.user)
                .replace("%2", user.role.value)
                .replace("%3", user.team)
            )
            self.setProperty("state", "online")
        elif state == ConnectionState.CONNECTING.value:
            self.setText(self.tr("Connecting to the team server…"))
            self.setProperty("state", "offline")
        else:
            text = self.tr("Offline")
            self.setText(f"{text}: {reason}" if reason else text)
            self.setProperty("state", "offline")
        self.style().unpolish(self)
        self.style().polish(self)


class ConsoleActions(QObject):
    """The console's shortcuts, each also in a menu so it can be found (and used by mouse) without reading
    the manual."""

    def __init__(
        self,
        window: QMainWindow,
        *,
        refresh: Callable[[], object],
        follow: Callable[[], object],
        stop: Callable[[], object],
        compose: Callable[[], object],
        coming: Callable[[], object],
    ) -> None:
        super().__init__(window)

        def action(shortcut: QKeySequence | str, slot: Callable[[], object]) -> QAction:
            act = QAction(window)
            act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            window.addAction(act)
            return act

        self.refresh_action = action(QKeySequence(QKeySequence.StandardKey.Refresh), refresh)
        self.follow_action = action("Ctrl+F", follow)
        self.stop_action = action("Ctrl+Shift+F", stop)
        self.compose_action = action("Ctrl+L", compose)
        self.coming_action = action("Ctrl+K", coming)
        bar = window.menuBar()
        self.menu_board = bar.addMenu("")
        self.menu_board.addAction(self.refresh_action)
        self.menu_board.addAction(self.follow_action)
        self.menu_call = bar.addMenu("")
        for act in (self.stop_action, self.compose_action, self.coming_action):
            self.menu_call.addAction(act)

    def retranslate(self) -> None:
        self.refresh_action.setText(self.tr("Refresh board"))
        self.follow_action.setText(self.tr("Follow selected call"))
        self.stop_action.setText(self.tr("Stop following"))
        self.compose_action.setText(self.tr("Write a whisper"))
        self.coming_action.setText(self.tr("Answer the raised hand: I'm coming"))
        self.menu_board.setTitle(self.tr("&Board"))
        self.menu_call.setTitle(self.tr("&Followed call"))
