"""The agent app's other windows: History & review (on its own connection to the local database) for everyone,
and the supervisor console (on its own team-server connection with the same token) for users the server
signs in as supervisor or admin; it opens by itself for supervisors. Split from desktop.agent.agent_app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtWidgets import QWidget

from desktop.agent.desk import CallDesk, Problem
from desktop.agent.main_window import CallScreen
from desktop.common.background import Background
from desktop.common.preferences import Preferences
from sync.client import ConnectionState

if TYPE_CHECKING:  # the other windows are loaded when first opened
    from assist.store import Store
    from desktop.supervisor.console import SupervisorConsole
    from sync.client import SyncClient

log = logging.getLogger(__name__)

SUPERVISING_ROLES = ("supervisor", "admin")  # who may open the supervisor console
OPENS_CONSOLE_AT_START = ("supervisor",)  # whose console opens by itself when they sign in


class SideWindows(QObject):
    """Opens, raises and closes the review window and the supervisor console beside the call screen."""

    def __init__(
        self,
        desk: CallDesk,
        window: CallScreen,
        prefs: Callable[[], Preferences],
        problem: Callable[[Problem, str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.window = window
        self._prefs = prefs
        self._problem = problem
        self._background = Background(self)
        self.console: SupervisorConsole | None = None  # once opened
        self.review: QWidget | None = None
        self._console_opened_once = False

    def role_known(self, state: ConnectionState) -> None:
        if state is not ConnectionState.CONNECTED:
            return  # offline: the last known role stands
        role = self.desk.role
        self.window.act_supervisor.setVisible(role in SUPERVISING_ROLES)
        if role in OPENS_CONSOLE_AT_START and not self._console_opened_once:
            self.open_supervisor_console()

    def open_supervisor_console(self) -> QWidget | None:
        """The team's live calls for a supervisor or admin, on its own connection with the same token (the
        console takes over its client's callbacks, so it cannot share the desk's)."""
        if self.desk.role not in SUPERVISING_ROLES or not self.desk.config.server_url:
            return None
        self._console_opened_once = True
        console = self.console
        if console is not None:
            console.showNormal()
            console.raise_()
            console.activateWindow()
            return console
        from desktop.supervisor.console import SupervisorConsole
        from desktop.supervisor.i18n import install_supervisor_translation
        from sync.client import SyncClient

        install_supervisor_translation(self._prefs().ui_language)
        state_file = self.desk.sync_state_file.with_name(
            self.desk.sync_state_file.stem + "-supervisor.sqlite3"
        )
        client = SyncClient(self.desk.config.server_url, self.desk.config.server_token, state_file)
        console = SupervisorConsole(client)
        console.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        console.destroyed.connect(lambda _=None, c=client: self._console_closed(c))
        self.console = console
        console.show()
        return console

    def _console_closed(self, client: SyncClient) -> None:
        self.console = None
        # The console leaves its client to its owner; stopping joins a thread, so not on the UI thread.
        self._background.in_thread("console-client-stop", lambda: client.stop(timeout=3.0), _ignore)

    def open_review(self) -> QWidget | None:
        """Past calls of this PC (history, search, insights) in their own window, on their own connection to
        the local database."""
        if self.review is not None:
            self.review.showNormal()
            self.review.raise_()
            self.review.activateWindow()
            return self.review
        try:
            from desktop.review import create_review_window
        except ImportError as exc:  # the call screen works without it
            log.exception("the review window cannot be loaded")
            self.window.show_problem(
                QCoreApplication.translate("AgentApp", "History & review is not available: %1").replace(
                    "%1", str(exc)
                )
            )
            return None
        from assist.store import Store

        try:
            store = Store.open(self.desk.store_file)
        except Exception as exc:
            self._problem(Problem.STORE, f"{self.desk.store_file}: {exc}")
            return None
        window = create_review_window(
            store,
            author=self._prefs().agent_name,
            recordings_root=self.desk.recordings,
            run_on_store=self.desk.run_on_worker,  # the store's one writer
        )
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.destroyed.connect(lambda _=None, s=store: self._review_closed(s))
        self.review = window
        window.show()
        return window

    def _review_closed(self, store: Store) -> None:
        self.review = None
        store.close()

    def close(self) -> None:
        """The app is going: close both windows and stop the console's client now (not at its deletion)."""
        console = self.console
        if console is not None:
            console.close()
            console.client.stop(timeout=3.0)
        if self.review is not None:
            self.review.close()


def _ignore(_result: object) -> None:
    """Nothing to show when a background job succeeds (its failure is logged)."""
