"""A TCP relay in front of the team server whose server-to-client direction can be held: what the server
sends waits in the relay (it is read off the socket and kept, in order) until released, while what clients
send goes through at once. It reproduces, on a real connection, a client that is online but has not yet read
a frame the server already sent (an erasure entry) when it writes something."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class HeldLink:
    def __init__(self, server_port: int) -> None:
        self._server = ("127.0.0.1", server_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._held: list[tuple[socket.socket, bytes]] = []
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._start(self._accept, "held-link-accept")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _start(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._server)
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            self._start(self._pump, "held-link-up", client, upstream, False)
            self._start(self._pump, "held-link-down", upstream, client, True)

    def _pump(self, source: socket.socket, sink: socket.socket, holdable: bool) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    if holdable and not self._flowing.is_set():
                        self._held.append((sink, data))
                        continue
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def hold(self) -> None:
        """From now on, what the server sends waits here."""
        with self._lock:
            self._flowing.clear()

    def held(self) -> bytes:
        """What the server sent since :meth:`hold` (not yet passed on)."""
        with self._lock:
            return b"".join(data for _, data in self._held)

    def release(self) -> None:
        """Pass on what was held, in order, and let the server's frames through again."""
        with self._lock:
            for sink, data in self._held:
                with contextlib.suppress(OSError):
                    sink.sendall(data)
            self._held.clear()
            self._flowing.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets = list(self._sockets)
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(5)

    def __enter__(self) -> HeldLink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
