"""The audit trail for admins: who monitored which call, who whispered what, who read it, failed sign-ins.

The server only answers admins; everyone else sees a sentence saying so instead of an empty table. Entries are
loaded page by page after the last one shown, so "Refresh" only fetches what is new.
"""

from __future__ import annotations

import json
import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sync.protocol import AuditEntry


class AuditTrail(QWidget):
    """Signals:
    refresh_requested(int): load entries after this sequence number.
    """

    refresh_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditTrail")
        self.last_seq = 0
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.refresh_button = QPushButton(self)
        self.refresh_button.clicked.connect(lambda: self.refresh_requested.emit(self.last_seq))
        self.table = QTableWidget(0, 5, self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self._entries: list[AuditEntry] = []
        self._allowed = False
        self.retranslate()

    def retranslate(self) -> None:
        self.table.setAccessibleName(self.tr("Audit trail"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("When"), self.tr("Who"), self.tr("Action"), self.tr("Target"), self.tr("Details")]
        )
        self.refresh_button.setText(self.tr("Refresh"))
        self.set_allowed(self._allowed)
        for row, entry in enumerate(self._entries):
            item = self.table.item(row, 2)
            if item is not None:
                item.setText(self.action_label(entry.action))

    def set_allowed(self, allowed: bool) -> None:
        self._allowed = allowed
        self.refresh_button.setEnabled(allowed)
        self.table.setVisible(allowed)
        self.note.setText(
            self.tr("Who monitored which call, who whispered what, and when.")
            if allowed
            else self.tr("Only admins can see the audit trail.")
        )

    def add_entries(self, entries: list[AuditEntry]) -> None:
        for entry in entries:
            if entry.seq <= self.last_seq:
                continue
            self.last_seq = entry.seq
            self._entries.append(entry)
            row = self.table.rowCount()
            self.table.insertRow(row)
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.at)) if entry.at else ""
            cells = [
                when,
                entry.actor,
                self.action_label(entry.action),
                entry.target,
                json.dumps(entry.detail, ensure_ascii=False) if entry.detail else "",
            ]
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))

    def entries(self) -> list[tuple[str, str, str]]:
        """(actor, action code, target) of every entry shown, for tests and exports."""
        return [(e.actor, e.action, e.target) for e in self._entries]

    def action_label(self, action: str) -> str:
        return {
            "monitor_start": self.tr("started following a call"),
            "monitor_stop": self.tr("stopped following a call"),
            "whisper_sent": self.tr("whispered"),
            "whisper_read": self.tr("read a whisper"),
            "login_failed": self.tr("failed sign-in"),
            "hand_raised": self.tr("raised a hand for help"),
            "hand_lowered": self.tr("lowered the hand"),
        }.get(action, action)
