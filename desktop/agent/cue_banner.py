"""A gentle banner with a phrase the agent can use: empathy when the customer is upset, a summary to show
they were heard, or a proposed follow-up when the agent has just promised something. It never blocks the
view; it stays until a newer cue replaces it or the agent closes it."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QDate, QLocale, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.common.views import CueStyle, CueView


class CueBanner(QFrame):
    """Signals:
    follow_up_accepted(CueView): the agent took a proposed follow-up into the wrap-up.
    """

    follow_up_accepted = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cueBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.accept_button = QPushButton(self)
        self.accept_button.clicked.connect(self._accept)
        self.close_button = QPushButton("×", self)
        self.close_button.setFlat(True)
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.accept_button)
        layout.addWidget(self.close_button)
        self.cue: CueView | None = None
        self.hide()
        self.retranslate()

    def retranslate(self) -> None:
        self.accept_button.setText(self.tr("Add to wrap-up"))
        self.close_button.setAccessibleName(self.tr("Close the hint"))
        self.setAccessibleName(self.tr("Hint"))
        if self.cue is not None:
            self._render(self.cue)

    def show_cue(self, cue: CueView) -> None:
        self.cue = cue
        self._render(cue)
        self.show()

    def _render(self, cue: CueView) -> None:
        heading = {
            CueStyle.EMPATHY: self.tr("The customer sounds upset. You could say:"),
            CueStyle.SUMMARY: self.tr("Show you heard them:"),
            CueStyle.FOLLOW_UP: self.tr("You made a promise. Follow-up:"),
        }[cue.style]
        due = f" ({self.due_text(cue.due)})" if cue.due else ""
        self.label.setText(f"<b>{escape(heading)}</b> {escape(cue.text)}{escape(due)}")
        self.setProperty("cueStyle", cue.style.value)  # for style sheets
        self.accept_button.setVisible(cue.style is CueStyle.FOLLOW_UP)
        self.style().unpolish(self)
        self.style().polish(self)

    def due_text(self, iso_date: str) -> str:
        """A follow-up date the way people say it, with its weekday (a promise "by Thursday" is checked by
        day)."""
        date = QDate.fromString(iso_date, Qt.DateFormat.ISODate)
        if not date.isValid():
            return iso_date
        # The format is part of the translation: 12月3日（木） in Japanese, Thu 3 Dec 2026 in English.
        return QLocale().toString(date, self.tr("ddd d MMM yyyy"))

    def clear(self) -> None:
        """The call is over: its hint no longer applies."""
        self.cue = None
        self.hide()

    def _accept(self) -> None:
        if self.cue is not None:
            self.follow_up_accepted.emit(self.cue)
        self.hide()
