"""The history list: every call with customer, agent, date, duration, tags and disposition, narrowed by
filters; typing a search shows the matching lines, summaries and notes with the matched words highlighted.

Search runs on the UI thread: over a team's whole history it answers in tens of milliseconds
(tests/bench/bench_search.py), less than a keystroke, and it is started on Enter or after a short pause in
typing rather than on every key.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assist.domain import Disposition
from assist.exports import ExportError, export_calls_csv
from assist.history import CallFilter, CallHistory, CallListItem, HitKind, SearchHit, SearchQuery, mark
from assist.store import Store
from assist.timeline import clock
from desktop.common.views import join_tags

_DATA = Qt.ItemDataRole.UserRole


class HistoryPanel(QWidget):
    """Signals:
    call_opened(str, float): open this call id, at this position in seconds (-1: the start).
    """

    call_opened = Signal(str, float)

    def __init__(self, store: Store, parent: QWidget | None = None, *, typing_delay_ms: int = 300) -> None:
        super().__init__(parent)
        self.store = store
        self.history = CallHistory(store)
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("historySearch")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self.refresh)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(typing_delay_ms)
        self._typing.timeout.connect(self.refresh)
        self.search_edit.textChanged.connect(lambda _text: self._typing.start())
        self.agent = QComboBox(self)
        self.tag = QComboBox(self)
        self.disposition = QComboBox(self)
        self.since = QLineEdit(self)
        self.until = QLineEdit(self)
        for combo in (self.agent, self.tag, self.disposition):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        for edit in (self.since, self.until):
            edit.setMaxLength(10)
            edit.editingFinished.connect(self.refresh)
        self.message = QLabel(self)
        self.message.setObjectName("historyMessage")
        self.csv_button = QPushButton(self)
        self.csv_button.clicked.connect(self._choose_csv)
        filters = QHBoxLayout()
        for w in (self.agent, self.tag, self.disposition, self.since, self.until, self.csv_button):
            filters.addWidget(w)
        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("callList")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # Tab leaves the list for the call's details (arrow keys move between calls), instead of walking
        # cells.
        self.table.setTabKeyNavigation(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellActivated.connect(self._open_row)
        self.table.cellClicked.connect(self._open_row)
        self.hits = QListWidget(self)
        self.hits.setObjectName("searchHits")
        self.hits.itemClicked.connect(self._open_hit)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.hits)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_edit)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        self._loading = False
        self.retranslate()
        self.reload_choices()
        self.refresh()

    def retranslate(self) -> None:
        self.search_edit.setPlaceholderText(
            self.tr("Search what was said, summaries and notes (日本語 / English)")
        )
        self.search_edit.setAccessibleName(self.tr("Search calls"))
        self.since.setPlaceholderText(self.tr("From YYYY-MM-DD"))
        self.until.setPlaceholderText(self.tr("To YYYY-MM-DD"))
        for widget, name in (
            (self.agent, self.tr("Filter by agent")),
            (self.tag, self.tr("Filter by tag")),
            (self.disposition, self.tr("Filter by disposition")),
            (self.since, self.tr("Calls from this date (YYYY-MM-DD)")),
            (self.until, self.tr("Calls up to this date (YYYY-MM-DD)")),
            (self.csv_button, self.tr("Export the listed calls as CSV")),
            (self.table, self.tr("Calls")),
            (self.hits, self.tr("Search results")),
        ):
            widget.setAccessibleName(name)
        for edit in (self.since, self.until):  # wide enough for the whole placeholder, not "開…"
            hint = edit.fontMetrics().horizontalAdvance(edit.placeholderText() + "00")
            edit.setMinimumWidth(hint + 16)
        self.csv_button.setText(self.tr("CSV…"))
        self.csv_button.setToolTip(self.tr("Export the calls matching these filters as CSV for Excel"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Date"),
                self.tr("Customer"),
                self.tr("Agent"),
                self.tr("Duration"),
                self.tr("Disposition"),
                self.tr("Tags"),
            ]
        )
        self._loading = True
        for combo, everything in (
            (self.agent, self.tr("All agents")),
            (self.tag, self.tr("All tags")),
            (self.disposition, self.tr("All dispositions")),
        ):
            if combo.count():
                combo.setItemText(0, everything)
        for i in range(1, self.disposition.count()):
            self.disposition.setItemText(i, self.disposition_name(str(self.disposition.itemData(i))))
        self._loading = False

    def disposition_name(self, value: str) -> str:
        return {
            Disposition.RESOLVED.value: self.tr("Resolved"),
            Disposition.FOLLOW_UP.value: self.tr("Follow-up"),
            Disposition.ESCALATED.value: self.tr("Escalated"),
            Disposition.UNRESOLVED.value: self.tr("Unresolved"),
        }.get(value, value)

    def reload_choices(self) -> None:
        """Refill the filter menus from the store (new agents and tags appear as calls are saved)."""
        self._loading = True
        for combo, everything, values in (
            (self.agent, self.tr("All agents"), self.history.agents()),
            (self.tag, self.tr("All tags"), self.history.tags()),
            (self.disposition, self.tr("All dispositions"), [d.value for d in Disposition]),
        ):
            current = combo.currentData()
            combo.clear()
            combo.addItem(everything, None)
            for value in values:
                combo.addItem(self.disposition_name(value) if combo is self.disposition else value, value)
            combo.setCurrentIndex(max(0, combo.findData(current)) if current is not None else 0)
        self._loading = False

    def current_filter(self) -> CallFilter | None:
        """The filter as set, or None (with a message shown) when a date cannot be read."""
        dates = {}
        for name, edit in (("since", self.since), ("until", self.until)):
            text = edit.text().strip()
            if text:
                try:
                    date.fromisoformat(text)
                except ValueError:
                    self.message.setText(
                        self.tr("“{text}” is not a date: write it as 2026-03-31.").format(text=text)
                    )
                    return None
            dates[name] = text or None
        return CallFilter(
            agent=self.agent.currentData(),
            tag=self.tag.currentData(),
            disposition=self.disposition.currentData(),
            since=dates["since"],
            until=dates["until"],
        )

    def refresh(self) -> None:
        if self._loading:
            return
        self._typing.stop()
        call_filter = self.current_filter()
        if call_filter is None:
            return
        self.message.clear()
        text = self.search_edit.text().strip()
        if text:
            self._show_hits(self.history.search(SearchQuery(text, filter=call_filter)).hits)
        else:
            self._show_calls(self.history.calls(call_filter))

    def _show_calls(self, items: list[CallListItem]) -> None:
        self.stack.setCurrentWidget(self.table)
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            c = item.call
            duration = clock(item.duration_seconds) if item.duration_seconds is not None else ""
            values = (
                c.started_at[:16].replace("T", " "),
                item.customer_name or c.customer_id or self.tr("Unknown"),
                c.agent,
                duration,
                self.disposition_name(c.disposition),
                join_tags(c.tags),
            )
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setData(_DATA, c.id)
                self.table.setItem(row, col, cell)
        if not items:
            self.message.setText(self.tr("No calls match these filters."))

    def _show_hits(self, hits: tuple[SearchHit, ...]) -> None:
        self.stack.setCurrentWidget(self.hits)
        self.hits.clear()
        kinds = {
            HitKind.TRANSCRIPT: self.tr("Transcript"),
            HitKind.SUMMARY: self.tr("Summary"),
            HitKind.NOTE: self.tr("Note"),
        }
        names: dict[str, str] = {}
        for hit in hits:
            row = QListWidgetItem()
            row.setData(_DATA, hit)
            when = f" · {clock(hit.start)}" if hit.start is not None else ""
            head = html.escape(f"{self._hit_customer(hit, names)} · {hit.at[:10]} · {kinds[hit.kind]}{when}")
            # Escape the text piecewise so the highlight tags are the only markup.
            body = mark(html.escape(hit.text), _escaped_spans(hit.text, hit.spans), "<b><u>", "</u></b>")
            label = QLabel(f"<small>{head}</small><br>{body}")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            row.setSizeHint(label.sizeHint())
            self.hits.addItem(row)
            self.hits.setItemWidget(row, label)
        if not hits:
            self.message.setText(self.tr("Nothing found. Try fewer or other words."))
        else:
            self.message.setText(
                self.tr("1 match") if len(hits) == 1 else self.tr("%1 matches").replace("%1", str(len(hits)))
            )

    def _hit_customer(self, hit: SearchHit, names: dict[str, str]) -> str:
        """Who the hit is about, by name (not an internal id), looked up once per search."""
        customer_id = hit.customer_id
        if not customer_id and hit.call_id:
            call = self.store.get_call(hit.call_id)
            customer_id = call.customer_id if call is not None else None
        if not customer_id:
            return self.tr("Unknown caller")
        if customer_id not in names:
            customer = self.store.get_customer(customer_id)
            names[customer_id] = (
                customer.name if customer is not None and customer.name else self.tr("Unknown caller")
            )
        return names[customer_id]

    def hit_texts(self) -> list[str]:
        """The matches as shown, highlights as [brackets] (for tests and screen readers)."""
        return [self.hits.item(i).data(_DATA).marked() for i in range(self.hits.count())]

    def call_ids(self) -> list[str]:
        cells = (self.table.item(r, 0) for r in range(self.table.rowCount()))
        return [str(c.data(_DATA)) for c in cells if c is not None]

    def export_csv(self, target: Path) -> int | None:
        call_filter = self.current_filter()
        if call_filter is None:
            return None
        try:
            count = export_calls_csv(self.store, target, call_filter)
        except ExportError as exc:
            self.message.setText(self.tr("Could not export: {error}").format(error=exc))
            return None
        self.message.setText(self.tr("Wrote {count} calls to {path}.").format(count=count, path=target))
        return count

    def _choose_csv(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export call list"), "calls.csv", "CSV (*.csv)")
        if name:
            self.export_csv(Path(name))

    def _open_row(self, row: int, _column: int) -> None:
        cell = self.table.item(row, 0)
        if cell is not None:
            self.call_opened.emit(str(cell.data(_DATA)), -1.0)

    def _open_hit(self, row: QListWidgetItem) -> None:
        hit: SearchHit = row.data(_DATA)
        if hit.call_id:
            self.call_opened.emit(hit.call_id, hit.start if hit.start is not None else -1.0)


def _escaped_spans(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    # Spans index the raw text; html.escape lengthens &, < and >, so shift each span by what precedes it.
    def shifted(i: int) -> int:
        return len(html.escape(text[:i]))

    return [(shifted(a), shifted(b)) for a, b in spans]
