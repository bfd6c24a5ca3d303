"""Asking a supervisor for help on the call in progress, without carrying a difficult call alone.

One key (F9) or the button raises the hand at once; the agent may then type one line saying why (Enter sends
it, the hand stays up). The same key lowers it. The strip says in words where the request stands (raised and
waiting, a supervisor coming, a supervisor whispering back), so it never rests on colour, and it is reset when
the call ends: a hand belongs to one call.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from assist.redaction import redact

REASON_MAX = 200  # sync.protocol.MAX_HAND_REASON


class HandState(StrEnum):
    DOWN = "down"
    RAISED = "raised"
    COMING = "coming"
    ANSWERED = "answered"


class HandRaiser(QWidget):
    """Signals:
    raise_requested(str): the agent raised the hand (or gave the reason of a raised hand); the reason, masked.
    lower_requested(): the agent lowered the hand.
    """

    raise_requested = Signal(str)
    lower_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handRaiser")
        self.button = QPushButton(self)
        self.button.setObjectName("raiseHand")
        self.button.clicked.connect(self.toggle)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("handReason")
        self.reason.setMaxLength(REASON_MAX)
        self.reason.returnPressed.connect(self._send_reason)
        self.status = QLabel(self)
        self.status.setObjectName("handStatus")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.button)
        layout.addWidget(self.reason, 1)
        layout.addWidget(self.status, 2)
        self.state = HandState.DOWN
        self._in_call = False
        self._team = True
        self._by = ""
        self.retranslate()
        self.set_in_call(False)

    def retranslate(self) -> None:
        self.reason.setPlaceholderText(self.tr("Why? (optional, one line) — Enter sends"))
        self.reason.setAccessibleName(self.tr("Reason for raising your hand"))
        self._render()

    def set_in_call(self, active: bool, team: bool = True) -> None:
        """A hand can be raised during a call only; ``team`` is False when no team server is set up."""
        self._in_call = active
        self._team = team
        if not active:
            self.state = HandState.DOWN
            self._by = ""
            self.reason.clear()
        self.button.setEnabled(active)
        self.reason.setEnabled(active)
        self._render()

    def toggle(self) -> None:
        if not self._in_call:
            return
        if self.state is HandState.DOWN:
            self.state = HandState.RAISED
            self._by = ""
            self.raise_requested.emit(self._masked_reason())
            self.reason.setFocus()
        else:
            self.state = HandState.DOWN
            self._by = ""
            self.reason.clear()
            self.lower_requested.emit()
        self._render()

    def answered(self, sender: str, coming: bool) -> None:
        """A supervisor answered the raised hand: coming over, or with a whisper."""
        if self.state is HandState.DOWN:
            return
        if coming or self.state is not HandState.COMING:
            self.state = HandState.COMING if coming else HandState.ANSWERED
            self._by = sender
        self._render()

    def _send_reason(self) -> None:
        if not self._in_call:
            return
        if self.state is HandState.DOWN:
            self.toggle()
        else:
            self.raise_requested.emit(self._masked_reason())
            self._render()

    def _masked_reason(self) -> str:
        text = " ".join(self.reason.text().split())
        return redact(text).text if text else ""

    def _render(self) -> None:
        raised = self.state is not HandState.DOWN
        self.button.setText(self.tr("⚑ Lower hand (F9)") if raised else self.tr("⚑ Raise hand (F9)"))
        self.button.setAccessibleName(
            self.tr("Lower your hand") if raised else self.tr("Raise your hand: ask a supervisor for help")
        )
        self.button.setProperty("raised", raised)
        self.button.style().unpolish(self.button)
        self.button.style().polish(self.button)
        if not self._in_call:
            text = self.tr("Raise your hand during a call to ask a supervisor for help.")
        elif not self._team:
            text = self.tr("No team server is set up: no supervisor can see a raised hand.")
        elif self.state is HandState.RAISED:
            text = self.tr("Hand raised: your supervisors see this call first.")
        elif self.state is HandState.COMING:
            text = self.tr("%1 is coming to help.").replace("%1", self._by)
        elif self.state is HandState.ANSWERED:
            text = self.tr("%1 answered with a whisper.").replace("%1", self._by)
        else:
            text = ""
        self.status.setText(text)
        self.status.setAccessibleName(text)
