"""The review window: the history (list, filters, search) beside the call it opens, and team insights."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from assist.store import Store
from desktop.common.background import RunOnStore
from desktop.review.call_detail import CallDetail, PlayerFactory
from desktop.review.history_view import HistoryPanel
from desktop.review.insights_view import InsightsPanel
from desktop.review.privacy_view import PrivacyPanel


class ReviewWindow(QWidget):
    """The review window. It reads ``store`` on the UI thread and writes through ``run_on_store`` (the
    desk worker in the app; a thread with its own connection when opened on its own)."""

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        author: str = "",
        player_factory: PlayerFactory | None = None,
        recordings_root: Path | None = None,
        run_on_store: RunOnStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reviewWindow")
        self.history = HistoryPanel(store, self)
        self.detail = CallDetail(
            store,
            self,
            author=author,
            player_factory=player_factory,
            recordings_root=recordings_root,
            run_on_store=run_on_store,
        )
        self.insights = InsightsPanel(store, self)
        self.privacy = PrivacyPanel(store, self, recordings_root=recordings_root, run_on_store=run_on_store)
        split = QSplitter(self)
        split.addWidget(self.history)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(split, "")
        self.tabs.addTab(self.insights, "")
        self.tabs.addTab(self.privacy, "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)
        self.history.call_opened.connect(self._open)
        self.detail.call_saved.connect(self._call_saved)
        self.privacy.customer_erased.connect(self._customer_erased)
        self.tabs.currentChanged.connect(lambda i: self.insights.refresh() if i == 1 else None)
        self.retranslate()
        self.resize(1200, 760)

    def _call_saved(self, _call_id: str) -> None:
        self.history.reload_choices()  # a new tag may have been typed
        self.history.refresh()

    def _customer_erased(self, customer_id: str) -> None:
        if self.detail.call is not None and self.detail.call.customer_id == customer_id:
            self.detail.clear()
        self.history.reload_choices()
        self.history.refresh()

    def _open(self, call_id: str, position: float) -> None:
        self.detail.show_call(call_id, position if position >= 0 else None)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Agent Assist — Call review"))
        self.tabs.setTabText(0, self.tr("Calls"))
        self.tabs.setTabText(1, self.tr("Insights"))
        self.tabs.setTabText(2, self.tr("Privacy"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            self.history.retranslate()
            self.detail.retranslate()
            self.insights.retranslate()
            self.privacy.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.detail.stop()  # never leave audio playing behind a closed window
        self.detail.finish_writes()  # a save in flight completes; no store thread outlives the window
        self.privacy.finish_writes()
        super().closeEvent(event)
