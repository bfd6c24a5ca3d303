"""The strip across the top of the call screen: what the agent checks at a glance during a call.

Start/end, the caller's number, who they are (or "new caller"), how long the call has run, whether it is being
recorded, both input levels, how far transcription lags and whether the team server is reachable. Every state
is spelled out in words as well as colour.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from audio.events import Channel
from desktop.agent.transcript_view import clock
from desktop.common.views import CustomerView
from sync.client import ConnectionState


class LevelMeter(QProgressBar):
    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 100)
        self.setTextVisible(True)
        self.setFixedWidth(110)
        self.setFormat(label)
        self.setValue(0)
        self.setAccessibleName(label)

    def set_level(self, value: float) -> None:
        # Speech sits low on a linear scale; a square root makes normal talking visibly move the bar.
        self.setValue(int(min(1.0, max(0.0, value)) ** 0.5 * 100))


class CallBar(QWidget):
    """Signals:
    start_requested(str): the agent starts a call (caller number, may be empty).
    end_requested(): the agent ends the call.
    """

    start_requested = Signal(str)
    end_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callBar")
        self._started: float | None = None
        self._after_call: float | None = (
            None  # when the call ended: after-call work runs until the wrap-up is saved
        )
        self._after_call_done: float | None = None
        self.call_button = QPushButton(self)
        self.call_button.setObjectName("callButton")
        self.call_button.clicked.connect(self.toggle_call)
        self.phone = QLineEdit(self)
        self.phone.setObjectName("callerNumber")
        self.phone.setFixedWidth(170)
        self.phone.returnPressed.connect(self.toggle_call)
        self.customer = QLabel(self)
        self.customer.setObjectName("customerName")
        self.timer_label = QLabel("00:00", self)
        self.timer_label.setObjectName("callTimer")
        self.recording = QLabel(self)
        self.recording.setObjectName("recording")
        self.agent_level = LevelMeter("", self)
        self.customer_level = LevelMeter("", self)
        self.lag = QLabel(self)
        self.lag.setObjectName("lag")
        self.server = QLabel(self)
        self.server.setObjectName("serverState")
        self._connection = ConnectionState.LOCAL_ONLY
        self._lag_seconds = 0.0
        self._customer_view: CustomerView | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        left: tuple[QWidget, ...] = (self.call_button, self.phone, self.customer)
        right: tuple[QWidget, ...] = (
            self.timer_label,
            self.recording,
            self.agent_level,
            self.customer_level,
            self.lag,
            self.server,
        )
        for widget in left:
            layout.addWidget(widget)
        layout.addStretch(1)
        for widget in right:
            layout.addWidget(widget)
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_timer)
        self.retranslate()

    def retranslate(self) -> None:
        self.phone.setPlaceholderText(self.tr("Caller number"))
        self.phone.setAccessibleName(self.tr("Caller number"))
        self.call_button.setAccessibleName(self.tr("Start or end the call"))
        self.agent_level.setFormat(self.tr("You %p%"))
        self.agent_level.setAccessibleName(self.tr("Your microphone level"))
        self.customer_level.setFormat(self.tr("Customer %p%"))
        self.customer_level.setAccessibleName(self.tr("Customer audio level"))
        self.set_in_call(self._started is not None)
        self.set_connection(self._connection)
        self.set_lag(self._lag_seconds)
        if self._customer_view is not None:
            self.set_customer(self._customer_view)
        else:
            self.customer.setText(self.tr("No call"))

    @property
    def in_call(self) -> bool:
        return self._started is not None

    def set_in_call(self, active: bool) -> None:
        if active and self._started is None:
            self._started = time.monotonic()
            self._after_call = self._after_call_done = None
            self._tick.start()
        elif not active and self._started is not None:
            # The clock goes on as after-call work (ACW) until the wrap-up is saved; the meters drop to zero.
            self._started = None
            self._after_call, self._after_call_done = time.monotonic(), None
            self.agent_level.setValue(0)
            self.customer_level.setValue(0)
        self.call_button.setText(self.tr("End call") if active else self.tr("Start call"))
        self.phone.setReadOnly(active)
        self.set_recording(active)
        self._update_timer()

    def set_recording(self, on: bool) -> None:
        self.recording.setText(self.tr("● REC") if on else self.tr("not recording"))
        self.recording.setProperty("state", "on" if on else "off")
        self.recording.setAccessibleName(self.tr("Recording") if on else self.tr("Not recording"))
        self._restyle(self.recording)

    def set_customer(self, customer: CustomerView) -> None:
        self._customer_view = customer
        if customer.is_new:
            self.customer.setText(self.tr("New caller"))
        else:
            company = f" ({customer.company})" if customer.company else ""
            self.customer.setText(f"{customer.name}{company}")
        if customer.phone and not self.phone.text():
            self.phone.setText(customer.phone)

    def set_level(self, channel: Channel, value: float) -> None:
        (self.agent_level if channel is Channel.AGENT else self.customer_level).set_level(value)

    def set_lag(self, seconds: float) -> None:
        self._lag_seconds = seconds
        self.lag.setText(self.tr("lag %1 s").replace("%1", f"{seconds:.1f}"))
        self.lag.setProperty("state", "behind" if seconds > 3 else "ok")
        self._restyle(self.lag)

    def set_connection(self, state: ConnectionState) -> None:
        self._connection = state
        texts = {
            ConnectionState.LOCAL_ONLY: self.tr("Local only (no team server)"),
            ConnectionState.CONNECTING: self.tr("Connecting to team server…"),
            ConnectionState.CONNECTED: self.tr("Team server: online"),
            ConnectionState.OFFLINE: self.tr("Team server offline: saving locally, will send later"),
        }
        self.server.setText(texts[state])
        self.server.setProperty("state", state.value)
        self._restyle(self.server)

    def after_call_work_done(self) -> None:
        """The wrap-up was saved: the after-call work time stops where it is."""
        if self._after_call is not None and self._after_call_done is None:
            self._after_call_done = time.monotonic()
            self._tick.stop()
            self._update_timer()

    def elapsed(self) -> float:
        return 0.0 if self._started is None else time.monotonic() - self._started

    def after_call_elapsed(self) -> float:
        if self._after_call is None:
            return 0.0
        return (self._after_call_done or time.monotonic()) - self._after_call

    def _update_timer(self) -> None:
        if self._started is None and self._after_call is not None:
            self.timer_label.setText(self.tr("ACW %1").replace("%1", clock(self.after_call_elapsed())))
            self.timer_label.setToolTip(self.tr("After-call work: time since the call ended"))
            self.timer_label.setAccessibleName(self.tr("After-call work time"))
        else:
            self.timer_label.setText(clock(self.elapsed()))
            self.timer_label.setToolTip("")
            self.timer_label.setAccessibleName(self.tr("Call duration"))

    def toggle_call(self) -> None:
        if self.in_call:
            self.end_requested.emit()
        else:
            self.start_requested.emit(self.phone.text().strip())

    def _restyle(self, widget: QWidget) -> None:
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)
