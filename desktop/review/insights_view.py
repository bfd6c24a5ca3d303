"""Team insights on screen: calls per day or week (by tag, topic, disposition or agent) as bars, the knowledge
entries most used, average handle time and the share of calls with frustration cues; CSV export for Excel.

The bars are drawn with QPainter: a handful of labelled bars needs no charting library, and every bar's value
is also written as text (colour and length are never the only signal).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from assist.insights import NO_AGENT, Dimension, Insights, Period, insights, write_insights_csv
from assist.store import Store
from desktop.common.background import Background
from desktop.review.conversation_view import TeamConversation


class BarChart(QWidget):
    """Horizontal labelled bars: (label, value) pairs, longest first as given; each bar may carry a note
    written after its value (a breakdown, or what the value counts), so the chart reads without a colour
    key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[tuple[str, float]] = []
        self.notes: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(120)

    def set_bars(self, bars: list[tuple[str, float]], notes: list[str] | None = None) -> None:
        self.bars = bars
        self.notes = list(notes or [])
        self.setMinimumHeight(max(120, 22 * len(bars) + 8))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        if not self.bars:
            painter.end()
            return
        label_width = min(
            self.width() // 3, max(painter.fontMetrics().horizontalAdvance(b[0]) for b in self.bars) + 8
        )
        top = max(v for _, v in self.bars) or 1.0
        row = 22
        note_width = min(
            self.width() // 3,
            max((painter.fontMetrics().horizontalAdvance(n) for n in self.notes), default=0) + 8,
        )
        for i, (label, value) in enumerate(self.bars):
            y = 4 + i * row
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(
                QRectF(4, y, label_width - 8, row - 4),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )
            span = (self.width() - label_width - 60 - note_width) * (value / top)
            painter.fillRect(
                QRectF(label_width, y + 3, max(1.0, span), row - 10),
                palette.color(QPalette.ColorRole.Highlight),
            )
            text = f"{value:g}"
            if i < len(self.notes) and self.notes[i]:
                text += "  " + self.notes[i]
            painter.drawText(
                QRectF(label_width + span + 4, y, 56 + note_width, row - 4),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                text,
            )
        painter.end()


def _count(path: Path, period: Period, by: Dimension) -> Insights:
    with Store.open(path) as store:  # its own connection, opened and closed on the counting thread
        return insights(store, period, by)


class InsightsPanel(QWidget):
    """Signals:
    updated(): new figures are on screen (or the error that prevented them).
    """

    updated = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.data: Insights | None = None
        self.busy = False
        self._generation = 0
        self._background = Background(self)  # the window may close while a count still runs
        self.period = QComboBox(self)
        self.dimension = QComboBox(self)
        self.export_button = QPushButton(self)
        self.export_button.clicked.connect(self._choose_csv)
        self.volume_title = QLabel(self)
        self.volume = BarChart(self)
        self.volume.setObjectName("volumeChart")
        self.handle_title = QLabel(self)
        self.handle = BarChart(self)
        self.handle.setObjectName("handleTimeChart")
        self.knowledge_title = QLabel(self)
        self.knowledge = BarChart(self)
        self.knowledge.setObjectName("knowledgeChart")
        self.summary = QLabel(self)
        self.summary.setObjectName("insightsSummary")
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.period)
        top.addWidget(self.dimension)
        top.addStretch(1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.volume_title)
        layout.addWidget(self.volume, 2)
        layout.addWidget(self.handle_title)
        layout.addWidget(self.handle, 1)
        layout.addWidget(self.knowledge_title)
        layout.addWidget(self.knowledge, 1)
        self.team = TeamConversation(self)
        layout.addWidget(self.team)
        self._loading = True
        for p in Period:
            self.period.addItem("", p.value)
        for d in (Dimension.TAG, Dimension.TOPIC, Dimension.DISPOSITION, Dimension.AGENT, Dimension.NONE):
            self.dimension.addItem("", d.value)
        self.period.setCurrentIndex(
            self.period.findData(Period.WEEK.value)
        )  # days are too noisy to start with
        self._loading = False
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.dimension.currentIndexChanged.connect(lambda _i: self.refresh())
        self.retranslate()

    def retranslate(self) -> None:
        names = {
            Period.DAY.value: self.tr("Per day"),
            Period.WEEK.value: self.tr("Per week"),
            Dimension.TAG.value: self.tr("By tag"),
            Dimension.TOPIC.value: self.tr("By topic"),
            Dimension.DISPOSITION.value: self.tr("By disposition"),
            Dimension.AGENT.value: self.tr("By agent"),
            Dimension.NONE.value: self.tr("All calls"),
        }
        self._loading = True
        for combo in (self.period, self.dimension):
            for i in range(combo.count()):
                combo.setItemText(i, names[str(combo.itemData(i))])
        self._loading = False
        self.export_button.setText(self.tr("Export CSV…"))
        self.handle_title.setText(self.tr("Average handle time by agent (minutes)"))
        self.knowledge_title.setText(
            self.tr("Knowledge entries: times an agent used the card, of the times it was shown")
        )
        self.volume_title.setText(self.tr("Calls per period (the breakdown is written beside each bar)"))
        self.team.retranslate()
        self.refresh()

    def refresh(self) -> None:
        """Recompute in a worker (a year of a team's calls takes about half a second), then redraw."""
        if self._loading:
            return
        self._generation += 1
        period, by = Period(self.period.currentData()), Dimension(self.dimension.currentData())
        path = self.store.path
        if path is None:  # an in-memory store cannot be opened from another thread
            self._show(self._generation, insights(self.store, period, by))
            self.updated.emit()
            return
        self.busy = True
        generation = self._generation
        self._background.in_thread(
            "insights",
            lambda: _count(path, period, by),
            lambda result: self._done(generation, result),
            lambda exc: self._done(generation, exc),
        )

    def _done(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return  # the user changed the choice meanwhile: a newer run is coming
        self.busy = False
        if isinstance(result, Insights):
            self._show(generation, result)
        else:
            self.summary.setText(self.tr("Could not compute the insights: {error}").format(error=result))
        self.updated.emit()

    def _show(self, _generation: int, data: Insights) -> None:
        self.data = data
        self.team.show_insights(data)
        none = self.tr("(none)")
        # One bar per period with its total; the breakdown by the chosen dimension is written beside it.
        periods: dict[str, dict[str, int]] = {}
        for v in data.volume:
            keys = periods.setdefault(v.period, {})
            keys[v.key or none] = keys.get(v.key or none, 0) + v.calls
        shown = list(periods.items())[-40:]
        self.volume.set_bars(
            [(period, float(sum(keys.values()))) for period, keys in shown],
            [
                ""
                if data.dimension is Dimension.NONE
                else " · ".join(f"{k} {n}" for k, n in sorted(keys.items(), key=lambda kv: (-kv[1], kv[0])))
                for _, keys in shown
            ],
        )
        self.knowledge.set_bars(
            [(k.title or k.entry_id, float(k.used)) for k in data.knowledge[:10]],
            [self.tr("of %1 shown").replace("%1", str(k.shown)) for k in data.knowledge[:10]],
        )
        self.handle.set_bars(
            [
                (
                    self.tr("(no agent)") if h.key == NO_AGENT else h.key or "-",
                    round(h.average_seconds / 60, 1),
                )
                for h in data.handle_time[1:]
            ]
        )
        overall = data.handle_time[0]
        f = data.frustration
        self.summary.setText(
            self.tr(
                "{calls} calls · average handle time {minutes:.1f} min · {share:.0%} with frustration cues"
            ).format(calls=overall.calls, minutes=overall.average_seconds / 60, share=f.share)
        )

    def export_csv(self, target: Path) -> None:
        if self.data is not None:
            write_insights_csv(self.data, target)

    def _choose_csv(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export insights"), "insights.csv", "CSV (*.csv)")
        if name:
            self.export_csv(Path(name))
