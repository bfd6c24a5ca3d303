"""Following one call: its live transcript, the whispers sent on it, and the composer.

The transcript is the supervisor's own view of the call (not the agent's): lines are selectable so a whisper
can be anchored to one, partial lines are marked provisional in words and italics and replaced in place by
their final (keyed by channel and segment id, so a late join's snapshot and the live stream merge without
duplicates). The whisper history shows each whisper's state in words: queued, sent, delivered, read, refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audio.events import EventKind
from desktop.supervisor.board_view import clock
from desktop.supervisor.templates import WhisperTemplate, WhisperTemplates
from sync.protocol import TranscriptLine as SpokenLine
from sync.protocol import Whisper

_KEY = Qt.ItemDataRole.UserRole
_SEGMENT = Qt.ItemDataRole.UserRole + 1
_TEMPLATE = Qt.ItemDataRole.UserRole + 2

STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    channel: str
    segment_id: str
    text: str
    final: bool
    start: float


@dataclass(frozen=True, slots=True)
class SentWhisper:
    """A whisper on the followed call as this console knows it."""

    whisper_id: str
    call_id: str
    text: str
    status: str  # queued | sent | delivered | read | refused
    sender: str = ""
    created_at: float = 0.0
    anchor_segment_id: str = ""
    attachment_title: str = ""
    problem: str = ""

    def advanced(self, status: str, created_at: float | None = None) -> SentWhisper:
        """Statuses only move forward: a late 'sent' never hides a 'read' that overtook it."""
        dated = self if created_at is None else replace(self, created_at=created_at)
        if self.status == "refused" or STATUS_RANK.get(status, -1) < STATUS_RANK.get(self.status, -1):
            return dated
        return replace(dated, status=status)

    @classmethod
    def from_server(cls, whisper: Whisper) -> SentWhisper:
        return cls(
            whisper_id=whisper.whisper_id,
            call_id=whisper.call_id or "",
            text=whisper.text,
            status=whisper.status.value,
            sender=whisper.sender,
            created_at=whisper.created_at or time.time(),
            anchor_segment_id=whisper.anchor_segment_id or "",
            attachment_title=whisper.attachment.title if whisper.attachment is not None else "",
        )


def speaker(channel: str) -> str:
    if channel == "agent":
        return QCoreApplication.translate("FollowedTranscript", "Agent")
    return QCoreApplication.translate("FollowedTranscript", "Customer")


class FollowedTranscript(QListWidget):
    """Signals:
    line_selected(str, str): the supervisor selected a line (segment id, its shown text), or ("", "") for
    none.
    """

    line_selected = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("followedTranscript")
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._rows: dict[str, QListWidgetItem] = {}
        self._lines: dict[str, TranscriptLine] = {}
        self.itemSelectionChanged.connect(self._selection_changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.setAccessibleName(self.tr("Transcript of the followed call"))
        for key, item in self._rows.items():
            self._render(item, self._lines[key])

    def show_event(self, event: SpokenLine) -> None:
        line = TranscriptLine(
            channel=event.channel.value,
            segment_id=event.segment_id,
            text=event.text.strip(),
            final=event.kind is EventKind.FINAL,
            start=event.start,
        )
        key = f"{line.channel}:{line.segment_id}"
        known = self._lines.get(key)
        if known is not None and known.final and not line.final:
            return  # a late partial never overwrites its final
        item = self._rows.get(key)
        if line.final and not line.text:
            if (
                item is not None
            ):  # not speech after all, or folded into the turn's first line by the second pass
                del self._rows[key], self._lines[key]
                self.takeItem(self.row(item))
            return
        if item is None:
            if not line.final and not line.text:
                return
            item = QListWidgetItem()
            item.setData(_KEY, key)
            item.setData(_SEGMENT, line.segment_id)
            self._rows[key] = item
            at_end = self.verticalScrollBar().value() >= self.verticalScrollBar().maximum() - 4
            self.addItem(item)
            if at_end and not self.selectedItems():
                self.scrollToBottom()
        self._lines[key] = line
        self._render(item, line)

    def clear_lines(self) -> None:
        self.clear()
        self._rows.clear()
        self._lines.clear()

    def lines(self) -> list[TranscriptLine]:
        return [self._lines[str(self.item(i).data(_KEY))] for i in range(self.count())]

    def select_segment(self, segment_id: str) -> bool:
        for index in range(self.count()):
            item = self.item(index)
            if item.data(_SEGMENT) == segment_id:
                self.setCurrentItem(item)
                return True
        return False

    def selected_segment(self) -> tuple[str, str]:
        items = self.selectedItems()
        if not items:
            return "", ""
        line = self._lines[str(items[0].data(_KEY))]
        return line.segment_id, f"{speaker(line.channel)}: {line.text}"

    def _render(self, item: QListWidgetItem, line: TranscriptLine) -> None:
        provisional = "" if line.final else " " + self.tr("(still being heard…)")
        item.setText(f"[{clock(line.start)}] {speaker(line.channel)}: {line.text}{provisional}")
        font = QFont(self.font())
        font.setItalic(not line.final)
        item.setFont(font)
        alignment = Qt.AlignmentFlag.AlignRight if line.channel == "agent" else Qt.AlignmentFlag.AlignLeft
        item.setTextAlignment(alignment | Qt.AlignmentFlag.AlignVCenter)

    def _selection_changed(self) -> None:
        self.line_selected.emit(*self.selected_segment())


class WhisperHistory(QListWidget):
    """The whispers of the followed call, oldest first, each with its state in words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("whisperHistory")
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._shown: list[SentWhisper] = []
        self.retranslate()

    def retranslate(self) -> None:
        self.setAccessibleName(self.tr("Whispers sent on this call"))
        self.show_whispers(self._shown)

    def show_whispers(self, whispers: list[SentWhisper]) -> None:
        self._shown = sorted(whispers, key=lambda w: w.created_at)
        self.clear()
        for whisper in self._shown:
            item = QListWidgetItem(self.describe(whisper))
            item.setData(_KEY, whisper.whisper_id)
            if whisper.status == "read":
                font = QFont(self.font())
                font.setBold(False)
                item.setFont(font)
            self.addItem(item)

    def status_of(self, whisper_id: str) -> str:
        return next((w.status for w in self._shown if w.whisper_id == whisper_id), "")

    def texts(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def describe(self, whisper: SentWhisper) -> str:
        state = {
            "queued": self.tr("queued (waiting for the server)"),
            "sent": self.tr("sent ✓"),
            "delivered": self.tr("delivered ✓✓"),
            "read": self.tr("read ✓✓"),
            "refused": self.tr("refused: %1").replace("%1", whisper.problem),
        }.get(whisper.status, whisper.status)
        when = time.strftime("%H:%M:%S", time.localtime(whisper.created_at)) if whisper.created_at else ""
        # In words, not an emoji a PC without an emoji font draws as a box.
        attachment = (
            " " + self.tr("[attached: %1]").replace("%1", whisper.attachment_title)
            if whisper.attachment_title
            else ""
        )
        anchor = " ⚓" if whisper.anchor_segment_id else ""
        sender = f" — {whisper.sender}" if whisper.sender else ""
        return f"[{when}] {whisper.text}{attachment}{anchor}{sender}  · {state}"


class WhisperComposer(QWidget):
    """Free text, the supervisor's quick templates, an optional anchor, and a knowledge entry to push.

    Signals:
        send_requested(str, str): text and anchor segment id ("" for none). Enter in the text field sends.
        knowledge_requested(str): the id of the knowledge entry to push to the agent.
        coming_requested(): the supervisor answers a raised hand: "I'm coming".
        templates_changed(): the supervisor added or removed a template (already saved).
        problem(str): a message for the status bar (already translated).
    """

    send_requested = Signal(str, str)
    coming_requested = Signal()
    knowledge_requested = Signal(str)
    templates_changed = Signal()
    problem = Signal(str)

    def __init__(self, templates: WhisperTemplates, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.templates = templates
        self._anchor_segment = ""
        self.template_list = QListWidget(self)
        self.template_list.setObjectName("whisperTemplates")
        self.template_list.setMaximumHeight(110)
        self.template_list.itemClicked.connect(self._use_template)
        self.template_list.itemActivated.connect(self._use_template)
        self.add_template_button = QPushButton(self)
        self.add_template_button.clicked.connect(self._add_template)
        self.remove_template_button = QPushButton(self)
        self.remove_template_button.clicked.connect(self._remove_template)
        self.text = QLineEdit(self)
        self.text.setObjectName("whisperText")
        self.text.setMaxLength(4000)
        self.text.returnPressed.connect(self._send)
        self.send_button = QPushButton(self)
        self.send_button.clicked.connect(self._send)
        self.anchor_box = QCheckBox(self)
        self.anchor_box.setEnabled(False)
        self.knowledge = QComboBox(self)
        self.knowledge.setObjectName("knowledgeEntries")
        self.knowledge.setEditable(False)
        self.knowledge_button = QPushButton(self)
        self.knowledge_button.clicked.connect(self._push_knowledge)
        self._knowledge_known = False
        # The answer to a raised hand that needs no typing: the agent is told a supervisor is on the way.
        self.coming_button = QPushButton(self)
        self.coming_button.setObjectName("comingButton")
        self.coming_button.clicked.connect(self.coming_requested)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)

        template_buttons = QHBoxLayout()
        template_buttons.addWidget(self.add_template_button)
        template_buttons.addWidget(self.remove_template_button)
        template_buttons.addStretch(1)
        send_row = QHBoxLayout()
        send_row.addWidget(self.text, 1)
        send_row.addWidget(self.send_button)
        send_row.addWidget(self.coming_button)
        knowledge_row = QHBoxLayout()
        knowledge_row.addWidget(self.knowledge, 1)
        knowledge_row.addWidget(self.knowledge_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.template_list)
        layout.addLayout(template_buttons)
        layout.addWidget(self.anchor_box)
        layout.addLayout(send_row)
        layout.addLayout(knowledge_row)
        self._anchor_text = ""
        self._enabled_for: str = ""
        self.retranslate()
        self.show_templates()
        self.set_target("")

    def retranslate(self) -> None:
        self.template_list.setAccessibleName(self.tr("Quick whisper templates"))
        self.add_template_button.setText(self.tr("Save as template"))
        self.add_template_button.setToolTip(
            self.tr("Keep the text above as a quick template (Japanese or English)")
        )
        self.remove_template_button.setText(self.tr("Remove template"))
        self.text.setAccessibleName(self.tr("Whisper text"))
        self.text.setPlaceholderText(self.tr("Advice for the agent — Enter sends"))
        self.send_button.setText(self.tr("Whisper"))
        self.knowledge.setAccessibleName(self.tr("Knowledge entry to send"))
        self.knowledge_button.setText(self.tr("Send entry to agent"))
        self.knowledge.setPlaceholderText(self.tr("The team has shared no knowledge entries yet"))
        self.coming_button.setText(self.tr("I'm coming"))
        self.coming_button.setToolTip(self.tr("Tell the agent you are on your way to help (Ctrl+K)"))
        self.coming_button.setAccessibleName(self.tr("Tell the agent you are coming to help"))
        self._render_anchor()
        self._render_hint()

    # -- targets and anchors -------------------------------------------------------------------------------

    def set_target(self, agent: str) -> None:
        """Whispers go to ``agent`` (the followed call's agent); an empty name disables sending."""
        self._enabled_for = agent
        for widget in (self.text, self.send_button, self.coming_button):
            widget.setEnabled(bool(agent))
        self.knowledge.setEnabled(bool(agent) and self._knowledge_known)
        self.knowledge_button.setEnabled(bool(agent) and self._knowledge_known)
        self._render_hint()

    def set_anchor(self, segment_id: str, shown: str) -> None:
        self._anchor_segment = segment_id
        self._anchor_text = shown
        self.anchor_box.setEnabled(bool(segment_id))
        self.anchor_box.setChecked(bool(segment_id))
        self._render_anchor()

    def anchor(self) -> str:
        return self._anchor_segment if self.anchor_box.isChecked() else ""

    def _render_anchor(self) -> None:
        if self._anchor_segment:
            shown = self._anchor_text if len(self._anchor_text) <= 60 else self._anchor_text[:59] + "…"
            self.anchor_box.setText(self.tr("Anchor to the selected line: %1").replace("%1", shown))
        else:
            self.anchor_box.setText(self.tr("Anchor to a line (select one in the transcript)"))

    def _render_hint(self) -> None:
        if self._enabled_for:
            self.hint.setText(
                self.tr("Whispering to %1 — only the agent sees it.").replace("%1", self._enabled_for)
            )
        else:
            self.hint.setText(self.tr("Follow a call to whisper to its agent."))

    # -- templates -----------------------------------------------------------------------------------------

    def show_templates(self) -> None:
        self.template_list.clear()
        for template in self.templates.items():
            item = QListWidgetItem(f"[{template.language}] {template.text}")
            item.setData(_TEMPLATE, (template.language, template.text))
            item.setToolTip(self.tr("Click to put it in the text field; Enter sends"))
            self.template_list.addItem(item)

    def _use_template(self, item: QListWidgetItem) -> None:
        _language, text = item.data(_TEMPLATE)
        self.text.setText(str(text))
        self.text.setFocus()

    def _add_template(self) -> None:
        text = self.text.text().strip()
        if not text:
            self.problem.emit(self.tr("Type the template text in the whisper field first."))
            return
        language = (
            "ja" if any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
        )
        try:
            self.templates.add(language, text)
            self.templates.save()
        except (ValueError, OSError) as exc:
            self.problem.emit(self.tr("Template not saved: %1").replace("%1", str(exc)))
            return
        self.show_templates()
        self.templates_changed.emit()

    def _remove_template(self) -> None:
        item = self.template_list.currentItem()
        if item is None:
            self.problem.emit(self.tr("Select a template to remove."))
            return
        language, text = item.data(_TEMPLATE)
        self.templates.remove(WhisperTemplate(str(language), str(text)))
        try:
            self.templates.save()
        except OSError as exc:
            self.problem.emit(self.tr("Templates not saved: %1").replace("%1", str(exc)))
        self.show_templates()
        self.templates_changed.emit()

    # -- knowledge -----------------------------------------------------------------------------------------

    def show_knowledge(self, entries: list[tuple[str, str]]) -> None:
        """(entry id, title) pairs, keeping the current choice when it is still offered. With none, the box
        says why it is empty and the send button is off, instead of a button that does nothing."""
        current = self.knowledge.currentData()
        self.knowledge.clear()
        for entry_id, title in entries:
            self.knowledge.addItem(title, entry_id)
        index = self.knowledge.findData(current)
        # With a placeholder set, a filled box does not pick its first entry by itself.
        self.knowledge.setCurrentIndex(index if index >= 0 else (0 if entries else -1))
        self._knowledge_known = bool(entries)
        self.set_target(self._enabled_for)

    def _push_knowledge(self) -> None:
        entry_id = self.knowledge.currentData()
        if not entry_id:
            self.problem.emit(self.tr("No knowledge entry to send: the team has none shared yet."))
            return
        self.knowledge_requested.emit(str(entry_id))

    # -- sending -------------------------------------------------------------------------------------------

    def _send(self) -> None:
        text = self.text.text().strip()
        if not self._enabled_for:
            self.problem.emit(self.tr("Follow a call to whisper to its agent."))
            return
        if not text:
            return
        self.send_requested.emit(text, self.anchor())
        self.text.clear()
