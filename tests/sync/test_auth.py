"""Who gets in: forged, expired and revoked tokens are refused with HTTP 401 before the WebSocket upgrade."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from sync.client import ConnectionState, SyncClient
from sync.protocol import Role
from sync.server import ServerLimits
from sync.store import TeamStore
from tests.sync.conftest import RunningServer, wait_until


def _status_of_handshake(url: str, headers: dict[str, str]) -> int:
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers, proxy=None, open_timeout=5)
    return refused.value.response.status_code


def test_missing_forged_expired_and_revoked_tokens_get_401(team_server: RunningServer) -> None:
    good = team_server.add_user("sato", "agent", "tokyo")
    expired = team_server.add_user("old", "agent", "tokyo", expires_at=time.time() - 1)
    revoked = team_server.add_user("gone", "agent", "tokyo")
    store = TeamStore(team_server.data_dir)
    store.revoke_user("gone")
    store.close()
    url = team_server.url

    assert _status_of_handshake(url, {}) == 401
    assert _status_of_handshake(url, {"Authorization": "Basic c2F0bzpwdw=="}) == 401
    assert _status_of_handshake(url, {"Authorization": "Bearer " + good[:-2] + "xx"}) == 401
    assert _status_of_handshake(url, {"Authorization": "Bearer " + expired}) == 401
    assert _status_of_handshake(url, {"Authorization": "Bearer " + revoked}) == 401
    with connect(url, additional_headers={"Authorization": "Bearer " + good}, proxy=None) as ws:
        welcome = json.loads(ws.recv(timeout=5))
        assert (welcome["type"], welcome["user"], welcome["role"], welcome["team"]) == (
            "welcome",
            "sato",
            "agent",
            "tokyo",
        )

    store = TeamStore(team_server.data_dir)
    try:
        failures = [e for e in store.audit_since("tokyo", 0, 100) if e.action == "login_failed"]
    finally:
        store.close()
    missing = {"no Authorization header", "no bearer token in the Authorization header"}
    reasons = sorted(e.detail["reason"] for e in failures)
    # Refusals without any token are audited too (server-wide, team "-"), saying why.
    assert reasons == sorted(["expired token of old", "revoked token of gone", "unknown token", *missing]), (
        reasons
    )


def test_health_endpoint_answers_json(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.raw("sato").close()  # one durable-log read at least: the resume replay
    with urllib.request.urlopen(f"http://127.0.0.1:{team_server.thread.port}/health", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        health = json.loads(response.read())
    assert health["status"] == "ok"
    assert health["slow_consumers_dropped"] == 0
    assert health["durable_commits"] <= health["durable_calls"]
    assert health["durable_reads"] >= 1


def test_client_with_a_revoked_token_goes_offline_and_says_why(
    team_server: RunningServer, tmp_path: Path
) -> None:
    token = team_server.add_user("sato", "agent", "tokyo")
    store = TeamStore(team_server.data_dir)
    store.revoke_user("sato")
    store.close()
    client = SyncClient(team_server.url, token, tmp_path / "client.sqlite3")
    states: list[tuple[ConnectionState, str]] = []
    client.on_connection_state = lambda state, reason: states.append((state, reason))
    client.start()
    try:
        wait_until(
            lambda: any(s is ConnectionState.OFFLINE and "401" in r for s, r in states),
            what="offline with 401",
        )
        assert ConnectionState.CONNECTED not in [s for s, _ in states]
    finally:
        client.stop()


@pytest.fixture
def server_limits() -> ServerLimits:
    return ServerLimits(recheck_tokens_every=0.1)


def test_revoking_a_user_closes_their_open_connection(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("tanaka", "agent", "tokyo")
    revoked = team_server.raw("sato")
    kept = team_server.raw("tanaka")
    try:
        store = TeamStore(team_server.data_dir)
        store.revoke_user("sato")
        store.close()
        with pytest.raises(ConnectionClosed) as closed:
            revoked.wait_for(lambda frame: False, timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert "revoked" in closed.value.rcvd.reason
        assert kept.request("list_presence")["type"] == "ack"
    finally:
        revoked.close()
        kept.close()


def test_every_issued_token_can_be_given_after_token_on_a_command_line(tmp_path: Path) -> None:
    """A token starting with "-" was read by argparse as another option ("--token: expected one argument"):
    about one token in 64 could not be pasted into `agent-assist review delete-customer ... --token`."""
    from desktop.cli import build_parser

    store = TeamStore(tmp_path)
    try:
        tokens = [store.add_user(f"agent{n}", Role.AGENT, "tokyo") for n in range(300)]
    finally:
        store.close()
    parser = build_parser()
    for token in tokens:
        args = parser.parse_args(
            ["review", "delete-customer", "c-1", "--server", "ws://127.0.0.1:1", "--token", token]
        )
        assert args.token == token
