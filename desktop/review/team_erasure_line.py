"""The Privacy view's line about the team server's copy after a customer was erased on this PC: erased,
pending (and why) or refused (and why).

It is said apart from the local result because it comes later: the team step waits on the server (seconds, or
a timeout when it is down), so it runs on a thread of its own (started by the erasure itself, so the request
goes even if the window closes meanwhile) and its outcome is shown on the main thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtWidgets import QLabel, QWidget

from desktop.common.background import Background
from sync.team_erasure import ServerStep, TeamErasureOutcome

TeamEraser = Callable[[str, tuple[str, ...]], TeamErasureOutcome]
"""Erases a customer (id, call ids) from the sync client files and the team server; blocks (a worker thread
runs it). The app's: :func:`desktop.common.team_erasure.erase_on_team` with the app's server settings."""


class TeamErasureLine(QLabel):
    """Shows the team step of an erasure; ``outcome`` is the last step's (an exception when it failed)."""

    def __init__(self, background: Background, eraser: TeamEraser | None, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("privacyTeamMessage")
        self.setWordWrap(True)
        self._background = background
        self.eraser = eraser or _app_team_eraser
        self.outcome: TeamErasureOutcome | BaseException | None = None

    def follow(self, step: Future[TeamErasureOutcome]) -> None:
        """Show the team step (``eraser`` running on a thread of its own) while it runs and once it ended."""
        self.outcome = None
        self.setText(self.tr("Team server: erasing the team's copy…"))
        self._background.deliver(step, self._done, self._done)

    def _done(self, result: object) -> None:
        if isinstance(result, TeamErasureOutcome):
            self.outcome = result
            self.setText(self.team_text(result))
        else:
            self.outcome = result if isinstance(result, BaseException) else RuntimeError(str(result))
            self.setText(self.tr("Team server: NOT erased, the request failed: {error}").format(error=result))

    def team_text(self, outcome: TeamErasureOutcome) -> str:
        """The team step in the UI language: erased, pending (and why) or refused (and why)."""
        report = outcome.server
        rows = sum(report.rows.values()) if report is not None else 0
        calls = len(report.calls) if report is not None else 0
        texts = {
            ServerStep.NONE: self.tr("Team server: none is set up, nothing was shared with a team."),
            ServerStep.ERASED: self.tr("Team server: erased ({calls} calls, {rows} records)."),
            ServerStep.SCRUB_PENDING: self.tr(
                "Team server: erased ({calls} calls, {rows} records); its files are cleaned at its next "
                "retention round (pending)."
            ),
            ServerStep.DATABASE_KEEPS: self.tr(
                "Team server: erased from every table of its PostgreSQL database ({calls} calls, {rows} "
                "records). Old copies can remain in PostgreSQL's own files, write-ahead log and backups "
                "until the database's administrator reclaims them (VACUUM FULL) and the backups expire; "
                "Agent Assist cannot confirm that."
            ),
            ServerStep.UNREACHABLE: self.tr(
                "Team server: NOT erased yet (pending), it cannot be reached ({reason}). The request is sent "
                "when Agent Assist next connects."
            )
            if outcome.queued_in_app
            else self.tr(
                "Team server: NOT erased yet (pending), it cannot be reached ({reason}). Erase again once it "
                "is reachable."
            ),
            ServerStep.REFUSED: self.tr(
                "Team server: NOT erased, it refused ({reason}). A supervisor or admin must erase the team's "
                "copy."
            ),
        }
        text = texts[outcome.server_step].format(calls=calls, rows=rows, reason=outcome.reason)
        for name in outcome.busy_files:
            text += " " + self.tr(
                "{file}: queued messages about the customer deleted, NOT yet cleared from the file (Agent "
                "Assist has it open; cleared when it closes)."
            ).format(file=name)
        return text


def _app_team_eraser(customer_id: str, call_ids: tuple[str, ...]) -> TeamErasureOutcome:
    from desktop.common.team_erasure import erase_on_team

    return erase_on_team(customer_id, call_ids)
