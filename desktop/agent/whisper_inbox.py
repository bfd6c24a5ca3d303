"""Private advice from a supervisor during a call.

A whisper must be unmistakable to the agent and inaudible to the customer: the inbox flashes (frame and a
"NEW" label, so it does not rely on colour), can beep on the agent's own device when they chose so, and shows
who sent it. One key marks the oldest unread whisper read, and the read receipt goes back to the sender.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.common.views import WhisperView

_ID = Qt.ItemDataRole.UserRole
_READ = Qt.ItemDataRole.UserRole + 1
_MISSED = Qt.ItemDataRole.UserRole + 2


class WhisperInbox(QFrame):
    """Signals:
    marked_read(WhisperView): the agent read a whisper (send the receipt).
    """

    marked_read = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("whisperInbox")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.header = QLabel(self)
        self.header.setObjectName("whisperHeader")
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.itemActivated.connect(self._activated)
        self.list.itemDoubleClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.list, 1)
        self._whispers: dict[str, WhisperView] = {}
        self._about: dict[str, str] = {}
        self._flashes_left = 0
        self._flash = QTimer(self)
        self._flash.setInterval(350)
        self._flash.timeout.connect(self._flash_step)
        self.beep_enabled = False
        self.retranslate()

    def retranslate(self) -> None:
        self.list.setAccessibleName(self.tr("Whispers from your supervisor"))
        self._update_header()
        for index in range(self.list.count()):
            self._render(self.list.item(index))

    def add_whisper(self, whisper: WhisperView, about: str = "") -> bool:
        """Show a whisper once per id (``about``: the transcript line it is anchored to); returns False for a
        repeat delivery."""
        if whisper.whisper_id in self._whispers:
            return False
        self._whispers[whisper.whisper_id] = whisper
        self._about[whisper.whisper_id] = about
        item = QListWidgetItem()
        item.setData(_ID, whisper.whisper_id)
        item.setData(_READ, False)
        self._render(item)
        self.list.insertItem(0, item)
        self._update_header()
        self._flashes_left = 8
        self._flash.start()
        if self.beep_enabled:
            QApplication.beep()
        return True

    def unread(self) -> list[WhisperView]:
        items = [self.list.item(i) for i in range(self.list.count())]
        return [self._whispers[str(it.data(_ID))] for it in reversed(items) if not it.data(_READ)]

    def mark_oldest_read(self) -> WhisperView | None:
        for index in reversed(range(self.list.count())):
            item = self.list.item(index)
            if not item.data(_READ):
                return self._mark(item)
        return None

    def settle(self) -> None:
        """The call is over: whispers still unread stop asking for attention (no flashing, no unread count)
        and stay listed, marked as not read during the call. No read receipt is sent: the agent did not read
        them."""
        self._flash.stop()
        self._flashes_left = 0
        self.setProperty("flash", False)
        for index in range(self.list.count()):
            item = self.list.item(index)
            if not item.data(_READ):
                item.setData(_READ, True)
                item.setData(_MISSED, True)
                self._render(item)
        self._update_header()

    def clear(self) -> None:
        self.list.clear()
        self._whispers.clear()
        self._about.clear()
        self._update_header()

    def _activated(self, item: QListWidgetItem) -> None:
        if not item.data(_READ):
            self._mark(item)

    def _mark(self, item: QListWidgetItem) -> WhisperView:
        item.setData(_READ, True)
        self._render(item)
        self._update_header()
        whisper = self._whispers[str(item.data(_ID))]
        self.marked_read.emit(whisper)
        return whisper

    def _render(self, item: QListWidgetItem) -> None:
        whisper = self._whispers[str(item.data(_ID))]
        read = bool(item.data(_READ))
        mark = "" if read else self.tr("NEW") + " · "
        if item.data(_MISSED):
            mark = self.tr("not read during the call") + " · "
        when = f" · {whisper.sent_at}" if whisper.sent_at else ""
        about = self._about.get(whisper.whisper_id, "")
        anchor = "\n↳ " + self.tr("about: “%1”").replace("%1", about) if about else ""
        item.setText(f"{mark}{whisper.sender}{when}\n{whisper.text}{anchor}")
        font = item.font()
        font.setBold(not read)
        item.setFont(font)

    def _update_header(self) -> None:
        count = len(self.unread())
        if count:
            text = self.tr("Whispers: %1 unread (F8 marks read)").replace("%1", str(count))
        else:
            text = self.tr("Whispers")
        self.header.setText(f"<b>{escape(text)}</b>")
        self.setProperty("unread", bool(count))
        self._restyle()

    def _flash_step(self) -> None:
        self._flashes_left -= 1
        self.setProperty("flash", self._flashes_left % 2 == 1 and self._flashes_left > 0)
        self._restyle()
        if self._flashes_left <= 0:
            self._flash.stop()

    def _restyle(self) -> None:
        self.style().unpolish(self)
        self.style().polish(self)
