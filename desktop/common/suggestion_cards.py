"""Knowledge and history cards that fit what the customer just said.

Calm on purpose: a card that is still relevant stays where it is (cards are keyed, updated in place, never
rebuilt), new ones are appended, a dismissed card goes away at once. The one exception is a card the
supervisor sent for this call: it is pinned at the top, where the agent sees it without scrolling. Matched
words are highlighted in bold (not by colour alone) and every card says why it is there. Feedback ("helped",
"not relevant") goes back to the core so the team's ranking learns from it.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.common.appearance import TINTS
from desktop.common.views import SuggestionView

_MATCHED = "rgba({}, {}, {}, {})".format(*TINTS["matched"][0])


def highlight(text: str, terms: tuple[str, ...]) -> str:
    """HTML of ``text`` with every matched term in bold with a marker background.

    Terms can overlap (Japanese is matched by overlapping character pairs: イン, ンタ, ター ...) and can be
    stems ("charg" for "charged"), so the characters covered by any occurrence are marked first and then drawn
    as whole runs: インターネット lights up as one word, not as fragments.
    """
    marked = _marked(text, terms)
    out: list[str] = []
    for piece, on in _runs(text, marked):
        out.append(f"<b style='background-color: {_MATCHED}'>{escape(piece)}</b>" if on else escape(piece))
    return "".join(out)


def matched_words(texts: tuple[str, ...], terms: tuple[str, ...]) -> list[str]:
    """The words of ``texts`` the terms light up, in order, once each: what the agent reads as 'why'."""
    words: list[str] = []
    seen: set[str] = set()
    for text in texts:
        for piece, on in _runs(text, _marked(text, terms)):
            key = piece.strip().casefold()
            if on and key and key not in seen:
                seen.add(key)
                words.append(piece.strip())
    return words


def _runs(text: str, marked: list[bool]) -> list[tuple[str, bool]]:
    runs = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and marked[j] == marked[i]:
            j += 1
        runs.append((text[i:j], marked[i]))
        i = j
    return runs


def _marked(text: str, terms: tuple[str, ...]) -> list[bool]:
    marked = [False] * len(text)
    folded = text.casefold()
    if len(folded) != len(text):  # a few letters fold to two (ß -> ss): positions must stay aligned
        folded = text.lower() if len(text.lower()) == len(text) else text
    for term in {t.casefold() for t in terms if t.strip()}:
        start = folded.find(term)
        while start >= 0:
            end = start + len(term)
            if term.isascii() and term[-1:].isalpha():
                if start > 0 and folded[start - 1].isalnum():
                    start = folded.find(term, start + 1)
                    continue  # a stem must start a word: "even" is not in "seven"
                while end < len(text) and folded[end].isalpha() and folded[end].isascii():
                    end += 1  # the rest of the word the stem begins
            for i in range(start, min(end, len(marked))):
                marked[i] = True
            start = folded.find(term, start + 1)
    return marked


class SuggestionCard(QFrame):
    """Signals:
    feedback(str, str): (card key, action) where action is copied | opened | helped | not_relevant.
    """

    feedback = Signal(str, str)

    def __init__(
        self, suggestion: SuggestionView, parent: QWidget | None = None, *, agent_actions: bool = True
    ) -> None:
        super().__init__(parent)
        self.setObjectName("suggestionCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.body = QLabel(self)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason = QLabel(self)
        self.reason.setWordWrap(True)
        self.reason.setObjectName("cardReason")
        self.copy_button = QPushButton(self)
        self.open_button = QPushButton(self)
        self.helped_button = QPushButton(self)
        self.dismiss_button = QPushButton(self)
        self.copy_button.clicked.connect(self._copy)
        self.open_button.clicked.connect(self._open)
        self.helped_button.clicked.connect(self._helped)
        self.dismiss_button.clicked.connect(self._not_relevant)
        buttons = QHBoxLayout()
        for button in (self.copy_button, self.open_button, self.helped_button, self.dismiss_button):
            button.setFlat(True)
            buttons.addWidget(button)
        # Copy / Helped / Not relevant are the agent's own feedback; someone looking on (a supervisor) only
        # reads.
        for button in (self.copy_button, self.helped_button, self.dismiss_button):
            button.setVisible(agent_actions)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        self.suggestion: SuggestionView = suggestion
        self._helped_given = False
        self.update_from(suggestion)
        self.retranslate()

    def buttons(self) -> list[QPushButton]:
        """The card's buttons the user can reach, in tab order."""
        all_buttons = (self.copy_button, self.open_button, self.helped_button, self.dismiss_button)
        return [b for b in all_buttons if not b.isHidden()]

    def retranslate(self) -> None:
        self.copy_button.setText(self.tr("Copy"))
        self.open_button.setText(self.tr("Open"))
        self.helped_button.setText(self.tr("✓ Helped") if self._helped_given else self.tr("Helped"))
        self.dismiss_button.setText(self.tr("Not relevant"))
        self.update_from(self.suggestion)

    def _name_buttons(self) -> None:
        # A screen reader lists buttons by name: each says which card it acts on.
        title = self.suggestion.title
        for button, name in (
            (self.copy_button, self.tr("Copy the text of “%1”")),
            (self.open_button, self.tr("Open the whole entry “%1”")),
            (self.helped_button, self.tr("“%1” helped")),
            (self.dismiss_button, self.tr("Hide “%1”: not relevant")),
        ):
            button.setAccessibleName(name.replace("%1", title))

    def update_from(self, suggestion: SuggestionView) -> None:
        self.suggestion = suggestion
        kind = {
            "knowledge": self.tr("Knowledge"),
            "note": self.tr("Team note"),
            "call": self.tr("Past call"),
            "follow_up": self.tr("Promise"),
        }.get(suggestion.kind, suggestion.kind)
        if suggestion.pushed_by:  # said in words, not by colour: the supervisor chose this card for this call
            kind = self.tr("%1 · sent by %2").replace("%1", kind).replace("%2", suggestion.pushed_by)
        if self.property("pushed") != bool(suggestion.pushed_by):
            self.setProperty("pushed", bool(suggestion.pushed_by))
            self.style().unpolish(self)  # the stylesheet frames a supervisor's card: re-read the property
            self.style().polish(self)
        self.title.setText(
            f"<small>[{escape(kind)}]</small> <b>{highlight(suggestion.title, suggestion.matched_terms)}</b>"
        )
        body = suggestion.body if len(suggestion.body) <= 280 else suggestion.body[:277] + "…"
        self.body.setText(highlight(body, suggestion.matched_terms))
        self.setAccessibleName(
            suggestion.title
            if not suggestion.pushed_by
            else self.tr("%1 (sent by your supervisor)").replace("%1", suggestion.title)
        )
        self._render_reason()
        self._name_buttons()

    def reason_text(self) -> str:
        code = self.suggestion.reason
        source = {
            "knowledge": self.tr("knowledge base entry"),
            "past_call": self.tr("this customer's past call"),
            "open_follow_up": self.tr("an open promise to this customer"),
            "note:context": self.tr("a team note on this customer"),
            "note:caution": self.tr("a caution note on this customer"),
            "note:next_action": self.tr("a next-action note on this customer"),
        }.get(code)
        if code == "pushed":
            return self.tr("your supervisor %1 sent this card").replace("%1", self.suggestion.pushed_by)
        if source is None and code.startswith("rule:"):
            source = self.tr("a trigger phrase rule")
        parts = [source or code] if (source or code) else []
        if self.suggestion.matched_terms:
            words = matched_words(
                (self.suggestion.title, self.suggestion.body), self.suggestion.matched_terms
            )
            heard = ", ".join(words or self.suggestion.matched_terms)
            parts.append(self.tr("you heard: %1").replace("%1", heard))
        if self.suggestion.close_to:
            parts.append(self.tr("close in meaning to: %1").replace("%1", self.suggestion.close_to))
        if self.suggestion.same_meaning:
            parts.append(self.tr("same meaning: %1").replace("%1", self.suggestion.same_meaning))
        return " · ".join(parts)

    def _render_reason(self) -> None:
        why = self.reason_text()
        label = self.tr("Why")
        self.reason.setText(f"<i>{escape(label)}: {escape(why)}</i>" if why else "")

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(f"{self.suggestion.title}\n{self.suggestion.body}")
        self.feedback.emit(self.suggestion.key, "copied")

    def _open(self) -> None:
        box = QMessageBox(QMessageBox.Icon.NoIcon, self.suggestion.title, self.suggestion.body, parent=self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.feedback.emit(self.suggestion.key, "opened")

    def _not_relevant(self) -> None:
        self.feedback.emit(self.suggestion.key, "not_relevant")

    def _helped(self) -> None:
        if self._helped_given:
            return
        self._helped_given = True
        self.retranslate()
        self.feedback.emit(self.suggestion.key, "helped")


class SuggestionPanel(QScrollArea):
    """Signals:
    feedback(SuggestionView, str): the agent acted on a card (action as in :class:`SuggestionCard`).
    """

    feedback = Signal(object, str)

    def __init__(self, parent: QWidget | None = None, *, agent_actions: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("suggestions")
        self._agent_actions = agent_actions
        self.after: QWidget | None = None  # the widget Tab reaches after the last card (set by the window)
        self.setWidgetResizable(True)
        self._inner = QWidget(self)
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._empty = QLabel(self._inner)
        self._empty.setWordWrap(True)
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.setWidget(self._inner)
        self._cards: dict[str, SuggestionCard] = {}
        self._dismissed: set[str] = set()
        self.retranslate()

    def retranslate(self) -> None:
        self.setAccessibleName(self.tr("Suggestions"))
        self._empty.setText(self.tr("Cards that fit what the customer says appear here."))
        for card in self._cards.values():
            card.retranslate()

    def show_suggestions(self, suggestions: list[SuggestionView]) -> None:
        wanted = [s for s in suggestions if s.key not in self._dismissed]
        keys = {s.key for s in wanted}
        for key in [k for k in self._cards if k not in keys]:
            self._remove(key)
        new_pin = False
        for suggestion in wanted:
            card = self._cards.get(suggestion.key)
            if card is None:
                card = SuggestionCard(suggestion, self._inner, agent_actions=self._agent_actions)
                card.feedback.connect(self._card_feedback)
                self._cards[suggestion.key] = card
                self._layout.insertWidget(self._layout.count() - 1, card)
                new_pin = new_pin or bool(suggestion.pushed_by)
            elif card.suggestion != suggestion:
                card.update_from(suggestion)
        self._pin_pushed([s.key for s in wanted if s.pushed_by])
        self._empty.setVisible(not self._cards)
        self.chain_focus()
        if new_pin:
            self.verticalScrollBar().setValue(0)  # the supervisor's card is the one to read now

    def _pin_pushed(self, pushed: list[str]) -> None:
        """The supervisor's cards first (newest on top, as given), every other card in the place it had."""
        current = [c.suggestion.key for c in self.cards()]
        order = pushed + [k for k in current if k not in pushed]
        if order == current:
            return
        for index, key in enumerate(order):
            card = self._cards[key]
            self._layout.removeWidget(card)
            self._layout.insertWidget(1 + index, card)  # after the "cards appear here" label

    def cards(self) -> list[SuggestionCard]:
        """The cards as shown, top to bottom."""
        items = [self._layout.itemAt(i) for i in range(self._layout.count())]
        shown = [item.widget() for item in items if item is not None]
        return [w for w in shown if isinstance(w, SuggestionCard) and w.suggestion.key in self._cards]

    def chain_focus(self) -> None:
        """Tab goes through the cards top to bottom, then on to ``after`` (cards made later would otherwise
        come last in the window's tab order)."""
        previous: QWidget = self
        for card in self.cards():
            for button in card.buttons():
                QWidget.setTabOrder(previous, button)
                previous = button
        if self.after is not None:
            QWidget.setTabOrder(previous, self.after)

    def first_focus(self) -> QWidget:
        """Where a key that jumps to the cards puts the focus."""
        for card in self.cards():
            for button in card.buttons():
                return button
        return self

    def clear(self) -> None:
        for key in list(self._cards):
            self._remove(key)
        self._dismissed.clear()
        self._empty.setVisible(True)

    def _remove(self, key: str) -> None:
        card = self._cards.pop(key)
        self._layout.removeWidget(card)
        card.deleteLater()

    def _card_feedback(self, key: str, action: str) -> None:
        card = self._cards.get(key)
        if card is None:
            return
        self.feedback.emit(card.suggestion, action)
        if action == "not_relevant":
            self._dismissed.add(key)
            self._remove(key)
            self._empty.setVisible(not self._cards)
