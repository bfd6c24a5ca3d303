"""Under the prefilled wrap-up: each line of it and where it came from. Choosing a line shows the transcript
lines it was written from (the wrap-up is explainable line by line, assist.wrapup)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from desktop.common.views import SummaryLine

_SOURCES = Qt.ItemDataRole.UserRole


class SummarySources(QListWidget):
    """Signals:
    segment_chosen(str): the agent chose a wrap-up line; the segment id of the first transcript line behind
    it.
    """

    segment_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summarySources")
        self.setWordWrap(True)
        self.itemClicked.connect(self._chosen)
        self.itemActivated.connect(self._chosen)
        self._lines: tuple[SummaryLine, ...] = ()
        self.retranslate()

    def retranslate(self) -> None:
        self.setAccessibleName(self.tr("Where each line of the wrap-up came from; choose one to see it"))
        self.setToolTip(self.tr("Choose a line to see the transcript lines it was written from."))
        self.show_lines(self._lines)

    def show_lines(self, lines: tuple[SummaryLine, ...]) -> None:
        self._lines = lines
        self.clear()
        for line in lines:
            item = QListWidgetItem(f"{line.text}  ↗{len(line.sources)}" if line.sources else line.text)
            item.setData(_SOURCES, list(line.sources))
            self.addItem(item)
        self.setVisible(bool(lines))

    def _chosen(self, item: QListWidgetItem) -> None:
        sources = [s for s in item.data(_SOURCES) or [] if ":" not in s]  # notes and traits are not lines
        if sources:
            self.segment_chosen.emit(sources[0])
