"""After the call: a wrap-up prefilled from the call (summary, tags, disposition, next action, follow-up
date) that the agent corrects and saves. Saving goes to the local store first and then to the team server;
the panel says which of the two happened, so nothing is silently lost when the server is away."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.agent.summary_sources import SummarySources
from desktop.common.views import WrapUpDraft, join_tags, split_tags

DISPOSITIONS = ("resolved", "follow_up", "escalated", "unresolved")
_SAVING = str(QT_TRANSLATE_NOOP("WrapUpPanel", "Saving…"))


class WrapUpPanel(QWidget):
    """Signals:
    save_requested(WrapUpDraft): the agent saves the wrap-up.
    """

    save_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wrapUp")
        self.summary = QPlainTextEdit(self)
        self.summary.setTabChangesFocus(True)
        self.tags = QLineEdit(self)
        self.disposition = QComboBox(self)
        self.disposition.setEditable(False)
        self.next_action = QLineEdit(self)
        self.has_follow_up = QCheckBox(self)
        self.follow_up = QDateEdit(self)
        self.follow_up.setCalendarPopup(True)
        self.follow_up.setDate(QDate.currentDate().addDays(1))
        self.follow_up.setEnabled(False)
        self.has_follow_up.toggled.connect(self.follow_up.setEnabled)
        self.save_button = QPushButton(self)
        self.save_button.setObjectName("saveWrapUp")
        self.save_button.clicked.connect(self.save)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setObjectName("wrapUpStatus")
        self._status_source: tuple[str, str] | None = None  # (context, English) of the status, re-translated
        self.form = QFormLayout()
        # Labels above their fields when the column is narrow, and every field as wide as the column allows.
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._labels = [QLabel(self) for _ in range(5)]
        self.form.addRow(self._labels[0], self.summary)
        self.form.addRow(self._labels[1], self.tags)
        self.form.addRow(self._labels[2], self.disposition)
        self.form.addRow(self._labels[3], self.next_action)
        follow = QHBoxLayout()
        follow.addWidget(self.has_follow_up)
        follow.addWidget(self.follow_up, 1)
        self.form.addRow(self._labels[4], follow)
        for label, field in zip(
            self._labels,
            (self.summary, self.tags, self.disposition, self.next_action, self.has_follow_up),
            strict=True,
        ):
            label.setBuddy(field)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        self.sources = SummarySources(self)
        layout.addWidget(self.sources)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.retranslate()

    def retranslate(self) -> None:
        self.sources.retranslate()
        texts = (
            self.tr("&Summary"),
            self.tr("&Tags"),
            self.tr("&Disposition"),
            self.tr("&Next action"),
            self.tr("&Follow-up"),
        )
        for label, text in zip(self._labels, texts, strict=True):
            label.setText(text)
        self.summary.setAccessibleName(self.tr("Summary"))
        self.tags.setAccessibleName(self.tr("Tags"))
        self.tags.setPlaceholderText(self.tr("comma separated"))
        self.next_action.setAccessibleName(self.tr("Next action"))
        self.has_follow_up.setText(self.tr("on"))
        self.has_follow_up.setAccessibleName(self.tr("Schedule a follow-up"))
        self.save_button.setText(self.tr("Save wrap-up (Ctrl+S)"))
        if self._status_source is not None:
            self.status.setText(QCoreApplication.translate(*self._status_source))
        names = {
            "resolved": self.tr("Resolved"),
            "follow_up": self.tr("Follow-up needed"),
            "escalated": self.tr("Escalated"),
            "unresolved": self.tr("Not resolved"),
        }
        current = self.disposition.currentData()
        self.disposition.clear()
        for key in DISPOSITIONS:
            self.disposition.addItem(names[key], key)
        if current:
            self.disposition.setCurrentIndex(max(0, self.disposition.findData(current)))

    def prefill(self, draft: WrapUpDraft) -> None:
        self.summary.setPlainText(draft.summary)
        self.sources.show_lines(draft.lines)
        self.tags.setText(join_tags(draft.tags))
        index = self.disposition.findData(draft.disposition)
        if index < 0 and draft.disposition:
            self.disposition.addItem(draft.disposition, draft.disposition)
            index = self.disposition.count() - 1
        self.disposition.setCurrentIndex(max(0, index))
        self.next_action.setText(draft.next_action)
        self.set_follow_up(draft.follow_up_due)
        self.status.clear()
        self._status_source = None
        self.save_button.setEnabled(True)

    def set_follow_up(self, iso_date: str) -> None:
        date = QDate.fromString(iso_date, Qt.DateFormat.ISODate) if iso_date else QDate()
        self.has_follow_up.setChecked(date.isValid())
        if date.isValid():
            self.follow_up.setDate(date)

    def draft(self) -> WrapUpDraft:
        tags = split_tags(self.tags.text())
        due = self.follow_up.date().toString(Qt.DateFormat.ISODate) if self.has_follow_up.isChecked() else ""
        return WrapUpDraft(
            summary=self.summary.toPlainText().strip(),
            tags=tags,
            disposition=str(self.disposition.currentData() or ""),
            next_action=self.next_action.text().strip(),
            follow_up_due=due,
        )

    def show_status(self, text: str) -> None:
        """A status already in the UI language that needs no re-translation (it carries details)."""
        self._status_source = None
        self.status.setText(text)

    def show_status_tr(self, context: str, source: str) -> None:
        """A status given by its English source and translation context: it follows a later language
        switch."""
        self._status_source = (context, source)
        self.status.setText(QCoreApplication.translate(context, source))

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return  # a save is already on its way
        self.save_button.setEnabled(False)
        self.show_status_tr("WrapUpPanel", _SAVING)
        self.save_requested.emit(self.draft())
