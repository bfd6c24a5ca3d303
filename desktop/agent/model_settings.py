"""Settings entry for the after-call quality pass: which bigger model transcribes each call again after it.

Lists the models found on this PC and the ones that can be downloaded (with their size); choosing one that is
not here asks for consent first, then downloads it with a progress dialog (checked against its checksums by
audio.models.download_model). Nothing is downloaded without a yes.
"""

from __future__ import annotations

import threading
from concurrent.futures import wait
from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QMessageBox, QProgressDialog, QWidget

from audio.models import download_model, model_choices
from desktop.common.background import Background


class AfterCallModel(QComboBox):
    """Off, or a model name; the current value is :meth:`value`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._previous = 0
        self._filling = False
        self._background = Background(self)
        self.activated.connect(self._chosen)

    def fill(self, current: str) -> None:
        self._filling = True
        self.clear()
        self.addItem(self.tr("off"), "")
        for choice in model_choices():
            if choice.name == "tiny.en":
                continue  # smaller than what a Japanese or English call already uses
            if choice.installed:
                self.addItem(choice.name, choice.name)
            else:
                label = self.tr("%1 (download, about %2 MB)").replace("%1", choice.name)
                self.addItem(label.replace("%2", str(choice.size_mb)), f"download:{choice.name}")
        index = max(0, self.findData(current))
        self.setCurrentIndex(index)
        self._previous = index
        self._filling = False

    def value(self) -> str:
        data = str(self.currentData() or "")
        return "" if data.startswith("download:") else data

    def _chosen(self, index: int) -> None:
        data = str(self.itemData(index) or "")
        if self._filling or not data.startswith("download:"):
            self._previous = index
            return
        name = data.removeprefix("download:")
        answer = QMessageBox.question(
            self,
            self.tr("Download a model"),
            self.tr(
                "Download the %1 model (%2) from the internet to transcribe calls again after they end? "
                "It is checked against its published checksums."
            )
            .replace("%1", name)
            .replace("%2", self.itemText(index)),
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.setCurrentIndex(self._previous)
            return
        if self._download(name):
            self.fill(name)
        else:
            self.setCurrentIndex(self._previous)

    def _download(self, name: str) -> bool:
        progress = QProgressDialog(
            self.tr("Downloading %1…").replace("%1", name), self.tr("Cancel"), 0, 1000, self
        )
        progress.setMinimumDuration(0)
        cancel = threading.Event()
        counted = _Progress()

        def ended(_outcome: object) -> None:  # delivered on this thread, in the dialog's event loop
            progress.close()

        job = self._background.in_thread(
            "model-download",
            lambda: download_model(name, consent=True, cancel=cancel, progress=counted.update),
            ended,
            ended,
        )
        timer = QTimer(self)

        def tick() -> None:
            progress.setValue(int(1000 * counted.done / counted.total))
            if progress.wasCanceled():
                cancel.set()

        timer.timeout.connect(tick)
        timer.start(100)
        progress.exec()
        if progress.wasCanceled():
            cancel.set()
        wait([job], timeout=30)  # a cancelled download stops at its next chunk
        timer.stop()
        error = job.exception() if job.done() else None
        if error is not None and not cancel.is_set():
            QMessageBox.warning(self, self.tr("Download a model"), str(error))
        return job.done() and error is None


@dataclass
class _Progress:
    """How far the download is (written by its thread, read by the dialog's timer)."""

    done: int = 0
    total: int = 1

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, max(total, 1)
