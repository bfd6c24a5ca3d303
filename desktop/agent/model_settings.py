"""Settings entry for the after-call quality pass: which bigger model transcribes each call again after it.

Lists the models found on this PC and the ones that can be downloaded (with their size); choosing one that is
not here asks for consent first, then downloads it with a progress dialog (checked against its checksums by
audio.models.download_model). Nothing is downloaded without a yes.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QMessageBox, QProgressDialog, QWidget

from audio.models import DownloadError, download_model, model_choices


class AfterCallModel(QComboBox):
    """Off, or a model name; the current value is :meth:`value`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._previous = 0
        self._filling = False
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
        state: dict[str, Any] = {"done": 0, "total": 1, "error": None, "finished": False}

        def run() -> None:
            try:
                download_model(
                    name,
                    consent=True,
                    cancel=cancel,
                    progress=lambda done, total: state.update(done=done, total=max(total, 1)),
                )
            except DownloadError as exc:
                state["error"] = str(exc)
            state["finished"] = True

        worker = threading.Thread(target=run, name="model-download", daemon=True)
        worker.start()
        timer = QTimer(self)

        def tick() -> None:
            progress.setValue(int(1000 * state["done"] / state["total"]))
            if progress.wasCanceled():
                cancel.set()
            if state["finished"]:
                timer.stop()
                progress.close()

        timer.timeout.connect(tick)
        timer.start(100)
        progress.exec()
        if progress.wasCanceled():
            cancel.set()
        worker.join(30)
        timer.stop()
        if state["error"] and not cancel.is_set():
            QMessageBox.warning(self, self.tr("Download a model"), str(state["error"]))
        return bool(state["finished"]) and state["error"] is None
