"""The supervisor's composer for the followed call: free text, quick templates, an optional anchor line, and a
knowledge entry to push (split from desktop.supervisor.follow_view)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
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

from desktop.supervisor.templates import WhisperTemplate, WhisperTemplates

_TEMPLATE = Qt.ItemDataRole.UserRole + 2


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
