"""The list a reviewer reads a past call in: its transcript lines on one time axis with everything else that
happened (whispers, suggestions, cues, bookmarks, comments, overlaps and silences, as
:func:`assist.timeline.load_timeline` lays them out), and the line being heard highlighted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from assist.timeline import TimelineItem, TimelineKind, clock, line_at

_ITEM = Qt.ItemDataRole.UserRole


def _local_time(iso: str) -> str:
    """A stored UTC time as this PC's clock time (the agent's and the lead's day)."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return iso


class TimelineList(QListWidget):
    """One row per timeline item; transcript lines are counted apart (``lines()``, ``highlighted``: an index
    into them), annotations are indented under the line they belong to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewTimeline")
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.spans: list[tuple[float, float]] = []  # (start, end) of each transcript line
        self._line_rows: list[int] = []  # list row of each transcript line
        self.highlighted: int | None = None  # index into the call's lines

    def show_items(self, items: Sequence[TimelineItem]) -> None:
        """Show ``items``, keeping the highlighted line (a re-render after an annotation was added)."""
        self.clear()
        self.spans, self._line_rows = [], []
        for item in items:
            row = QListWidgetItem()
            row.setData(_ITEM, item)
            if item.kind is TimelineKind.LINE:
                row.setText(f"{clock(item.position)}  {self._speaker(item.channel)}: {item.text}")
                self.spans.append((item.position, item.end if item.end is not None else item.position))
                self._line_rows.append(self.count())
            else:
                author = f" ({item.author})" if item.author else ""
                if item.kind is TimelineKind.WHISPER:
                    read = (
                        self.tr("read at {time}").format(time=_local_time(item.read_at))
                        if item.read_at
                        else self.tr("not read")
                    )
                    author = f" ({item.author + ' · ' if item.author else ''}{read})"
                row.setText(f"      ↳ {self._kind_label(item.kind)}{author}: {item.text}")
                font = QFont(self.font())
                font.setItalic(True)
                row.setFont(font)
                row.setForeground(QBrush(self.palette().color(QPalette.ColorRole.PlaceholderText)))
            self.addItem(row)
        self.highlight(self.highlighted, force=True)

    def show_nothing(self) -> None:
        """Show nothing and forget the highlight."""
        self.highlighted = None
        self.clear()
        self.spans, self._line_rows = [], []

    def _kind_label(self, kind: TimelineKind) -> str:
        return {
            TimelineKind.WHISPER: self.tr("Whisper"),
            TimelineKind.SUGGESTION_SHOWN: self.tr("Suggestion shown"),
            TimelineKind.SUGGESTION_USED: self.tr("Suggestion used"),
            TimelineKind.CUE: self.tr("Cue"),
            TimelineKind.BOOKMARK: self.tr("Bookmark"),
            TimelineKind.COMMENT: self.tr("Comment"),
            TimelineKind.OVERLAP: self.tr("Overlap"),
            TimelineKind.SILENCE: self.tr("Silence"),
        }.get(kind, "")

    def _speaker(self, channel: str) -> str:
        return self.tr("Agent") if channel == "agent" else self.tr("Customer")

    # -- what the reviewer sees ------------------------------------------------------------------------
    def lines(self) -> list[TimelineItem]:
        return [self.item(r).data(_ITEM) for r in self._line_rows]

    def all_items(self) -> list[TimelineItem]:
        return [self.item(r).data(_ITEM) for r in range(self.count())]

    def highlighted_line(self) -> TimelineItem | None:
        return None if self.highlighted is None else self.lines()[self.highlighted]

    def selected(self) -> TimelineItem | None:
        """The chosen row's item, or the line being heard when no row is chosen."""
        row = self.currentItem()
        if row is None:
            return self.highlighted_line()
        item: TimelineItem = row.data(_ITEM)
        return item

    @staticmethod
    def item_of(row: QListWidgetItem) -> TimelineItem:
        item: TimelineItem = row.data(_ITEM)
        return item

    def line_row(self, index: int) -> int:
        """The list row of transcript line ``index``."""
        return self._line_rows[index]

    def line_index_of(self, row: QListWidgetItem) -> int:
        """Which transcript line ``row`` (a line's row) is."""
        return self._line_rows.index(self.row(row))

    # -- highlighting ----------------------------------------------------------------------------------
    def highlight(self, index: int | None, force: bool = False) -> None:
        """Show line ``index`` as the one being heard (bold, shaded, in view); None for none."""
        if index == self.highlighted and not force:
            return
        if self.highlighted is not None and self.highlighted < len(self._line_rows):
            old = self.item(self._line_rows[self.highlighted])
            old.setFont(QFont(self.font()))
            old.setBackground(QBrush())
        self.highlighted = index
        if index is None or index >= len(self._line_rows):
            return
        item = self.item(self._line_rows[index])
        font = QFont(self.font())
        font.setBold(True)
        item.setFont(font)
        item.setBackground(QBrush(self.palette().color(QPalette.ColorRole.AlternateBase)))
        self.scrollToItem(item, QAbstractItemView.ScrollHint.EnsureVisible)

    def highlight_at(self, position: float) -> None:
        """Highlight the line heard at ``position`` seconds."""
        self.highlight(line_at(self.spans, position))

    def select_line(self, index: int) -> None:
        self.setCurrentRow(self._line_rows[index])
        self.highlight(index)

    def select_line_at(self, position: float) -> None:
        index = line_at(self.spans, position)
        if index is not None:
            self.select_line(index)

    def select_segment(self, segment_id: str) -> None:
        for index, line in enumerate(self.lines()):
            if line.segment_id == segment_id:
                self.select_line(index)
                return
