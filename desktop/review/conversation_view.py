"""The call's conversation on the call detail: its dynamics (talk:listen, overlaps, silences, speech rate
...), the self-review scorecard, and the proposed wrap-up line by line, each line leading to the transcript
lines it came from (assist.dynamics, assist.scorecard, assist.wrapup)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from assist.dynamics import CallDynamics, load_dynamics
from assist.insights import Insights
from assist.scorecard import Scorecard, load_scorecard
from assist.store import Store
from assist.wrapup import StructuredWrapUp, load_structured

_SOURCES = Qt.ItemDataRole.UserRole


class ConversationPanel(QWidget):
    """Signals:
    line_chosen(str): the reviewer chose a wrap-up or scorecard line; the segment id of its first source line.
    """

    line_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationPanel")
        self.title = QLabel(self)
        self.dynamics = QLabel(self)
        self.dynamics.setObjectName("callDynamics")
        self.dynamics.setWordWrap(True)
        self.lines = QListWidget(self)
        self.lines.setObjectName("conversationLines")
        self.lines.setWordWrap(True)
        self.lines.itemActivated.connect(self._chosen)
        self.lines.itemClicked.connect(self._chosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.dynamics)
        layout.addWidget(self.lines, 1)
        self._figures: CallDynamics | None = None
        self._card: Scorecard | None = None
        self._wrap: StructuredWrapUp | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Conversation and self-review"))
        self.lines.setAccessibleName(
            self.tr("Wrap-up lines and scorecard; choose one to see its transcript lines")
        )
        self._render()

    def show_call(self, store: Store, call_id: str) -> None:
        self._figures = load_dynamics(store, call_id)
        self._card = load_scorecard(store, call_id)
        self._wrap = load_structured(store, call_id)
        self._render()

    def clear(self) -> None:
        self._figures = self._card = self._wrap = None
        self._render()

    def _render(self) -> None:
        self.dynamics.setText(self._dynamics_text())
        self.lines.clear()
        card = self._card
        if card is not None:
            self._add(self._card_lines(card))
        wrap = self._wrap
        if wrap is not None:
            sections = {
                "issue": self.tr("Issue"),
                "fact": self.tr("Fact"),
                "action": self.tr("Done"),
                "advice": self.tr("Supervisor's advice"),
                "promise": self.tr("Follow-up"),
            }
            self._add([(f"{sections[kind]}: {line.text}", list(line.sources)) for kind, line in wrap.lines()])

    def _add(self, rows: list[tuple[str, list[str]]]) -> None:
        for text, sources in rows:
            item = QListWidgetItem(text)
            segments = [s for s in sources if ":" not in s]
            item.setData(_SOURCES, segments)
            if segments:
                item.setToolTip(self.tr("From %1 transcript line(s)").replace("%1", str(len(segments))))
            self.lines.addItem(item)

    def _dynamics_text(self) -> str:
        d = self._figures
        if d is None:
            return self.tr("No conversation figures for this call.")
        rate = (
            self.tr("%1 morae/s").replace("%1", f"{d.agent_rate:.1f}")
            if d.rate_unit == "morae/s"
            else self.tr("%1 words/min").replace("%1", f"{d.agent_rate:.0f}")
        )
        return (
            self.tr("Talk:listen %1:%2 · overlaps %3 · silences %4 (%5 s) · longest monologue %6 s · pace %7")
            .replace("%1", f"{round(d.agent_share * 100)}")
            .replace("%2", f"{100 - round(d.agent_share * 100)}")
            .replace("%3", str(len(d.overlaps)))
            .replace("%4", str(len(d.silences)))
            .replace("%5", f"{d.dead_air:.0f}")
            .replace("%6", f"{d.agent_longest_monologue:.0f}")
            .replace("%7", rate)
        )

    def _card_lines(self, card: Scorecard) -> list[tuple[str, list[str]]]:
        def mark(done: bool) -> str:
            return "✓" if done else "–"

        rows = [
            (
                f"{mark(card.upset_answered == card.upset_moments)} "
                + self.tr("Empathy: %1 phrase(s); %2 of %3 upset moments answered")
                .replace("%1", str(card.empathy_phrases))
                .replace("%2", str(card.upset_answered))
                .replace("%3", str(card.upset_moments)),
                card.sources.get("empathy", []),
            ),
            (
                f"{mark(card.summary_back)} "
                + (self.tr("Summarised the issue back") if card.summary_back else self.tr("No summary back")),
                card.sources.get("summary_back", []),
            ),
            (
                f"{mark(card.promises_logged == card.promises)} "
                + self.tr("Promises logged: %1 of %2")
                .replace("%1", str(card.promises_logged))
                .replace("%2", str(card.promises)),
                card.sources.get("promises", []),
            ),
        ]
        if card.whispers:
            rows.append(
                (
                    f"{mark(card.whispers_followed == card.whispers)} "
                    + self.tr("Supervisor's advice taken up: %1 of %2")
                    .replace("%1", str(card.whispers_followed))
                    .replace("%2", str(card.whispers)),
                    card.sources.get("advice_followed", []),
                )
            )
        rows.append(
            (
                f"{mark(card.thanked)} "
                + (
                    self.tr("Thanked the customer at the end")
                    if card.thanked
                    else self.tr("No thanks at the end")
                ),
                card.sources.get("thanked", []),
            )
        )
        return rows

    def _chosen(self, item: QListWidgetItem) -> None:
        sources = item.data(_SOURCES) or []
        if sources:
            self.line_chosen.emit(str(sources[0]))


class TeamConversation(QWidget):
    """Insights' conversation part: each agent's averages (talk share, overlaps, silences, monologue, pace)
    and the team's self-review trends per period."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self)
        self.agents = QLabel(self)
        self.agents.setObjectName("agentDynamics")
        self.agents.setTextFormat(Qt.TextFormat.RichText)
        self.trends = QLabel(self)
        self.trends.setObjectName("reviewTrends")
        self.trends.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.agents)
        layout.addWidget(self.trends)
        self._data: Insights | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Conversations and self-review"))
        if self._data is not None:
            self.show_insights(self._data)

    def show_insights(self, data: Insights) -> None:
        self._data = data

        def table(head: list[str], rows: list[list[str]]) -> str:
            cells = "".join(f"<th>{escape(h)}</th>" for h in head)
            body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
            return f"<table cellspacing='6'><tr>{cells}</tr>{body}</table>"

        everyone = self.tr("Everyone")
        self.agents.setText(
            table(
                [
                    self.tr("Agent"),
                    self.tr("Calls"),
                    self.tr("Talk share"),
                    self.tr("Overlaps a call"),
                    self.tr("Silences a call"),
                    self.tr("Longest monologue"),
                    self.tr("Pace"),
                ],
                [
                    [
                        d.agent or everyone,
                        str(d.calls),
                        f"{d.agent_share:.0%}",
                        f"{d.overlaps_per_call:.1f}",
                        f"{d.silences_per_call:.1f}",
                        f"{d.longest_monologue_seconds:.0f} s",
                        f"{d.agent_rate:.1f} {d.rate_unit}",
                    ]
                    for d in data.dynamics
                ],
            )
            if data.dynamics
            else self.tr("No measured calls yet.")
        )
        self.trends.setText(
            table(
                [
                    self.tr("Period"),
                    self.tr("Calls"),
                    self.tr("Summary back"),
                    self.tr("Empathy answered"),
                    self.tr("Advice followed"),
                    self.tr("Promises logged"),
                    self.tr("Thanked"),
                ],
                [
                    [
                        r.period,
                        str(r.calls),
                        f"{r.summary_back:.0%}",
                        f"{r.empathy_answered:.0%}",
                        f"{r.advice_followed:.0%}",
                        f"{r.promises_logged:.0%}",
                        f"{r.thanked:.0%}",
                    ]
                    for r in data.review[-8:]
                ],
            )
            if data.review
            else ""
        )
