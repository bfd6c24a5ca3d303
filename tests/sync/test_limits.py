"""Limits a user would notice: a supervisor whose client stops reading is dropped (close code 4008) while the
others keep getting the call and their whispers live, and a flooding client is told to slow down."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlparse

import pytest

from sync.server import CLOSE_SLOW_CONSUMER, ServerLimits
from tests.sync.conftest import RunningServer, wait_until


@pytest.fixture
def server_limits() -> ServerLimits:
    # The frame cap stays far away: what drops the stuck client here is bytes left unsent for longer than the
    # grace.
    return ServerLimits(
        slow_consumer_bytes=64 * 1024,
        slow_consumer_grace=0.5,
        # The stuck client reads its backlog only after the test saw it dropped: on a loaded machine that can
        # take longer than the default second, and the close frame it checks for would be cut off.
        slow_consumer_close_wait=30.0,
        rate_per_second=1e6,
        rate_burst=1_000_000,
    )


def _partial(n: int) -> dict[str, Any]:
    return {"call_id": "call-1", "channel": "customer", "kind": "partial", "start": 0.0, "end": 1.0,
            "text": f"{n} " + "お" * 3000, "confidence": 0.5, "segment_id": f"s{n}"}  # fmt: skip


class StuckClient:
    """A WebSocket client on a plain socket that completes the handshake, sends what it is told and then does
    not read at all until asked to, like an app frozen on a slow machine."""

    def __init__(self, url: str, token: str) -> None:
        address = urlparse(url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((address.hostname, address.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET / HTTP/1.1\r\nHost: {address.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: "
            f"Bearer {token}\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(1)  # byte by byte: nothing after the response is read yet
        assert self.buffer.startswith(b"HTTP/1.1 101"), self.buffer
        self.buffer = b""

    def send(self, frame: dict[str, Any]) -> None:
        payload = json.dumps(frame).encode()
        mask = os.urandom(4)
        header = bytes([0x81]) + (
            bytes([0x80 | len(payload)])
            if len(payload) < 126
            else bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        )
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def read_to_end(self) -> tuple[int, str] | None:
        """Read everything the server left; the close frame's code and reason, or None when it was cut off."""
        self.sock.settimeout(10)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            self.buffer += chunk
        data, at = self.buffer, 0
        while at + 2 <= len(data):
            opcode, length, at = data[at] & 0x0F, data[at + 1] & 0x7F, at + 2
            if length == 126:
                length, at = struct.unpack("!H", data[at : at + 2])[0], at + 2
            elif length == 127:
                length, at = struct.unpack("!Q", data[at : at + 8])[0], at + 8
            payload, at = data[at : at + length], at + length
            if opcode == 0x8 and len(payload) >= 2:
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()
        return None

    def close(self) -> None:
        self.sock.close()


def test_a_supervisor_that_stops_reading_is_dropped_and_everyone_else_stays_live(
    team_server: RunningServer,
) -> None:
    for name, role in (
        ("sato", "agent"),
        ("tanaka", "agent"),
        ("suzuki", "supervisor"),
        ("stuck", "supervisor"),
    ):
        team_server.add_user(name, role, "tokyo")
    agent = team_server.raw("sato")
    other_agent = team_server.raw("tanaka")
    follower = team_server.raw("suzuki")
    stuck = StuckClient(team_server.url, team_server.tokens["stuck"])
    server = team_server.thread.server
    try:
        agent.request("call_start", call_id="call-1")
        follower.request("subscribe", call_id="call-1")
        stuck.send({"v": 1, "type": "subscribe", "id": "s", "call_id": "call-1"})
        wait_until(
            lambda: any("call-1" in p.subscriptions for p in server._fanout.peers() if p.user.name == "stuck")
        )
        total = 300  # ~9 kB each: megabytes more than the stuck client's socket buffers and the 64 KiB limit
        got: set[int] = set()

        def read_follower() -> None:
            while len(got) < total:
                frame = follower.receive(10)
                if frame is None:
                    return
                if frame.get("event") == "transcript":
                    got.add(int(frame["transcript"]["text"].split()[0]))

        reader = threading.Thread(target=read_follower)
        reader.start()
        for n in range(total):
            agent.send("transcript", call_id="call-1", event=_partial(n))
        # While the stuck client's backlog piles up, another agent's whispers still arrive at once.
        for n in range(5):
            sent = time.monotonic()
            follower.send("whisper_send", whisper_id=f"w{n}", agent="tanaka", text=f"ヒント {n}")
            whisper = other_agent.wait_for(
                lambda f, n=n: f["type"] == "whisper" and f["whisper"]["whisper_id"] == f"w{n}", 5
            )
            assert time.monotonic() - sent < 1.0, f"whisper {n} took {time.monotonic() - sent:.2f} s"
            assert whisper["whisper"]["text"] == f"ヒント {n}"
        reader.join(60)
        assert len(got) == total, f"the reading follower got {len(got)} of {total}"

        wait_until(
            lambda: server.stats["slow_consumers_dropped"] == 1, 10, "the stuck supervisor to be dropped"
        )
        close = stuck.read_to_end()  # it reads again right away: the close frame is behind its backlog
        assert close == (CLOSE_SLOW_CONSUMER, "slow consumer: not reading fast enough")
        wait_until(
            lambda: all(p.user.name != "stuck" for p in server._fanout.peers()), what="the stuck one gone"
        )
        with urllib.request.urlopen(
            f"http://127.0.0.1:{team_server.thread.port}/health", timeout=5
        ) as response:
            assert json.loads(response.read())["slow_consumers_dropped"] == 1
        # The follower that kept reading was never at risk.
        assert {p.user.name for p in server._fanout.peers()} == {"sato", "tanaka", "suzuki"}
    finally:
        stuck.close()
        agent.close()
        other_agent.close()
        follower.close()


def test_flooding_client_is_told_to_slow_down(team_server: RunningServer) -> None:
    team_server.thread.server.limits = ServerLimits(rate_per_second=10, rate_burst=20)
    team_server.add_user("sato", "agent", "tokyo")
    client = team_server.raw("sato")  # its bucket was made with the limits above
    try:
        for _ in range(60):
            client.send("list_presence")
        frames = [client.receive(5) for _ in range(60)]
        codes = [f.get("code") for f in frames if f is not None]
        assert "rate_limited" in codes
        assert sum(1 for f in frames if f is not None and f["type"] == "ack") >= 15
    finally:
        client.close()


def test_whispers_to_made_up_agents_are_refused_and_leave_nothing_behind(team_server: RunningServer) -> None:
    team_server.add_user("suzuki", "supervisor", "tokyo")
    team_server.add_user("sato", "agent", "tokyo")
    supervisor = team_server.raw("suzuki")
    try:
        for n in range(50):
            reply = supervisor.request("whisper_send", whisper_id=f"w{n}", agent=f"nobody-{n}", text="?")
            assert reply["type"] == "error" and reply["code"] == "forbidden", reply
        assert (
            supervisor.request("whisper_send", whisper_id="ok", agent="sato", text="どうぞ")["type"] == "ack"
        )
        # The per-agent ordering locks are made for names straight from requests: none may stay once unused.
        assert len(team_server.thread.server._agent_locks) == 0
    finally:
        supervisor.close()
