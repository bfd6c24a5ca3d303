"""Where the team-server client's thread meets the supervisor console's Qt main thread.

:class:`~sync.client.SyncClient` reports on its own thread and its request methods block, so neither may touch
or stall the widgets. Callbacks are re-emitted here as signals (queued onto the main thread because this
object lives there), and blocking requests run on one background thread whose answers come back the same way.
Every emission from those threads passes an :class:`~desktop.common.lifetime.EmitGate`, so a request still
running when the console closes (its executor is not waited for) never emits into the deleted bridge.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from desktop.common.lifetime import EmitGate
from sync.client import ConnectionState, SyncClient

log = logging.getLogger(__name__)

ResultHandler = Callable[[Any], None]
ErrorHandler = Callable[[Exception], None]


class SupervisorBridge(QObject):
    """Signals (all delivered on the Qt main thread):
    call_event(CallEvent | CallSnapshot): a call started, ended, said, updated... (SyncClient.on_call_event).
    whisper_status(WhisperReceipt): a whisper this user sent was stored, delivered or read.
    presence(tuple[Presence, ...]): presence changes of the team.
    change(Change): a change of shared team data (knowledge entries are offered for pushing).
    connection(str, str): ConnectionState value and the reason.
    request_error(RequestError): the server refused something from the outbox (e.g. a whisper).
    finished(int, object, object): a background request's token, result and error (internal).
    """

    call_event = Signal(object)
    whisper_status = Signal(object)
    presence = Signal(object)
    change = Signal(object)
    connection = Signal(str, str)
    request_error = Signal(object)
    finished = Signal(int, object, object)

    def __init__(self, client: SyncClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="supervisor-requests")
        self._tokens = itertools.count(1)
        self._handlers: dict[int, tuple[ResultHandler, ErrorHandler | None]] = {}
        self._gate = EmitGate(self)
        self.finished.connect(self._deliver)
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
        self, work: Callable[[], Any], on_result: ResultHandler, on_error: ErrorHandler | None = None
    ) -> None:
        """Run ``work`` (a blocking SyncClient request) off the main thread; handlers run on the main
        thread."""
        if not self._gate.is_open:
            return
        token = next(self._tokens)
        self._handlers[token] = (on_result, on_error)

        def job() -> None:
            try:
                result, error = work(), None
            except Exception as exc:  # handed to the UI, which says what failed
                result, error = None, exc
            self._gate.emit(self.finished, token, result, error)

        self._executor.submit(job)

    def _deliver(self, token: int, result: Any, error: Any) -> None:
        on_result, on_error = self._handlers.pop(token, (None, None))
        if on_result is None:
            return
        if error is None:
            on_result(result)
        elif on_error is not None:
            on_error(error)
        else:
            log.warning("supervisor request failed: %s", error)

    def close(self) -> None:
        """Stop relaying (the client may outlive the console) and let queued requests finish unseen."""
        self._gate.close()
        for name in ("on_call_event", "on_whisper_status", "on_presence", "on_change", "on_request_error"):
            setattr(self.client, name, lambda payload: None)
        self.client.on_connection_state = lambda state, reason: None
        self._executor.shutdown(wait=False, cancel_futures=True)
