"""Let a softphone tell the app who is calling, so the agent never types the number.

Most softphones can open a URL when a call comes in. The app listens on the loopback interface only:

    http://127.0.0.1:8766/call?number=090-1234-5678            fill in the caller number
    http://127.0.0.1:8766/call?number=090-1234-5678&start=1    ... and start the call

``agent-assist --caller NUMBER`` uses the same link to hand the number to an app that is already running, and
a second ``agent-assist`` on the same PC asks the running one to come to the front (``/show``) instead of
opening the agent's data a second time.
The listener is Qt's own socket server on the main thread's event loop: a request is a few bytes, answered at
once, with no thread and no blocking. Anything else gets a 404 or 400 and changes nothing.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QHostAddress, QTcpServer, QTcpSocket

DEFAULT_PORT = 8766
_MAX_REQUEST = 4096


class SoftphoneLink(QObject):
    """Signals:
    incoming_call(str, bool): a softphone reported a caller number (number, start the call now).
    show_requested(): the app was started again on this PC; the running one comes to the front.
    """

    incoming_call = Signal(str, bool)
    show_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QTcpServer(self)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QTcpSocket, bytes] = {}

    def listen(self, port: int = DEFAULT_PORT) -> bool:
        return self._server.listen(QHostAddress(QHostAddress.SpecialAddress.LocalHost), port)

    @property
    def port(self) -> int:
        return int(self._server.serverPort())

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _forget(self, socket: QTcpSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _read(self, socket: QTcpSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\r\n\r\n" not in data and len(data) < _MAX_REQUEST:
            self._buffers[socket] = data
            return
        self._buffers[socket] = b""
        status, body = self._handle(data.split(b"\r\n", 1)[0].decode("latin-1", "replace"))
        socket.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
            f"{len(body.encode())}\r\nConnection: close\r\n\r\n{body}".encode()
        )
        socket.disconnectFromHost()

    def _handle(self, request_line: str) -> tuple[str, str]:
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] not in ("GET", "POST"):
            return "400 Bad Request", "expected GET /call?number=...\n"
        url = urllib.parse.urlsplit(parts[1])
        if url.path == "/show":
            self.show_requested.emit()
            return "200 OK", "ok\n"
        if url.path != "/call":
            return "404 Not Found", "only /call?number=... and /show are served here\n"
        query = urllib.parse.parse_qs(url.query)
        number = (query.get("number") or [""])[0].strip()
        if not number or len(number) > 40 or not any(ch.isdigit() for ch in number):
            return "400 Bad Request", "number must be a phone number, e.g. /call?number=090-1234-5678\n"
        start = (query.get("start") or ["0"])[0] in ("1", "true", "yes")
        self.incoming_call.emit(number, start)
        return "200 OK", "ok\n"


def hand_over(number: str, port: int = DEFAULT_PORT, timeout: float = 1.0) -> bool:
    """Give ``number`` to an app already running on this PC; False when none answers."""
    return _ask(f"/call?{urllib.parse.urlencode({'number': number})}", port, timeout)


def bring_to_front(port: int = DEFAULT_PORT, timeout: float = 1.0) -> bool:
    """Ask the app already running on this PC to show its window; False when none answers."""
    return port > 0 and _ask("/show", port, timeout)


def _ask(path: str, port: int, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
