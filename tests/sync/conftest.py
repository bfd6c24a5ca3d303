"""A real team server on 127.0.0.1 (port 0) in a background thread, users in its real SQLite, and raw
clients."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from sync.protocol import Role
from sync.server import ServerLimits, ServerThread
from sync.store import TeamStore
from tests.waiting import wait_until as wait_until  # the sync tests import it from here


@dataclass
class RunningServer:
    thread: ServerThread
    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.thread.url

    def add_user(self, name: str, role: str, team: str, expires_at: float | None = None) -> str:
        store = TeamStore(self.data_dir)
        try:
            token = store.add_user(name, Role(role), team, expires_at=expires_at)
        finally:
            store.close()
        self.tokens[name] = token
        return token

    def raw(self, name: str) -> RawClient:
        return RawClient.open(self.url, self.tokens[name])


class RawClient:
    """A bare protocol client (websockets' sync API): frames in, frames out, nothing hidden."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    @classmethod
    def open(cls, url: str, token: str) -> RawClient:
        ws = connect(
            url,
            additional_headers={"Authorization": f"Bearer {token}"},
            compression=None,
            proxy=None,
            legacy=True,
        )
        client = cls(ws)
        client.wait_for(lambda f: f["type"] == "welcome")
        client.request("resume", whisper_after=0, feed_after=0)  # whispers and changes flow after this
        return client

    def send(self, type_: str, **fields: Any) -> str:
        frame_id = fields.pop("id", None) or uuid.uuid4().hex
        self.ws.send(json.dumps({"v": 1, "type": type_, "id": frame_id, **fields}))
        return str(frame_id)

    def receive(self, timeout: float) -> dict[str, Any] | None:
        try:
            raw = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        frame = json.loads(raw)
        self.frames.append(frame)
        return dict(frame)

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        for frame in self.frames:
            if match(frame):
                return frame
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.receive(max(0.01, deadline - time.monotonic()))
            if frame is not None and match(frame):
                return frame
        raise AssertionError(
            f"no matching frame within {timeout}s; got {[f['type'] for f in self.frames][-20:]}"
        )

    def reply(self, ref: str, timeout: float = 10.0) -> dict[str, Any]:
        return self.wait_for(lambda f: f.get("ref") == ref, timeout)

    def request(self, type_: str, **fields: Any) -> dict[str, Any]:
        return self.reply(self.send(type_, **fields))

    def drain(self, quiet: float = 0.3) -> list[dict[str, Any]]:
        """Read until nothing arrives for ``quiet`` seconds; returns everything received so far."""
        while self.receive(quiet) is not None:
            pass
        return self.frames

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def server_limits() -> ServerLimits:
    return ServerLimits()


@pytest.fixture
def team_server(tmp_path: Path, server_limits: ServerLimits) -> Iterator[RunningServer]:
    data_dir = tmp_path / "server"
    thread = ServerThread(data_dir, "127.0.0.1", 0, limits=server_limits)
    thread.start()
    try:
        yield RunningServer(thread, data_dir)
    finally:
        thread.stop()
