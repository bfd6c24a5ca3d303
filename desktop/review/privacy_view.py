"""Privacy and retention on screen: how long recordings and transcripts are kept (saved in the store, applied
now and then daily), and one customer's data handed over as an archive or erased on request.

Erasure cannot be undone, so the customer is chosen from a list that shows whom it is and a confirmation names
what will go; the archive is offered first. The retention run, the archive export and the erasure run on the
thread that owns the store (the desk worker in the app, a thread of this window's own otherwise); lookups are
read on the UI thread. The window stays responsive, the store keeps a single writer, and the outcome
(or a message naming what failed) comes back on the main thread; while an export or erasure runs the customer
part is disabled and says what it is doing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assist.customers import lookup_caller
from assist.domain import Customer
from assist.exports import ArchiveReport, export_customer_archive
from assist.privacy import ErasureReport, erase_customer
from assist.retention import (
    RetentionPolicy,
    RetentionReport,
    apply_retention,
    load_policy,
    save_policy,
)
from assist.store import Store
from desktop.common.background import Background, RunOnStore, StoreWrites
from desktop.common.worker import one_off
from desktop.review.retention_form import RetentionForm, row
from desktop.review.team_erasure_line import TeamEraser, TeamErasureLine
from sync.team_erasure import TeamErasureOutcome


class PrivacyPanel(QWidget):
    """Signals:
    customer_erased(str): everything about this customer id was erased (lists and open calls must drop it);
        the report is ``last_erasure``.
    archive_written(ArchiveReport): a customer's archive was written (export_archive, store's thread).
    retention_applied(RetentionReport): the policy was saved and applied (save_and_apply, store's thread).
    """

    customer_erased = Signal(str)
    archive_written = Signal(object)
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
        self.store = store  # read here; saving, applying, exporting and erasing run on the store's thread
        self._background = Background(self)
        self._write = StoreWrites(
            self._background, store, self._write_failed, run_on_store, "privacy-store", recordings_root
        )
        self.busy = False  # an export or erasure is running
        self.last_erasure: ErasureReport | None = None
        self.recordings_root = recordings_root
        self._confirm = confirm or self._ask
        self.retention = RetentionForm(self)
        self.save_button = self.retention.save_button
        self.save_button.clicked.connect(self.save_and_apply)

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
        customer_layout.addWidget(row(self.customer_query, self.find_button))
        customer_layout.addWidget(self.matches)
        customer_layout.addWidget(row(self.archive_button, self.erase_button))
        self.message = QLabel(self)
        self.message.setObjectName("privacyMessage")
        self.message.setWordWrap(True)
        self.team_message = TeamErasureLine(self._background, team_eraser, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.retention)
        layout.addWidget(self.customer_box)
        layout.addWidget(self.message)
        layout.addWidget(self.team_message)
        layout.addStretch(1)
        self.retranslate()
        self.load()
        self._update_buttons()

    def retranslate(self) -> None:
        self.retention.retranslate()
        self.customer_box.setTitle(self.tr("One customer's data (personal-information requests)"))
        self.customer_query.setPlaceholderText(self.tr("Customer name or phone number"))
        self.customer_query.setAccessibleName(self.tr("Find the customer by name or phone number"))
        self.find_button.setText(self.tr("Find"))
        self.matches.setAccessibleName(self.tr("Customers found: choose one"))
        self.archive_button.setText(self.tr("Export archive…"))
        self.erase_button.setText(self.tr("Erase everything about this customer…"))

    def load(self) -> None:
        self.retention.show_policy(load_policy(self.store))

    def policy(self) -> RetentionPolicy:
        return self.retention.policy()

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

    def _working(self, text: str) -> None:
        """An export or erasure runs on the store's thread: say so, and let nothing else start meanwhile."""
        self.busy = True
        self.message.setText(text)
        self.customer_box.setEnabled(False)
        self.save_button.setEnabled(False)

    def _idle(self) -> None:
        self.busy = False
        self.customer_box.setEnabled(True)
        self.save_button.setEnabled(True)
        self._update_buttons()

    def _failed(self, what: str) -> Callable[[Exception], None]:
        """A failed export or erasure: the message names what failed and why; nothing was changed."""

        def show(exc: Exception) -> None:
            self._idle()
            self.message.setText(what.format(error=exc))

        return show

    def export_archive(self, target: Path) -> bool:
        """Write the chosen customer's archive to ``target`` on the store's thread; ``archive_written`` (or a
        message naming what failed) follows on the main thread. Returns whether the export started."""
        customer = self.selected_customer()
        if customer is None:
            self.message.setText(self.tr("Find and choose the customer first."))
            return False
        customer_id, root = customer.id, self.recordings_root
        self._working(self.tr("Writing {path}…").format(path=target))
        self._write(
            lambda store: export_customer_archive(store, customer_id, target, root),
            self._exported,
            self._failed(self.tr("Could not export: {error}")),
        )
        return True

    def _exported(self, report: ArchiveReport) -> None:
        self._idle()
        self.message.setText(
            self.tr("Wrote {path}: {calls} calls, {notes} notes, {recordings} recordings.").format(
                path=report.path, calls=report.calls, notes=report.notes, recordings=report.recordings
            )
        )
        self.archive_written.emit(report)

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

    def erase(self) -> bool:
        """After confirmation, erase the chosen customer on the store's thread (the window stays responsive,
        the store keeps one writer); ``customer_erased`` (or a message naming what failed) follows on the main
        thread. Returns whether the erasure started."""
        customer = self.selected_customer()
        if customer is None:
            self.message.setText(self.tr("Find and choose the customer first."))
            return False
        customer_id = customer.id
        calls = self.store.call_count_for(customer_id)
        phone = customer.phones[0] if customer.phones else self.tr("no phone")
        question = self.tr(
            "Erase {name} ({phone}): the profile, notes, follow-ups, {calls} calls with their transcripts "
            "and recordings? This cannot be undone."
        ).format(name=customer.name, phone=phone, calls=calls)
        if not self._confirm(question):
            self.message.setText(self.tr("Nothing was erased."))
            return False
        root, eraser = self.recordings_root, self.team_message.eraser

        def work(store: Store) -> tuple[ErasureReport, Future[TeamErasureOutcome]]:
            report = erase_customer(store, customer_id, root)
            # The team's copy is asked for from here, at once: the request goes even if the window closes.
            return report, one_off("team-erasure", lambda: eraser(customer_id, report.call_ids))

        self._working(self.tr("Erasing {name}…").format(name=customer.name or customer_id))
        self._write(
            work,
            lambda done: self._erased(customer, *done),
            self._failed(self.tr("Could not erase: {error}")),
        )
        return True

    def _erased(self, customer: Customer, report: ErasureReport, team: Future[TeamErasureOutcome]) -> None:
        self._idle()
        self.last_erasure = report
        text = self.tr(
            "Erased from this PC: {name}, {calls} calls, {rows} records, {files} recording files."
        ).format(
            name=customer.name or customer.id,
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
        self.team_message.follow(team)
        self.matches.clear()
        self.customer_query.clear()
        self._update_buttons()
        self.customer_erased.emit(customer.id)

    @property
    def team_outcome(self) -> TeamErasureOutcome | BaseException | None:
        """The last team step's outcome (None while it runs)."""
        return self.team_message.outcome
