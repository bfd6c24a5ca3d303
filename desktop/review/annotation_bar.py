"""The row under a reviewed call's timeline: bookmark the chosen line, or comment on it (as self-review or
as the supervisor's coaching). Writes go through the call detail's StoreWrites (the store's own thread)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

from assist.domain import CallRecord
from assist.review_schema import CommentRole, ReviewNotes
from assist.timeline import TimelineKind
from desktop.common.background import StoreWrites
from desktop.review.timeline_list import TimelineList


class AnnotationBar(QWidget):
    """Signals:
    added(): a bookmark or comment was stored (the timeline shows it once re-read).
    """

    added = Signal()

    def __init__(
        self,
        writes: StoreWrites,
        timeline: TimelineList,
        shown_call: Callable[[], CallRecord | None],
        heard_at: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.author = ""
        self._writes = writes
        self._timeline = timeline
        self._shown_call = shown_call
        self._heard_at = heard_at  # where playback is (a bookmark with no line chosen goes there)
        self.bookmark_button = QPushButton(self)
        self.bookmark_button.clicked.connect(self.bookmark_selected)
        self.comment_edit = QLineEdit(self)
        self.comment_edit.setMinimumWidth(220)  # room for its placeholder, not "選…"
        self.comment_role = QComboBox(self)
        self.comment_button = QPushButton(self)
        self.comment_button.clicked.connect(self.comment_selected)
        self.comment_edit.returnPressed.connect(self.comment_selected)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bookmark_button)
        row.addWidget(self.comment_edit, 1)
        row.addWidget(self.comment_role)
        row.addWidget(self.comment_button)
        self.retranslate()

    def retranslate(self) -> None:
        self.comment_edit.setAccessibleName(self.tr("Comment on the selected line"))
        self.comment_role.setAccessibleName(self.tr("Comment as"))
        self.bookmark_button.setText(self.tr("Bookmark line"))
        self.comment_edit.setPlaceholderText(self.tr("Comment on the selected line…"))
        self.comment_button.setText(self.tr("Comment"))
        chosen = self.comment_role.currentIndex()
        self.comment_role.clear()
        self.comment_role.addItem(self.tr("Self-review"), CommentRole.AGENT.value)
        self.comment_role.addItem(self.tr("Supervisor"), CommentRole.SUPERVISOR.value)
        self.comment_role.setCurrentIndex(max(0, chosen))

    def set_enabled(self, on: bool) -> None:
        for w in (self.bookmark_button, self.comment_edit, self.comment_button):
            w.setEnabled(on)

    def bookmark_selected(self) -> None:
        item, call, author = self._timeline.selected(), self._shown_call(), self.author
        if call is None:
            return
        position = item.position if item is not None else self._heard_at()
        label = item.text[:60] if item is not None and item.kind is TimelineKind.LINE else ""
        segment_id = item.segment_id if item else ""
        self._writes(
            lambda store: ReviewNotes(store).add_bookmark(
                call.id, position, segment_id=segment_id, label=label, author=author
            ),
            lambda _mark: self.added.emit(),
        )

    def comment_selected(self) -> None:
        call, text, author = self._shown_call(), self.comment_edit.text().strip(), self.author
        if call is None or not text:
            return
        item = self._timeline.selected()
        segment_id = item.segment_id if item else ""
        role = CommentRole(self.comment_role.currentData())

        def commented(_comment: object) -> None:
            if self.comment_edit.text().strip() == text:
                self.comment_edit.clear()  # kept when the save failed, or when the reviewer typed on
            self.added.emit()

        self._writes(
            lambda store: ReviewNotes(store).add_comment(
                call.id, text, segment_id=segment_id, author=author, role=role
            ),
            commented,
        )
