"""Following one call: its live transcript, the whispers sent on it, and the composer.

The transcript is the supervisor's own view of the call (not the agent's): lines are selectable so a whisper
can be anchored to one, partial lines are marked provisional in words and italics and replaced in place by
their final (keyed by channel and segment id, so a late join's snapshot and the live stream merge without
duplicates). The whisper history shows each whisper's state in words: queued, sent, delivered, read, refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from audio.events import EventKind
from desktop.supervisor.board_view import clock
from desktop.supervisor.ledger import SentWhisper
from sync.protocol import TranscriptLine as SpokenLine

_KEY = Qt.ItemDataRole.UserRole
_SEGMENT = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    channel: str
    segment_id: str
    text: str
    final: bool
    start: float


def speaker(channel: str) -> str:
    if channel == "agent":
        return QCoreApplication.translate("FollowedTranscript", "Agent")
    return QCoreApplication.translate("FollowedTranscript", "Customer")


class FollowedTranscript(QListWidget):
    """Signals:
    line_selected(str, str): the supervisor selected a line (segment id, its shown text), or ("", "") for
    none.
    """

    line_selected = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("followedTranscript")
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._rows: dict[str, QListWidgetItem] = {}
        self._lines: dict[str, TranscriptLine] = {}
        self.itemSelectionChanged.connect(self._selection_changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.setAccessibleName(self.tr("Transcript of the followed call"))
        for key, item in self._rows.items():
            self._render(item, self._lines[key])

    def show_event(self, event: SpokenLine) -> None:
        line = TranscriptLine(
            channel=event.channel.value,
            segment_id=event.segment_id,
            text=event.text.strip(),
            final=event.kind is EventKind.FINAL,
            start=event.start,
        )
        key = f"{line.channel}:{line.segment_id}"
        known = self._lines.get(key)
        if known is not None and known.final and not line.final:
            return  # a late partial never overwrites its final
        item = self._rows.get(key)
        if line.final and not line.text:
            if (
                item is not None
            ):  # not speech after all, or folded into the turn's first line by the second pass
                del self._rows[key], self._lines[key]
                self.takeItem(self.row(item))
            return
        if item is None:
            if not line.final and not line.text:
                return
            item = QListWidgetItem()
            item.setData(_KEY, key)
            item.setData(_SEGMENT, line.segment_id)
            self._rows[key] = item
            at_end = self.verticalScrollBar().value() >= self.verticalScrollBar().maximum() - 4
            self.addItem(item)
            if at_end and not self.selectedItems():
                self.scrollToBottom()
        self._lines[key] = line
        self._render(item, line)

    def clear_lines(self) -> None:
        self.clear()
        self._rows.clear()
        self._lines.clear()

    def lines(self) -> list[TranscriptLine]:
        return [self._lines[str(self.item(i).data(_KEY))] for i in range(self.count())]

    def select_segment(self, segment_id: str) -> bool:
        for index in range(self.count()):
            item = self.item(index)
            if item.data(_SEGMENT) == segment_id:
                self.setCurrentItem(item)
                return True
        return False

    def selected_segment(self) -> tuple[str, str]:
        items = self.selectedItems()
        if not items:
            return "", ""
        line = self._lines[str(items[0].data(_KEY))]
        return line.segment_id, f"{speaker(line.channel)}: {line.text}"

    def _render(self, item: QListWidgetItem, line: TranscriptLine) -> None:
        provisional = "" if line.final else " " + self.tr("(still being heard…)")
        item.setText(f"[{clock(line.start)}] {speaker(line.channel)}: {line.text}{provisional}")
        font = QFont(self.font())
        font.setItalic(not line.final)
        item.setFont(font)
        alignment = Qt.AlignmentFlag.AlignRight if line.channel == "agent" else Qt.AlignmentFlag.AlignLeft
        item.setTextAlignment(alignment | Qt.AlignmentFlag.AlignVCenter)

    def _selection_changed(self) -> None:
        self.line_selected.emit(*self.selected_segment())


class WhisperHistory(QListWidget):
    """The whispers of the followed call, oldest first, each with its state in words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("whisperHistory")
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._shown: list[SentWhisper] = []
        self.retranslate()

    def retranslate(self) -> None:
        self.setAccessibleName(self.tr("Whispers sent on this call"))
        self.show_whispers(self._shown)

    def show_whispers(self, whispers: list[SentWhisper]) -> None:
        self._shown = sorted(whispers, key=lambda w: w.created_at)
        self.clear()
        for whisper in self._shown:
            item = QListWidgetItem(self.describe(whisper))
            item.setData(_KEY, whisper.whisper_id)
            if whisper.status == "read":
                font = QFont(self.font())
                font.setBold(False)
                item.setFont(font)
            self.addItem(item)

    def status_of(self, whisper_id: str) -> str:
        return next((w.status for w in self._shown if w.whisper_id == whisper_id), "")

    def texts(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def describe(self, whisper: SentWhisper) -> str:
        state = {
            "queued": self.tr("queued (waiting for the server)"),
            "sent": self.tr("sent ✓"),
            "delivered": self.tr("delivered ✓✓"),
            "read": self.tr("read ✓✓"),
            "refused": self.tr("refused: %1").replace("%1", whisper.problem),
        }.get(whisper.status, whisper.status)
        when = time.strftime("%H:%M:%S", time.localtime(whisper.created_at)) if whisper.created_at else ""
        # In words, not an emoji a PC without an emoji font draws as a box.
        attachment = (
            " " + self.tr("[attached: %1]").replace("%1", whisper.attachment_title)
            if whisper.attachment_title
            else ""
        )
        anchor = " ⚓" if whisper.anchor_segment_id else ""
        sender = f" — {whisper.sender}" if whisper.sender else ""
        return f"[{when}] {whisper.text}{attachment}{anchor}{sender}  · {state}"
