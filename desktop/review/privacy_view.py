"""Privacy and retention on screen: how long recordings and transcripts are kept (saved in the store, applied
now and then daily), and one customer's data handed over as an archive or erased on request.

Erasure cannot be undone, so it needs the customer id typed and a confirmation naming what will go; the
archive is offered first. The daily retention run goes to the thread that owns the store (the desk worker in
the app): deleting a year of recordings must not freeze the window, and the store keeps a single writer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assist.customers import lookup_caller
from assist.domain import Customer
from assist.exports import ExportError, export_customer_archive
from assist.privacy import ErasureError, ErasureReport, erase_customer
from assist.retention import (
    RetentionPolicy,
    RetentionReport,
    TranscriptRetention,
    apply_retention,
    load_policy,
    save_policy,
)
from assist.store import Store
from desktop.common.background import Background, RunOnStore, StoreWrites
from sync.team_erasure import ServerStep, TeamErasureOutcome

TeamEraser = Callable[[str, tuple[str, ...]], TeamErasureOutcome]
"""Erases a customer (id, call ids) from the sync client files and the team server; blocks (a worker thread
runs it). The app's: :func:`desktop.common.team_erasure.erase_on_team` with the app's server settings."""


class PrivacyPanel(QWidget):
    """Signals:
    customer_erased(str): everything about this customer id was erased (lists and open calls must drop it).
    retention_applied(RetentionReport): the policy was saved and applied (save_and_apply, store's thread).
    """

    customer_erased = Signal(str)
    retention_applied = Signal(object)

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        recordings_root: Path | None = None,
        confirm: Callable[[str], bool] | None = None,
        team_eraser: TeamEraser | None = None,
        run_on_store: RunOnStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store  # read here; the policy is saved and applied on the store's thread
        self._team_eraser = team_eraser or _app_team_eraser
        self._background = Background(self)
        self._write = StoreWrites(self._background, store, self._write_failed, run_on_store, "privacy-store")
        self.team_outcome: TeamErasureOutcome | BaseException | None = None  # the last team step's
        self.recordings_root = recordings_root
        self._confirm = confirm or self._ask
        self.retention_box = QGroupBox(self)
        self.keep_recordings = QCheckBox(self)
        self.recording_days = QSpinBox(self)
        self.recording_days.setRange(0, 3650)
        self.transcripts = QComboBox(self)
        for value in TranscriptRetention:
            self.transcripts.addItem("", value.value)
        self.transcript_days = QSpinBox(self)
        self.transcript_days.setRange(0, 3650)
        self.save_button = QPushButton(self)
        self.save_button.clicked.connect(self.save_and_apply)
        self.retention_form = QFormLayout(self.retention_box)
        self.retention_labels = [QLabel(self) for _ in range(3)]
        self.retention_form.addRow(self.retention_labels[0], _row(self.keep_recordings, self.recording_days))
        self.retention_form.addRow(self.retention_labels[1], self.transcripts)
        self.retention_form.addRow(self.retention_labels[2], self.transcript_days)
        self.retention_form.addRow(self.save_button)

        self.customer_box = QGroupBox(self)
        # Found by what the requester gives (a name or a phone number), chosen from a list that shows whom it
        # is: a destructive action is never aimed by typing an internal id.
        self.customer_query = QLineEdit(self)
        self.customer_query.returnPressed.connect(self.find_customers)
        self.find_button = QPushButton(self)
        self.find_button.clicked.connect(self.find_customers)
        self.matches = QListWidget(self)
        self.matches.setObjectName("customerMatches")
        self.matches.setMaximumHeight(120)
        self.matches.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.archive_button = QPushButton(self)
        self.archive_button.clicked.connect(self._choose_archive)
        self.erase_button = QPushButton(self)
        self.erase_button.setObjectName("eraseCustomer")
        self.erase_button.clicked.connect(self.erase)
        customer_layout = QVBoxLayout(self.customer_box)
        customer_layout.addWidget(_row(self.customer_query, self.find_button))
        customer_layout.addWidget(self.matches)
        customer_layout.addWidget(_row(self.archive_button, self.erase_button))
        self.message = QLabel(self)
        self.message.setObjectName("privacyMessage")
        self.message.setWordWrap(True)
        # What happened beyond this PC: the team server's copy (erased, pending, refused), said apart from the
        # local result because it comes later (the server may take seconds to answer, or never).
        self.team_message = QLabel(self)
        self.team_message.setObjectName("privacyTeamMessage")
        self.team_message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.retention_box)
        layout.addWidget(self.customer_box)
        layout.addWidget(self.message)
        layout.addWidget(self.team_message)
        layout.addStretch(1)
        self.retranslate()
        self.load()
        self._update_buttons()

    def retranslate(self) -> None:
        self.retention_box.setTitle(self.tr("Retention"))
        self.keep_recordings.setText(self.tr("Delete recordings after (days)"))
        for label, text in zip(
            self.retention_labels,
            (
                self.tr("Recordings"),
                self.tr("Old transcripts"),
                self.tr("Transcripts count as old after (days)"),
            ),
            strict=True,
        ):
            label.setText(text)
        names = {
            TranscriptRetention.KEEP.value: self.tr("Keep"),
            TranscriptRetention.REDACT.value: self.tr("Redact personal details"),
            TranscriptRetention.DELETE.value: self.tr("Delete"),
        }
        for i in range(self.transcripts.count()):
            self.transcripts.setItemText(i, names[str(self.transcripts.itemData(i))])
        self.save_button.setText(self.tr("Save and apply now"))
        self.customer_box.setTitle(self.tr("One customer's data (personal-information requests)"))
        self.customer_query.setPlaceholderText(self.tr("Customer name or phone number"))
        self.customer_query.setAccessibleName(self.tr("Find the customer by name or phone number"))
        self.find_button.setText(self.tr("Find"))
        self.matches.setAccessibleName(self.tr("Customers found: choose one"))
        self.archive_button.setText(self.tr("Export archive…"))
        self.erase_button.setText(self.tr("Erase everything about this customer…"))

    def load(self) -> None:
        policy = load_policy(self.store)
        self.keep_recordings.setChecked(policy.recording_days is not None)
        self.recording_days.setValue(policy.recording_days if policy.recording_days is not None else 90)
        self.transcripts.setCurrentIndex(self.transcripts.findData(policy.transcripts.value))
        self.transcript_days.setValue(policy.transcript_days if policy.transcript_days is not None else 365)

    def policy(self) -> RetentionPolicy:
        transcripts = TranscriptRetention(self.transcripts.currentData())
        return RetentionPolicy(
            recording_days=self.recording_days.value() if self.keep_recordings.isChecked() else None,
            transcripts=transcripts,
            transcript_days=None if transcripts is TranscriptRetention.KEEP else self.transcript_days.value(),
        )

    def save_and_apply(self) -> None:
        """Save the policy and apply it now, off the UI thread (a year of recordings takes a while)."""
        policy, root = self.policy(), self.recordings_root

        def work(store: Store) -> RetentionReport:
            save_policy(store, policy)
            return apply_retention(store, policy, recordings_root=root)

        self._write(work, self._applied)

    def _applied(self, report: RetentionReport) -> None:
        self.message.setText(
            self.tr(
                "Saved. Deleted {files} recording files; redacted {redacted} and deleted {deleted} "
                "transcript lines."
            ).format(
                files=len(report.recordings_deleted),
                redacted=report.transcripts_redacted,
                deleted=report.transcripts_deleted,
            )
        )
        self.retention_applied.emit(report)

    def _write_failed(self, exc: Exception) -> None:
        self.message.setText(self.tr("Could not save: {error}").format(error=exc))

    def finish_writes(self) -> None:
        """The window is closing: let a save in flight finish and end this panel's own store thread."""
        self._write.finish()

    # -- one customer ----------------------------------------------------------------------------------
    def find_customers(self) -> list[Customer]:
        """List the customers whose name or phone number matches what was typed."""
        text = self.customer_query.text().strip()
        found: dict[str, Customer] = {}
        if text:
            if sum(ch.isdigit() for ch in text) >= 4:
                found.update((c.id, c) for c in lookup_caller(self.store, text).customers)
            found.update((c.id, c) for c in self.store.search_customers(text))
        self.matches.clear()
        for customer in found.values():
            calls = self.store.call_count_for(customer.id)
            phone = customer.phones[0] if customer.phones else self.tr("no phone")
            company = f" · {customer.company}" if customer.company else ""
            label = self.tr("{name} · {phone}{company} · {calls} calls").format(
                name=customer.name, phone=phone, company=company, calls=calls
            )
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, customer.id)
            self.matches.addItem(item)
        if len(found) == 1:
            self.matches.setCurrentRow(0)
        if not text:
            self.message.setText(self.tr("Type the customer's name or phone number first."))
        elif not found:
            self.message.setText(self.tr("No customer has that name or phone number."))
        else:
            self.message.setText(self.tr("Choose the customer in the list.") if len(found) > 1 else "")
        self._update_buttons()
        return list(found.values())

    def selected_customer(self) -> Customer | None:
        item = self.matches.currentItem()
        if item is None:
            return None
        return self.store.get_customer(str(item.data(Qt.ItemDataRole.UserRole)))

    def _update_buttons(self) -> None:
        chosen = self.matches.currentItem() is not None
        self.archive_button.setEnabled(chosen)
        self.erase_button.setEnabled(chosen)

    def export_archive(self, target: Path) -> bool:
        customer = self.selected_customer()
        if customer is None:
            self.message.setText(self.tr("Find and choose the customer first."))
            return False
        customer_id = customer.id
        try:
            report = export_customer_archive(self.store, customer_id, target, self.recordings_root)
        except ExportError as exc:
            self.message.setText(self.tr("Could not export: {error}").format(error=exc))
            return False
        self.message.setText(
            self.tr("Wrote {path}: {calls} calls, {notes} notes, {recordings} recordings.").format(
                path=target, calls=report.calls, notes=report.notes, recordings=report.recordings
            )
        )
        return True

    def _choose_archive(self) -> None:
        customer = self.selected_customer()
        if customer is None:
            self.message.setText(self.tr("Find and choose the customer first."))
            return
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export customer archive"), f"{customer.name or customer.id}.zip", "ZIP (*.zip)"
        )
        if name:
            self.export_archive(Path(name))

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.warning(
            self,
            self.tr("Erase customer"),
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def erase(self) -> ErasureReport | None:
        customer = self.selected_customer()
        if customer is None:
            self.message.setText(self.tr("Find and choose the customer first."))
            return None
        customer_id = customer.id
        calls = self.store.call_count_for(customer_id)
        phone = customer.phones[0] if customer.phones else self.tr("no phone")
        question = self.tr(
            "Erase {name} ({phone}): the profile, notes, follow-ups, {calls} calls with their transcripts "
            "and recordings? This cannot be undone."
        ).format(name=customer.name, phone=phone, calls=calls)
        if not self._confirm(question):
            self.message.setText(self.tr("Nothing was erased."))
            return None
        try:
            report = erase_customer(self.store, customer_id, self.recordings_root)
        except ErasureError as exc:
            self.message.setText(self.tr("Could not erase: {error}").format(error=exc))
            return None
        text = self.tr(
            "Erased from this PC: {name}, {calls} calls, {rows} records, {files} recording files."
        ).format(
            name=customer.name or customer_id,
            calls=len(report.call_ids),
            rows=report.total_rows,
            files=len(report.files_removed),
        )
        if report.files_failed:
            text += " " + self.tr("Could not remove: {files}").format(files="; ".join(report.files_failed))
        if not report.wal_cleared:
            text += " " + self.tr(
                "NOT yet erased from the database file: another window of Agent Assist has it open. It is "
                "cleared when that window closes."
            )
        self.message.setText(text)
        self._erase_on_team(customer_id, report.call_ids)
        self.matches.clear()
        self.customer_query.clear()
        self._update_buttons()
        self.customer_erased.emit(customer_id)
        return report

    def _erase_on_team(self, customer_id: str, call_ids: tuple[str, ...]) -> None:
        self.team_outcome = None
        self.team_message.setText(self.tr("Team server: erasing the team's copy…"))
        eraser = self._team_eraser
        self._background.in_thread(
            "team-erasure", lambda: eraser(customer_id, call_ids), self._team_done, self._team_done
        )

    def _team_done(self, result: object) -> None:
        if isinstance(result, TeamErasureOutcome):
            self.team_outcome = result
            self.team_message.setText(self.team_text(result))
        else:
            self.team_outcome = result if isinstance(result, BaseException) else RuntimeError(str(result))
            self.team_message.setText(
                self.tr("Team server: NOT erased, the request failed: {error}").format(error=result)
            )

    def team_text(self, outcome: TeamErasureOutcome) -> str:
        """The team step in the UI language: erased, pending (and why) or refused (and why)."""
        report = outcome.server
        rows = sum(report.rows.values()) if report is not None else 0
        calls = len(report.calls) if report is not None else 0
        texts = {
            ServerStep.NONE: self.tr("Team server: none is set up, nothing was shared with a team."),
            ServerStep.ERASED: self.tr("Team server: erased ({calls} calls, {rows} records)."),
            ServerStep.SCRUB_PENDING: self.tr(
                "Team server: erased ({calls} calls, {rows} records); its files are cleaned at its next "
                "retention round (pending)."
            ),
            ServerStep.UNREACHABLE: self.tr(
                "Team server: NOT erased yet (pending), it cannot be reached ({reason}). The request is sent "
                "when Agent Assist next connects."
            )
            if outcome.queued_in_app
            else self.tr(
                "Team server: NOT erased yet (pending), it cannot be reached ({reason}). Erase again once it "
                "is reachable."
            ),
            ServerStep.REFUSED: self.tr(
                "Team server: NOT erased, it refused ({reason}). A supervisor or admin must erase the team's "
                "copy."
            ),
        }
        text = texts[outcome.server_step].format(calls=calls, rows=rows, reason=outcome.reason)
        for name in outcome.busy_files:
            text += " " + self.tr(
                "{file}: queued messages about the customer deleted, NOT yet cleared from the file (Agent "
                "Assist has it open; cleared when it closes)."
            ).format(file=name)
        return text


def _app_team_eraser(customer_id: str, call_ids: tuple[str, ...]) -> TeamErasureOutcome:
    from desktop.common.team_erasure import erase_on_team

    return erase_on_team(customer_id, call_ids)


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w)
    return holder
