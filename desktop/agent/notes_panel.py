"""Quick notes during a call: type, press Enter, keep listening. Each note is stamped with the call time so it
lines up with the transcript later, and it is saved with the call."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QListView, QListWidget, QVBoxLayout, QWidget

from desktop.agent.transcript_view import clock
from desktop.common.views import QuickNote


class QuickNotes(QWidget):
    """Signals:
    note_added(QuickNote): the agent wrote a note.
    """

    note_added = Signal(object)

    def __init__(self, call_time: Callable[[], float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quickNotes")
        self._call_time = call_time
        self.input = QLineEdit(self)
        self.input.returnPressed.connect(self._add)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.input)
        layout.addWidget(self.list, 1)
        self.notes: list[QuickNote] = []
        self.retranslate()

    def retranslate(self) -> None:
        self.input.setPlaceholderText(self.tr("Quick note, Enter to add"))
        self.input.setAccessibleName(self.tr("Quick note"))
        self.list.setAccessibleName(self.tr("Notes from this call"))

    def clear(self) -> None:
        self.notes.clear()
        self.list.clear()

    def _add(self) -> None:
        text = self.input.text().strip()
        if not text:
            return
        note = QuickNote(self._call_time(), text)
        self.notes.append(note)
        self.list.addItem(f"{clock(note.at_seconds)}  {text}")
        self.input.clear()
        self.note_added.emit(note)
