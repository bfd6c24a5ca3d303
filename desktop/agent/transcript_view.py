"""The live transcript: both sides of the call as they speak.

The customer's lines sit on the left and the agent's on the right, each with a speaker label and a timestamp
(so colour is never the only signal). A partial line is drawn provisional (italic, dimmed, trailing "…") and
is replaced in place by its final through the segment id, so lines never jump. The view follows the live end
until the agent scrolls up to read; then a "Jump to live" button brings it back. Clicking a line bookmarks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audio.events import Channel, EventKind, TranscriptEvent

_SEGMENT = Qt.ItemDataRole.UserRole
_CHANNEL = Qt.ItemDataRole.UserRole + 1
_FINAL = Qt.ItemDataRole.UserRole + 2
_BOOKMARK = Qt.ItemDataRole.UserRole + 3
_TEXT = Qt.ItemDataRole.UserRole + 4
_START = Qt.ItemDataRole.UserRole + 5


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    segment_id: str
    channel: Channel
    text: str
    final: bool
    bookmarked: bool
    start: float
    right_side: bool


class _TranscriptList(QListWidget):
    def relayout(self) -> None:
        # Coalesced: many in-place updates within one event-loop pass cost one layout.
        self.scheduleDelayedItemsLayout()


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def speaker_label(channel: Channel) -> str:
    if channel is Channel.AGENT:
        return QCoreApplication.translate("LiveTranscript", "You")
    return QCoreApplication.translate("LiveTranscript", "Customer")


class LiveTranscript(QWidget):
    """Signals:
    bookmark_toggled(str, bool): the agent clicked a line (segment id, now bookmarked or not).
    """

    bookmark_toggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[str, QListWidgetItem] = {}
        self._follow_live = True
        self.list = _TranscriptList(self)
        self.list.setObjectName("transcript")
        self.list.setAccessibleName(self.tr("Live transcript"))
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setSpacing(2)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.list.itemClicked.connect(self._toggle_bookmark)
        self._moving = False
        self.list.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.list.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self.jump_button = QPushButton(self.tr("Jump to live ↓"), self)
        self.jump_button.setAccessibleName(self.tr("Jump to the live end of the transcript"))
        self.jump_button.clicked.connect(self.jump_to_live)
        self.jump_button.hide()
        # While the call is on and nothing has been heard yet: the engine needs a few seconds of speech first.
        self.listening = QLabel(self)
        self.listening.setObjectName("listening")
        self.listening.setWordWrap(True)
        self.listening.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.listening.hide()
        self._in_call = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.listening)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.jump_button)

    # -- feeding ---------------------------------------------------------------------------------------
    def show_event(self, event: TranscriptEvent) -> None:
        item = self._rows.get(event.segment_id)
        if item is not None and item.data(_FINAL) and event.kind is EventKind.PARTIAL:
            return  # a late partial must never overwrite the final it belongs to
        if item is not None and event.kind is EventKind.FINAL and not event.text.strip():
            # what sounded like speech was not, or the second pass folded the line into its turn's first line
            into = self._rows.get(event.merged_into) if event.merged_into else None
            if into is not None and item.data(_BOOKMARK) and not into.data(_BOOKMARK):
                into.setData(_BOOKMARK, True)  # the agent's mark stays on the words it was on
                self._render(into)
                self.bookmark_toggled.emit(str(into.data(_SEGMENT)), True)
            self._retract(event.segment_id, item)
            return
        fresh = item is None
        if item is None:
            if not event.text.strip():
                return
            item = QListWidgetItem()
            item.setData(_SEGMENT, event.segment_id)
            item.setData(_BOOKMARK, False)
        item.setData(_CHANNEL, event.channel.value)
        item.setData(_FINAL, event.kind is EventKind.FINAL)
        item.setData(_TEXT, event.text.strip())
        item.setData(_START, event.start)
        self._render(item)
        if fresh:
            self._rows[event.segment_id] = item
            self.list.addItem(item)
            self.listening.hide()
        else:
            self.list.relayout()  # the line may have grown or shrunk: heights are cached per row
        if self._follow_live:
            self._scroll_to_end()

    def show_segment(self, segment_id: str) -> bool:
        """Bring a line into view (a wrap-up line's source); the transcript stops following the live end."""
        item = self._rows.get(segment_id)
        if item is None:
            return False
        self._follow_live = False
        self.list.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.list.setCurrentItem(item)
        return True

    def _retract(self, segment_id: str, item: QListWidgetItem) -> None:
        del self._rows[segment_id]
        self.list.takeItem(self.list.row(item))

    def set_listening(self, in_call: bool) -> None:
        """Say "listening…" while a call is on and no line has come yet."""
        self._in_call = in_call
        self.listening.setVisible(in_call and not self._rows)

    def clear(self) -> None:
        self.list.clear()
        self._rows.clear()
        self.listening.setVisible(self._in_call)
        self._follow_live = True
        self.jump_button.hide()

    def retranslate(self) -> None:
        self.list.setAccessibleName(self.tr("Live transcript"))
        self.jump_button.setText(self.tr("Jump to live ↓"))
        self.listening.setText(
            self.tr("Listening… the first words appear a few seconds after someone starts to speak.")
        )
        for index in range(self.list.count()):
            self._render(self.list.item(index))
        self.list.relayout()

    # -- reading (tests, wrap-up, screenshots) ----------------------------------------------------------
    def lines(self) -> list[TranscriptLine]:
        result = []
        for index in range(self.list.count()):
            item = self.list.item(index)
            channel = Channel(item.data(_CHANNEL))
            result.append(
                TranscriptLine(
                    segment_id=str(item.data(_SEGMENT)),
                    channel=channel,
                    text=str(item.data(_TEXT)),
                    final=bool(item.data(_FINAL)),
                    bookmarked=bool(item.data(_BOOKMARK)),
                    start=float(item.data(_START)),
                    right_side=bool(item.textAlignment() & Qt.AlignmentFlag.AlignRight),
                )
            )
        return result

    @property
    def follows_live(self) -> bool:
        return self._follow_live

    def jump_to_live(self) -> None:
        self._follow_live = True
        self.jump_button.hide()
        self._scroll_to_end()

    # -- internals --------------------------------------------------------------------------------------
    def _render(self, item: QListWidgetItem) -> None:
        channel = Channel(item.data(_CHANNEL))
        final = bool(item.data(_FINAL))
        marked = bool(item.data(_BOOKMARK))
        text = str(item.data(_TEXT))
        star = "★ " if marked else ""
        tail = "" if final else " …"
        item.setText(f"{star}{speaker_label(channel)} · {clock(float(item.data(_START)))}\n{text}{tail}")
        agent = channel is Channel.AGENT
        item.setTextAlignment(
            (Qt.AlignmentFlag.AlignRight if agent else Qt.AlignmentFlag.AlignLeft)
            | Qt.AlignmentFlag.AlignVCenter
        )
        font = QFont(self.list.font())
        font.setItalic(not final)
        font.setBold(marked)
        item.setFont(font)
        palette = self.list.palette()
        role = QPalette.ColorRole.Text if final else QPalette.ColorRole.PlaceholderText
        item.setForeground(QBrush(palette.color(role)))
        base = palette.color(QPalette.ColorRole.Base)
        tint = palette.color(QPalette.ColorRole.Highlight if agent else QPalette.ColorRole.Mid)
        blend = 0.10 if agent else 0.18
        mixed = base.toRgb()
        mixed.setRedF(base.redF() * (1 - blend) + tint.redF() * blend)
        mixed.setGreenF(base.greenF() * (1 - blend) + tint.greenF() * blend)
        mixed.setBlueF(base.blueF() * (1 - blend) + tint.blueF() * blend)
        item.setBackground(QBrush(mixed))
        state = self.tr("final") if final else self.tr("still being heard")
        item.setToolTip(self.tr("Click to bookmark this line") + f" ({state})")

    def _toggle_bookmark(self, item: QListWidgetItem) -> None:
        marked = not bool(item.data(_BOOKMARK))
        item.setData(_BOOKMARK, marked)
        self._render(item)
        self.list.relayout()
        self.bookmark_toggled.emit(str(item.data(_SEGMENT)), marked)

    def _scrolled(self, value: int) -> None:
        if self._moving:
            return
        if value >= self.list.verticalScrollBar().maximum() - 4:
            self._follow_live = True
            self.jump_button.hide()
        else:
            self._follow_live = False
            self.jump_button.show()

    def _range_changed(self, _minimum: int, _maximum: int) -> None:
        # Wrapped rows get their final height after layout, which grows the range later: keep up with it.
        if self._follow_live:
            self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        self._moving = True
        try:
            bar = self.list.verticalScrollBar()
            bar.setValue(bar.maximum())
        finally:
            self._moving = False
