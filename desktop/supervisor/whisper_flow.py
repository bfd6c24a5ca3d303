"""The console's whispers and knowledge pushes: sending them through the client's outbox, following their
receipts and refusals, and keeping the team's knowledge entries the composer offers (split from
desktop.supervisor.console; the states themselves are kept by the Qt-free desktop.supervisor.ledger)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from desktop.supervisor.ledger import KnowledgeShelf, SentWhisper, WhisperLedger
from sync.client import RequestError
from sync.protocol import Attachment, Change, WhisperReceipt

if TYPE_CHECKING:
    from desktop.supervisor.console import SupervisorConsole


class WhisperFlow(QObject):
    """Whispers from ``console``'s supervisor to the followed call's agent, and what became of them."""

    def __init__(self, console: SupervisorConsole) -> None:
        super().__init__(console)
        self.console = console
        self.ledger = WhisperLedger()
        self.knowledge = KnowledgeShelf()

    def send(self, text: str, anchor_segment_id: str = "", attachment: Attachment | None = None) -> None:
        console = self.console
        call = console.board.call(console.following) if console.following else None
        if call is None or not call.agent:
            console.show_message(self.tr("Follow a live call to whisper to its agent."))
            return
        call_id, agent = call.call_id, call.agent
        created = time.time()
        title = attachment.title if attachment is not None else ""
        client = console.client
        sender = client.user.user if client.user is not None else ""

        def work() -> str:
            # Writes the whisper to the client's outbox (fsynced) before it goes out: off the main thread.
            return client.send_whisper(agent, call_id, text, anchor_segment_id or None, attachment)

        def queued(whisper_id: str) -> None:
            self.merge(SentWhisper(whisper_id, call_id, text, "queued", sender, created, anchor_segment_id,
                                   title))  # fmt: skip
            console.board.whisper_sent(call_id, created)
            console.board_changed()

        console.bridge.run(work, queued, console.request_failed(self.tr("The whisper could not be queued")))

    def push_knowledge(self, entry_id: str) -> None:
        """Send a team knowledge entry to the followed call's agent, to show in their suggestion panel."""
        record = self.knowledge.get(entry_id)
        if record is None:
            self.console.show_message(self.tr("That knowledge entry is no longer shared by the team."))
            return
        title = record.title or entry_id
        attachment = Attachment(
            kind="knowledge", entry_id=entry_id, title=title, body=record.body, tags=record.tags
        )
        self.send(self.tr("See: %1").replace("%1", title), self.console.composer.anchor(), attachment)

    def send_coming(self) -> None:
        """Answer the followed call's raised hand: a whisper that tells the agent a supervisor is on the
        way."""
        self.send(self.tr("I'm coming to help you."), "", Attachment(kind="coming"))

    def on_receipt(self, receipt: WhisperReceipt) -> None:
        self._changed(self.ledger.receipt(receipt.whisper_id, receipt.status.value, receipt.whisper))

    def merge(self, whisper: SentWhisper) -> None:
        self._changed(self.ledger.merge(whisper))

    def _changed(self, whisper: SentWhisper | None) -> None:
        if whisper is not None and whisper.call_id == self.console.following:
            self.show_history()

    def show_history(self) -> None:
        self.console.history.show_whispers(self.ledger.on_call(self.console.following))

    def on_request_error(self, error: RequestError) -> None:
        message = error.message or error.code
        if error.about_whisper:
            self._changed(self.ledger.refuse(error.ref, message))
        self.console.show_message(
            self.tr("The team server refused %1: %2").replace("%1", error.request).replace("%2", message)
        )

    # -- knowledge -----------------------------------------------------------------------------------------
    def load_knowledge(self) -> None:
        after = self.knowledge.seq

        def done(changes: list[Change]) -> None:
            for change in changes:
                self.on_change(change)

        what = self.tr("The team's knowledge entries could not be loaded")
        self.console.bridge.run(
            lambda: self.console.client.feed_since(after), done, self.console.request_failed(what)
        )

    def on_change(self, change: Change) -> None:
        if self.knowledge.apply(change):
            self.console.composer.show_knowledge(self.knowledge.entries())
