"""The team board as the supervisor sees it: one row per live call, the calls that need them on top.

A call that needs attention is bold, tinted, and says why in words in its own column ("Strong frustration",
"Silent for 0:45", "Long call"), so the signal never rests on colour. A call whose agent raised a hand comes
first of all, marked "⚑ Hand raised" with the agent's reason. Every column header and cell has a tooltip with
its whole text, and columns are fitted to what they say, so nothing is cut to "⚠…". Next to it, the agents who
are online, the idle ones first.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop.common.appearance import TINTS
from desktop.supervisor.board import Attention, Frustration, LiveCall, TeamBoard, TeamMember

CALL_ID = Qt.ItemDataRole.UserRole
ATTENTION = Qt.ItemDataRole.UserRole + 1

_ATTENTION_TINT = QColor(*TINTS["attention"][0])


def quote_words(words: tuple[str, ...]) -> str:
    """Quote what a customer said the way its language does: 「請求」、「二重」 or “charged”, “twice”."""
    japanese = [any(ord(ch) > 0x2E80 for ch in w) for w in words]
    quoted = [f"「{w}」" if ja else f"“{w}”" for w, ja in zip(words, japanese, strict=True)]
    return ("、" if japanese and all(japanese) else ", ").join(quoted)


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60}:{rest % 60:02d}"


class BoardTable(QTableWidget):
    """Signals:
    follow_requested(str): the supervisor chose a call to follow (double-click or Enter on its row).
    """

    follow_requested = Signal(str)
    # Why a call needs attention comes first: on a narrow window it is the column that must stay visible.
    KEYS = ("attention", "agent", "customer", "duration", "frustration", "last_whisper", "last_line")
    COLUMNS = len(KEYS)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, self.COLUMNS, parent)
        self.setObjectName("teamBoard")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Long reasons wrap inside their (capped) column instead of being cut to "⚠…" or widening the board.
        self.setWordWrap(True)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        # Fitted when rows come and go, not on every change: measuring every cell each second is costly.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(self.KEYS.index("last_line"), QHeaderView.ResizeMode.Stretch)
        self.cellDoubleClicked.connect(lambda row, _col: self._follow_row(row))
        self._drawn_following: str | None = None
        self._widths_for: tuple[str, ...] = ()
        self.retranslate()

    def retranslate(self) -> None:
        self.setAccessibleName(self.tr("Live calls of the team"))
        headers = (
            (self.tr("Needs attention"),
             self.tr("Why this call needs you: a raised hand, strong frustration, a long silence "
                     "or a long call")),
            (self.tr("Agent"), self.tr("The agent on the call (▶: the call you follow)")),
            (self.tr("Customer"), self.tr("Who is calling, as the agent's app knows them")),
            (self.tr("Duration"), self.tr("How long the call has run")),
            (self.tr("Frustration"), self.tr("How upset the customer sounds, with the words that show it")),
            (self.tr("Last whisper"), self.tr("Time since a supervisor last whispered on this call")),
            (self.tr("Last line"), self.tr("The last thing said on the call")),
        )  # fmt: skip
        for col, (title, tip) in enumerate(headers):
            item = self.horizontalHeaderItem(col) or QTableWidgetItem()
            item.setText(title)
            item.setToolTip(tip)
            self.setHorizontalHeaderItem(col, item)
        self._widths_for = ()  # texts change with the language: fit the columns again

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._follow_row(self.currentRow())
            return
        super().keyPressEvent(event)

    def selected_call_id(self) -> str | None:
        row = self.currentRow()
        item = self.item(row, 0) if row >= 0 else None
        return None if item is None else str(item.data(CALL_ID))

    def call_ids(self) -> list[str]:
        return [str(self._cell(row, 0).data(CALL_ID)) for row in range(self.rowCount())]

    def row_texts(self, call_id: str) -> dict[str, str]:
        """What the call's row says, by column key (see KEYS); empty when the call is not on the board."""
        for row in range(self.rowCount()):
            if self._cell(row, 0).data(CALL_ID) == call_id:
                return {key: self._cell(row, col).text() for col, key in enumerate(self.KEYS)}
        return {}

    def row_attention(self, call_id: str) -> tuple[Attention, ...]:
        for row in range(self.rowCount()):
            if self._cell(row, 0).data(CALL_ID) == call_id:
                return tuple(Attention(r) for r in self._cell(row, 0).data(ATTENTION) or ())
        return ()

    def _cell(self, row: int, col: int) -> QTableWidgetItem:
        item = self.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            self.setItem(row, col, item)
        return item

    def render(self, board: TeamBoard, following: str | None, now: float | None = None) -> None:  # type: ignore[override]
        """Draw the board; only cells whose text or state changed are touched (a busy team redraws often)."""
        now = board.clock() if now is None else now
        selected = self.selected_call_id()
        calls = board.calls(now)
        shape_changed = [c.call_id for c in calls] != self.call_ids() or following != self._drawn_following
        fitted: list[str] = []
        self._drawn_following = following
        self.setRowCount(len(calls))
        for row, call in enumerate(calls):
            reasons = board.attention(call, now)
            cells = [
                self._attention(call, reasons, now),
                ("▶ " if call.call_id == following else "") + call.agent,
                call.customer_name or self.tr("Unknown caller"),
                clock(call.duration(now)),
                self._frustration(call),
                self._since_whisper(call, now),
                self._last_line(call),
            ]
            restyle = self._cell(row, 0).data(CALL_ID) != call.call_id or list(
                self._cell(row, 0).data(ATTENTION) or ()
            ) != list(reasons)
            for col, text in enumerate(cells):
                item = self._cell(row, col)
                if item.text() != text:
                    item.setText(text)
                    item.setToolTip(text)
                if col in self._FITTED:
                    fitted.append(text)
                if restyle:
                    item.setData(CALL_ID, call.call_id)
                    item.setData(ATTENTION, [r.value for r in reasons])
                    font = QFont(self.font())
                    font.setBold(bool(reasons))
                    item.setFont(font)
                    item.setBackground(QBrush(_ATTENTION_TINT) if reasons else QBrush())
            if call.call_id == selected and self.currentRow() != row:
                self.selectRow(row)
        # Fitted when rows come and go or a fitted column's words change (not for clocks ticking each second).
        if shape_changed or tuple(fitted) != self._widths_for:
            self._widths_for = tuple(fitted)
            for col in self._FITTED:
                self.resizeColumnToContents(col)
                self.setColumnWidth(col, min(self.columnWidth(col), self._MAX_WIDTH))
            self.resizeRowsToContents()

    # Columns sized to their words; "duration" and "last whisper" keep their first width, "last line"
    # stretches.
    _FITTED = (0, 1, 2, 4)
    _MAX_WIDTH = 240

    def _follow_row(self, row: int) -> None:
        item = self.item(row, 0) if row >= 0 else None
        if item is not None:
            self.follow_requested.emit(str(item.data(CALL_ID)))

    def _last_line(self, call: LiveCall) -> str:
        if not call.last_line:
            return self.tr("(nothing said yet)")
        who = {"agent": self.tr("Agent"), "customer": self.tr("Customer")}.get(call.last_line_speaker, "")
        return f"{who}: {call.last_line}" if who else call.last_line

    def _frustration(self, call: LiveCall) -> str:
        if call.frustration is Frustration.NONE:
            return self.tr("calm")
        level = self.tr("strong") if call.frustration is Frustration.STRONG else self.tr("some")
        return f"{level} {quote_words(call.frustration_words[-2:])}".strip()

    def _since_whisper(self, call: LiveCall, now: float) -> str:
        if call.last_whisper_at is None:
            return self.tr("none yet")
        return self.tr("%1 ago").replace("%1", clock(now - call.last_whisper_at))

    def _attention(self, call: LiveCall, reasons: tuple[Attention, ...], now: float) -> str:
        words = []
        hand = ""
        for reason in reasons:
            if reason is Attention.HAND_RAISED and call.hand is not None:
                reason_text = call.hand.reason
                hand = self.tr("⚑ Hand raised")
                if reason_text:
                    hand += ": " + quote_words((reason_text,))
                if call.hand_answered:
                    hand += " " + self.tr("(answered)")
            elif reason is Attention.STRONG_FRUSTRATION:
                words.append(self.tr("Strong frustration"))
            elif reason is Attention.LONG_SILENCE:
                words.append(self.tr("Silent for %1").replace("%1", clock(call.silence(now))))
            elif reason is Attention.LONG_CALL:
                words.append(self.tr("Long call"))
            elif reason is Attention.NEEDS_MOMENT:
                words.append(self.tr("Agent needs a moment after this call"))
        rest = ("⚠ " + "; ".join(words)) if words else ""
        return " · ".join(part for part in (hand, rest) if part)


class AgentsList(QListWidget):
    """The team's agents who are online; idle ones first, each saying in words whether they are on a call."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teamAgents")
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.retranslate()

    def retranslate(self) -> None:
        self.setAccessibleName(self.tr("Agents online"))

    def render(self, members: list[TeamMember], now: float | None = None) -> None:  # type: ignore[override]
        now = time.time() if now is None else now
        rows: list[tuple[str, str]] = []
        for member in members:
            if member.idle:
                template = self.tr("%1 — idle (online %2)")
                since = member.online_since or now
            else:
                template = self.tr("%1 — on a call (%2)")
                since = member.call_since or now
            rows.append((member.name, template.replace("%1", member.name).replace("%2", clock(now - since))))
        if not rows:
            rows.append(("", self.tr("No agent online")))
        if [
            (str(self.item(i).data(CALL_ID) or ""), self.item(i).text()) for i in range(self.count())
        ] == rows:
            return
        self.clear()
        for name, text in rows:
            item = QListWidgetItem(text)
            item.setData(CALL_ID, name)
            self.addItem(item)

    def names(self) -> list[str]:
        return [str(self.item(i).data(CALL_ID)) for i in range(self.count()) if self.item(i).data(CALL_ID)]
