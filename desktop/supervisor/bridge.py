"""Where the team-server client's thread meets the supervisor console's Qt main thread.

:class:`~sync.client.SyncClient` reports on its own thread and its request methods block, so neither may touch
or stall the widgets. Callbacks are re-emitted here as signals (queued onto the main thread because this
object lives there), and blocking requests run on one background thread whose answers come back the same way.
Every emission from those threads passes an :class:`~desktop.common.lifetime.EmitGate`, so a request still
running when the console closes (its executor is not waited for) never emits into the deleted bridge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Signal, SignalInstance

from desktop.common.background import Background
from desktop.common.lifetime import EmitGate
from desktop.common.worker import SerialWorker
from sync.client import ConnectionState, SyncClient

log = logging.getLogger(__name__)

T = TypeVar("T")
ErrorHandler = Callable[[Exception], None]


class SupervisorBridge(QObject):
    """Signals (all delivered on the Qt main thread):
    call_event(CallEvent | CallSnapshot): a call started, ended, said, updated... (SyncClient.on_call_event).
    whisper_status(WhisperReceipt): a whisper this user sent was stored, delivered or read.
    presence(tuple[Presence, ...]): presence changes of the team.
    change(Change): a change of shared team data (knowledge entries are offered for pushing).
    connection(str, str): ConnectionState value and the reason.
    request_error(RequestError): the server refused something from the outbox (e.g. a whisper).
    """

    call_event = Signal(object)
    whisper_status = Signal(object)
    presence = Signal(object)
    change = Signal(object)
    connection = Signal(str, str)
    request_error = Signal(object)

    def __init__(self, client: SyncClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self._requests = SerialWorker("supervisor-requests")
        self._background = Background(self)
        self._gate = EmitGate(self)
        client.on_call_event = self._relay(self.call_event)
        client.on_whisper_status = self._relay(self.whisper_status)
        client.on_presence = self._relay(self.presence)
        client.on_change = self._relay(self.change)
        client.on_request_error = self._relay(self.request_error)
        client.on_connection_state = self._relay_state

    def _relay(self, signal: SignalInstance) -> Callable[[object], None]:
        def emit(payload: object) -> None:
            self._gate.emit(signal, payload)

        return emit

    def _relay_state(self, state: ConnectionState, reason: str) -> None:
        self._gate.emit(self.connection, state.value, reason)

    def run(
        self, work: Callable[[], T], on_result: Callable[[T], None], on_error: ErrorHandler | None = None
    ) -> None:
        """Run ``work`` (a blocking SyncClient request) off the main thread; handlers run on the main
        thread."""
        if not self._gate.is_open:
            return
        try:
            future = self._requests.submit(work)
        except RuntimeError:  # closed meanwhile
            return
        self._background.deliver(future, on_result, on_error)

    def close(self) -> None:
        """Stop relaying (the client may outlive the console) and let queued requests finish unseen."""
        self._gate.close()
        for name in ("on_call_event", "on_whisper_status", "on_presence", "on_change", "on_request_error"):
            setattr(self.client, name, lambda payload: None)
        self.client.on_connection_state = lambda state, reason: None
        self._background.close()
        self._requests.shutdown(wait=False, cancel_pending=True)
