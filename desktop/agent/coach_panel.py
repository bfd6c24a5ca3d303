"""Coaching during the call, quietly: one line with the conversation so far (the agent's share of the talking,
their pace, overlaps and silences) and the latest hints, each with its reason and the words the agent may use.
Hints never block the view; a newer one replaces the oldest, and the agent can close them."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.common.views import CoachingView, HintView

MAX_HINTS = 2


class CoachPanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("coachPanel")
        self.figures = QLabel(self)
        self.figures.setObjectName("liveFigures")
        self.hints_label = QLabel(self)
        self.hints_label.setObjectName("coachHints")
        self.hints_label.setWordWrap(True)
        self.close_button = QPushButton("×", self)
        self.close_button.setFlat(True)
        self.close_button.clicked.connect(self.clear_hints)
        row = QHBoxLayout()
        row.addWidget(self.hints_label, 1)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.addWidget(self.figures)
        layout.addLayout(row)
        self.hints: list[HintView] = []
        self.coaching: CoachingView | None = None
        self.retranslate()
        self.clear()

    def retranslate(self) -> None:
        self.close_button.setAccessibleName(self.tr("Close the coaching hints"))
        self.setAccessibleName(self.tr("Coaching"))
        self._render()

    def _kind(self, kind: str) -> str:
        return {
            "pace": self.tr("Pace"),
            "jargon": self.tr("Plain words"),
            "expectation": self.tr("Realistic promise"),
            "backtrack": self.tr("Sum it up"),
            "dead_air": self.tr("Silence"),
            "pause": self.tr("Take a moment"),
        }.get(kind, kind)

    def show_coaching(self, coaching: CoachingView) -> None:
        self.coaching = coaching
        if coaching.hints:
            self.hints = [*self.hints, *coaching.hints][-MAX_HINTS:]
        self._render()

    def clear_hints(self) -> None:
        self.hints = []
        self._render()

    def clear(self) -> None:
        self.coaching = None
        self.clear_hints()

    def _render(self) -> None:
        c = self.coaching
        if c is None or not c.rate_unit:
            self.figures.clear()
        else:
            pace = (
                self.tr("%1 morae/s").replace("%1", f"{c.rate:.1f}")
                if c.rate_unit == "morae/s"
                else self.tr("%1 words/min").replace("%1", f"{c.rate:.0f}")
            )
            share = round(c.agent_share * 100)
            self.figures.setText(
                self.tr("You %1% · customer %2% · pace %3 · overlaps %4 · silences %5")
                .replace("%1", str(share))
                .replace("%2", str(100 - share))
                .replace("%3", pace)
                .replace("%4", str(c.overlaps))
                .replace("%5", str(c.silences))
            )
        rows = [
            f"<b>{escape(self._kind(h.kind))}</b>: {escape(h.reason)}"
            + (f"<br>→ {escape(h.say)}" if h.say else "")
            for h in self.hints
        ]
        self.hints_label.setText("<br>".join(rows))
        self.hints_label.setVisible(bool(rows))
        self.close_button.setVisible(bool(rows))


class CoachingSettings(QWidget):
    """One switch per kind of coaching hint (the settings' Coaching tab)."""

    KINDS = ("pace", "jargon", "expectation", "backtrack", "dead_air", "pause")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.switches = {kind: QCheckBox(self) for kind in self.KINDS}
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        for box in self.switches.values():
            box.setChecked(True)
            layout.addWidget(box)
        layout.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.note.setText(
            self.tr("Hints during the call, each with its reason. Switch off the ones you do not want.")
        )
        texts = {
            "pace": self.tr("Pace: I speak fast for the customer"),
            "jargon": self.tr("Plain words: I use a technical term with a non-technical customer"),
            "expectation": self.tr("Realistic promises: I promise absolutely (必ず, \u201cdefinitely\u201d)"),
            "backtrack": self.tr("Sum it up: after the customer describes a problem at length"),
            "dead_air": self.tr("Silence: nobody has spoken for a while"),
            "pause": self.tr(
                "Take a moment after a hard call (the team sees only \u201cneeds a moment\u201d)"
            ),
        }
        for kind, box in self.switches.items():
            box.setText(texts[kind])

    def set_off(self, off: str) -> None:
        switched_off = {k.strip() for k in off.split(",")}
        for kind, box in self.switches.items():
            box.setChecked(kind not in switched_off)

    def off(self) -> str:
        """The kinds switched off, comma separated (as Preferences keeps them)."""
        return ",".join(kind for kind, box in self.switches.items() if not box.isChecked())
