"""Who is calling and what the team already knows, so the customer never has to repeat themselves.

Drawn as rich text from a :class:`CustomerView`: identity, traits and preferences, tags, open follow-ups and
promises, what changed since the last contact, teammates' notes (pinned first, cautions marked in words), and
the last contacts with their summaries and who handled them.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from desktop.common.views import ChangeView, CustomerView, NoteView, join_tags


class CustomerContextPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerContext")
        self.view = QTextBrowser(self)
        self.view.setOpenExternalLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self._customer: CustomerView | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.view.setAccessibleName(self.tr("Customer context"))
        self._render()

    @property
    def customer(self) -> CustomerView | None:
        return self._customer

    def show_customer(self, customer: CustomerView | None) -> None:
        self._customer = customer
        self._render()

    def text(self) -> str:
        return self.view.toPlainText()

    def _render(self) -> None:
        c = self._customer
        if c is None:
            hint = self.tr("Start a call to see who is calling.")
            self.view.setHtml(f"<p><i>{escape(hint)}</i></p>")
            return
        parts: list[str] = []
        if c.is_new:
            title = self.tr("New caller")
            parts.append(f"<h2>{escape(title)}</h2>")
            if c.phone:
                parts.append(f"<p>{escape(c.phone)}</p>")
            hint = self.tr("No record for this number yet. Notes you take are saved for next time.")
            parts.append(f"<p><i>{escape(hint)}</i></p>")
            self.view.setHtml("".join(parts))
            return
        reading = f" <small>({escape(c.kana)})</small>" if c.kana else ""
        parts.append(f"<h2>{escape(c.name)}{reading}</h2>")
        line = " · ".join(escape(x) for x in (c.company, c.phone) if x)
        if line:
            parts.append(f"<p>{line}</p>")
        if c.tags:
            label = self.tr("Tags")
            parts.append(f"<p><b>{escape(label)}:</b> " + escape(join_tags(c.tags)) + "</p>")
        parts.append(self._section(self.tr("Traits and preferences"), [escape(t) for t in c.traits]))
        parts.append(
            self._section(self.tr("Open follow-ups and promises"), [escape(f) for f in c.follow_ups])
        )
        parts.append(
            self._section(
                self.tr("Changed since the last contact"), [self._change(x) for x in c.changes_since_last]
            )
        )
        notes = sorted(c.notes, key=lambda n: (not n.pinned, n.when), reverse=False)
        parts.append(self._section(self.tr("Team notes"), [self._note(n) for n in notes]))
        contacts = [
            f"<b>{escape(x.when)}</b> {escape(x.summary)}"
            + (f" <i>— {escape(x.agent)}</i>" if x.agent else "")
            for x in c.last_contacts
        ]
        parts.append(self._section(self.tr("Last contacts"), contacts))
        self.view.setHtml("".join(p for p in parts if p))

    def _section(self, title: str, rows: list[str]) -> str:
        if not rows:
            return ""
        items = "".join(f"<li>{row}</li>" for row in rows)
        return f"<h4>{escape(title)}</h4><ul>{items}</ul>"

    def _change(self, change: ChangeView) -> str:
        label = {
            "note_added": self.tr("New note"),
            "follow_up_added": self.tr("New follow-up"),
            "follow_up_closed": self.tr("Follow-up closed"),
            "profile_updated": self.tr("Profile updated"),
        }.get(change.kind, change.kind)
        when = f" <i>({escape(change.when)})</i>" if change.when else ""
        text = f": {escape(change.text)}" if change.text else ""
        return f"<b>{escape(label)}</b>{text}{when}"

    def _note(self, note: NoteView) -> str:
        marks = []
        if note.pinned:
            marks.append("★ " + escape(self.tr("pinned")))
        if note.kind == "caution":
            marks.append("⚠ " + escape(self.tr("caution")))
        elif note.kind == "next_action":
            marks.append("→ " + escape(self.tr("next action")))
        head = f"<b>[{' · '.join(marks)}]</b> " if marks else ""
        who = " — ".join(x for x in (note.author, note.when) if x)
        tail = f" <i>({escape(who)})</i>" if who else ""
        return f"{head}{escape(note.text)}{tail}"
