"""The Privacy view's retention form: how long recordings and transcripts are kept. It shows and edits a
:class:`~assist.retention.RetentionPolicy`; saving and applying it is the Privacy view's (on the store's
thread)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from assist.retention import RetentionPolicy, TranscriptRetention


class RetentionForm(QGroupBox):
    """The policy's fields and the "Save and apply now" button (``save_button``, wired by the owner)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.keep_recordings = QCheckBox(self)
        self.recording_days = QSpinBox(self)
        self.recording_days.setRange(0, 3650)
        self.transcripts = QComboBox(self)
        for value in TranscriptRetention:
            self.transcripts.addItem("", value.value)
        self.transcript_days = QSpinBox(self)
        self.transcript_days.setRange(0, 3650)
        self.save_button = QPushButton(self)
        form = QFormLayout(self)
        self.labels = [QLabel(self) for _ in range(3)]
        form.addRow(self.labels[0], row(self.keep_recordings, self.recording_days))
        form.addRow(self.labels[1], self.transcripts)
        form.addRow(self.labels[2], self.transcript_days)
        form.addRow(self.save_button)
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(self.tr("Retention"))
        self.keep_recordings.setText(self.tr("Delete recordings after (days)"))
        for label, text in zip(
            self.labels,
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

    def show_policy(self, policy: RetentionPolicy) -> None:
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


def row(*widgets: QWidget) -> QWidget:
    """Widgets side by side, as one form field."""
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w)
    return holder
