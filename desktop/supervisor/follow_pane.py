"""The right half of the supervisor console: the followed call's title, its live transcript, the customer and
the agent's cards beside it, the whispers sent on it, and the composer (split from
desktop.supervisor.console, which decides what is followed and feeds this pane)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from desktop.common.context_panel import CustomerContextPanel
from desktop.common.suggestion_cards import SuggestionPanel
from desktop.supervisor.board import LiveCall
from desktop.supervisor.follow_view import FollowedTranscript, WhisperHistory
from desktop.supervisor.ledger import customer_view, suggestion_view
from desktop.supervisor.templates import WhisperTemplates
from desktop.supervisor.whisper_composer import WhisperComposer


class FollowPane(QWidget):
    """What the console shows of the followed call; the console keeps the state and calls ``show_*``."""

    def __init__(self, templates: WhisperTemplates, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.follow_title = QLabel(self)
        self.follow_title.setObjectName("followTitle")
        self.follow_title.setWordWrap(True)
        self.follow_title.setTextFormat(Qt.TextFormat.RichText)
        self.transcript = FollowedTranscript(self)
        self.context = CustomerContextPanel(self)
        self.cards = SuggestionPanel(self, agent_actions=False)  # the agent's feedback buttons are theirs
        self.cards_note = QLabel(self)
        self.cards_note.setWordWrap(True)
        cards_side = QWidget(self)
        cards_layout = QVBoxLayout(cards_side)
        cards_layout.setContentsMargins(0, 0, 0, 0)
        cards_layout.addWidget(self.cards_note)
        cards_layout.addWidget(self.cards, 1)
        self.side_tabs = QTabWidget(self)
        self.side_tabs.addTab(self.context, "")
        self.side_tabs.addTab(cards_side, "")
        self.history = WhisperHistory(self)
        self.history_title = QLabel(self)
        self.composer = WhisperComposer(templates, self)
        self.transcript.line_selected.connect(self.composer.set_anchor)

        follow_top = QSplitter(Qt.Orientation.Horizontal, self)
        follow_top.addWidget(self.transcript)
        follow_top.addWidget(self.side_tabs)
        follow_top.setStretchFactor(0, 3)
        follow_top.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.follow_title)
        layout.addWidget(follow_top, 3)
        layout.addWidget(self.history_title)
        layout.addWidget(self.history, 1)
        layout.addWidget(self.composer)

    def retranslate(self) -> None:
        self.history_title.setText(self.tr("Whispers on this call"))
        self.side_tabs.setTabText(0, self.tr("Customer"))
        self.side_tabs.setTabText(1, self.tr("Agent's cards"))
        for widget in (self.transcript, self.history, self.composer):
            widget.retranslate()

    def show_nothing_followed(self) -> None:
        self.follow_title.setText(
            html.escape(
                self.tr(
                    "Not following a call. Double-click a call on the board (or select it and press Enter)."
                )
            )
        )
        self.composer.set_target("")
        self.context.show_customer(None)
        self.history.show_whispers([])

    def show_title(self, call: LiveCall | None, ended: bool) -> None:
        """The followed call's title (agent, caller, live or ended) with the agent's raised hand on top."""
        agent = call.agent if call else ""
        customer = call.customer_name if call else ""
        state = self.tr("call ended") if ended else self.tr("live")
        title = (
            self.tr("Following %1 with %2 (%3)")
            .replace("%1", agent or "…")
            .replace("%2", customer or self.tr("unknown caller"))
            .replace("%3", state)
        )
        hand = call.hand if call is not None and not ended else None
        if hand is not None:
            reason = hand.reason
            mark = self.tr("⚑ Hand raised") + (": " + reason if reason else "")
            title = f"<b>{html.escape(mark)}</b><br>{html.escape(title)}"
        else:
            title = html.escape(title)
        self.follow_title.setText(title)
        self.composer.set_target(agent)

    def show_call_info(self, call: LiveCall | None) -> None:
        """The customer and the agent's cards, as the agent's app shared them."""
        if call is None:
            self.cards_note.setText(self.tr("Follow a call to see the cards its agent sees."))
            self.cards.clear()
            return
        self.context.show_customer(customer_view(call.customer))
        cards = call.info.cards
        if cards is not None:
            self.cards.show_suggestions([suggestion_view(card) for card in cards if card.title])
            self.cards_note.setText(self.tr("The cards the agent is seeing now."))
        else:
            self.cards_note.setText(self.tr("The agent's app has not shared its cards for this call."))
