"""Agents' apps upgraded before the team server keep sharing: a field this client adds (``seen``, read by the
server's erasure check) goes only to a server whose welcome lists it. A server of the previous release lists
nothing and refuses a frame with a field it does not know (``bad_field``), and the client drops a refused
frame from its outbox, so sending it there would lose the note. Real team server on 127.0.0.1 and real sync
clients; the server is made to read frames as the previous release did (no features in its welcome, unknown
fields refused)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import sync.server
from sync.client import ConnectionState, RequestError, SyncClient
from sync.protocol import ErrorCode, ProtocolError, Request, decode_request
from tests.sync.conftest import RunningServer
from tests.waiting import wait_until


class Received:
    """The frames the server read, as JSON objects; with ``older`` set, refused as the last release did."""

    def __init__(self, older: bool) -> None:
        self.older = older
        self.frames: list[dict[str, object]] = []
        self._lock = threading.Lock()

    def __call__(self, raw: str | bytes) -> Request:
        frame = json.loads(raw)
        with self._lock:
            self.frames.append(frame)
        if self.older and "seen" in frame:
            raise ProtocolError(ErrorCode.BAD_FIELD, "unknown field 'seen'", str(frame.get("id")))
        return decode_request(raw)

    def of_type(self, kind: str) -> list[dict[str, object]]:
        with self._lock:
            return [f for f in self.frames if f.get("type") == kind]


@pytest.fixture(params=["older server", "this release's server"])
def received(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Received:
    older = request.param == "older server"
    reader = Received(older)
    monkeypatch.setattr(sync.server, "decode_request", reader)
    if older:
        monkeypatch.setattr(sync.server, "SERVER_FEATURES", ())
    return reader


@pytest.fixture
def clients(
    team_server: RunningServer, received: Received, tmp_path: Path
) -> Iterator[dict[str, SyncClient]]:
    for name in ("kato", "sato"):
        team_server.add_user(name, "agent", "tokyo")
    machines = {
        n: SyncClient(team_server.url, team_server.tokens[n], tmp_path / f"{n}.sqlite3", max_backoff=1.0)
        for n in ("kato", "sato")
    }
    try:
        for client in machines.values():
            client.start()
        for name, client in machines.items():
            wait_until(lambda c=client: c.state is ConnectionState.CONNECTED, 30, f"{name} online")
        yield machines
    finally:
        for client in machines.values():
            client.stop(timeout=5)


def test_a_note_shared_from_a_newer_app_reaches_the_team_whatever_the_servers_release(
    received: Received, clients: dict[str, SyncClient]
) -> None:
    kato, sato = clients["kato"], clients["sato"]
    refused: list[RequestError] = []
    notes: list[object] = []
    kato.on_request_error = refused.append
    sato.on_change = notes.append

    kato.push_change("note", {"id": "n1", "customer_id": "k1", "text": "請求書は郵送を希望"})
    wait_until(lambda: kato.pending_count() == 0, 30, "kato's note settled")
    wait_until(lambda: len(notes) == 1, 30, "the note at sato's PC")

    assert refused == []
    pushed = received.of_type("change_push")
    assert len(pushed) == 1
    # The erasure check's field goes to the server that reads it, and only there.
    assert ("seen" in pushed[0]) is not received.older
