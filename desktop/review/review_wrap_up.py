"""The editable side of a reviewed call: its wrap-up (summary, tags, disposition, next action) and the
customer's notes, with a line to add one.

Writes go through the call detail's :class:`~desktop.common.background.StoreWrites` (the store's own thread);
what was typed stays in the form when a write fails.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assist.domain import CallRecord, Disposition, Note, NoteKind, new_id
from assist.store import Store
from desktop.common.background import StoreWrites
from desktop.common.views import join_tags, split_tags


class ReviewWrapUp(QWidget):
    """Signals:
    saved(CallRecord): this wrap-up was saved (the call as stored now).
    """

    saved = Signal(object)

    def __init__(self, store: Store, writes: StoreWrites, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store  # read here; written only through ``writes``
        self.author = ""
        self._writes = writes
        self.call: CallRecord | None = None

        self.summary = QPlainTextEdit(self)
        self.tags = QLineEdit(self)
        self.disposition = QComboBox(self)
        for d in Disposition:
            self.disposition.addItem("", d.value)
        self.next_action = QLineEdit(self)
        self.save_button = QPushButton(self)
        self.save_button.clicked.connect(self.save_wrap_up)
        self.notes = QListWidget(self)
        self.notes.setWordWrap(True)
        self.note_edit = QLineEdit(self)
        self.note_edit.setMinimumWidth(220)
        self.note_edit.returnPressed.connect(self.add_note)
        self.note_button = QPushButton(self)
        self.note_button.clicked.connect(self.add_note)
        self.summary.setMinimumWidth(320)  # a real editor, not a 120 px strip beside the labels
        self.summary.setTabChangesFocus(True)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form_labels = [QLabel(self) for _ in range(4)]
        for label, field in zip(
            self.form_labels, (self.summary, self.tags, self.disposition, self.next_action), strict=True
        ):
            label.setBuddy(field)
            self.form.addRow(label, field)
        self.wrap_title = QLabel(self)
        self.notes_title = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.wrap_title)
        layout.addLayout(self.form)
        layout.addWidget(self.save_button)
        layout.addWidget(self.notes_title)
        layout.addWidget(self.notes, 1)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button)
        layout.addLayout(note_row)
        self.retranslate()

    def retranslate(self) -> None:
        for widget, name in (
            (self.summary, self.tr("Summary")),
            (self.tags, self.tr("Tags")),
            (self.disposition, self.tr("Disposition")),
            (self.next_action, self.tr("Next action")),
            (self.notes, self.tr("Customer notes")),
            (self.note_edit, self.tr("New note about this customer")),
        ):
            widget.setAccessibleName(name)
        self.wrap_title.setText(self.tr("Wrap-up"))
        self.notes_title.setText(self.tr("Customer notes"))
        self.save_button.setText(self.tr("Save wrap-up"))
        self.note_edit.setPlaceholderText(self.tr("Add a note about this customer…"))
        self.note_button.setText(self.tr("Add note"))
        texts = (
            self.tr("Summary"),
            self.tr("Tags (separated by commas)"),
            self.tr("Disposition"),
            self.tr("Next action"),
        )
        for label, text in zip(self.form_labels, texts, strict=True):
            label.setText(text)
        names = {
            Disposition.RESOLVED: self.tr("Resolved"),
            Disposition.FOLLOW_UP: self.tr("Follow-up"),
            Disposition.ESCALATED: self.tr("Escalated"),
            Disposition.UNRESOLVED: self.tr("Unresolved"),
        }
        for i in range(self.disposition.count()):
            self.disposition.setItemText(i, names[Disposition(self.disposition.itemData(i))])

    def show_call(self, call: CallRecord) -> None:
        self.call = call
        self.summary.setPlainText(call.summary)
        self.tags.setText(join_tags(call.tags))
        index = self.disposition.findData(call.disposition)
        self.disposition.setCurrentIndex(max(0, index))
        self.next_action.setText(call.next_action)
        self.render_notes()

    def clear(self) -> None:
        self.call = None
        self.notes.clear()
        self.summary.clear()
        self.tags.clear()
        self.next_action.clear()

    def set_enabled(self, on: bool) -> None:
        for w in (
            self.save_button,
            self.summary,
            self.tags,
            self.disposition,
            self.next_action,
            self.note_edit,
            self.note_button,
        ):
            w.setEnabled(on)

    def render_notes(self) -> None:
        self.notes.clear()
        call = self.call
        if call is None or not call.customer_id:
            return
        kinds = {
            NoteKind.CAUTION: self.tr("Caution"),
            NoteKind.NEXT_ACTION: self.tr("Next action"),
            NoteKind.CONTEXT: self.tr("Note"),
        }
        for note in self.store.notes_for(call.customer_id):
            self.notes.addItem(
                f"{kinds[note.kind]} · {note.author or '-'} · {note.created_at[:10]}\n{note.text}"
            )

    def save_wrap_up(self) -> None:
        if self.call is None:
            return
        updated = replace(
            self.call,
            summary=self.summary.toPlainText().strip(),
            tags=split_tags(self.tags.text()),
            disposition=str(self.disposition.currentData()),
            next_action=self.next_action.text().strip(),
        )

        def stored(_none: None) -> None:
            if self.call is not None and self.call.id == updated.id:
                self.call = updated
            self.saved.emit(updated)

        self._writes(lambda store: store.upsert_call(updated), stored)

    def add_note(self) -> None:
        call, text, author = self.call, self.note_edit.text().strip(), self.author
        if call is None or not text or not call.customer_id:
            return
        note = Note(new_id("note"), call.customer_id, text, author=author)

        def added(_none: None) -> None:
            if self.note_edit.text().strip() == text:
                self.note_edit.clear()
            self.render_notes()

        self._writes(lambda store: store.upsert_note(note), added)
