"""Limits a user would notice: a follower that stops reading is dropped while the others keep getting the call
live, and a flooding client is told to slow down."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from websockets.sync.client import connect

from sync.server import ServerLimits
from tests.sync.conftest import RunningServer, wait_until


@pytest.fixture
def server_limits() -> ServerLimits:
    return ServerLimits(send_queue_frames=50, rate_per_second=1e6, rate_burst=1_000_000)


def _partial(n: int) -> dict[str, Any]:
    return {"call_id": "call-1", "channel": "customer", "kind": "partial", "start": 0.0, "end": 1.0,
            "text": f"{n} " + "お" * 3000, "confidence": 0.5, "segment_id": f"s{n}"}  # fmt: skip


def test_a_follower_that_stops_reading_is_dropped_and_the_others_get_everything(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    team_server.add_user("stuck", "supervisor", "tokyo")
    agent = team_server.raw("sato")
    follower = team_server.raw("suzuki")
    # max_queue=1 and a tiny receive buffer: this client stops reading after the first frames.
    stuck = connect(team_server.url, additional_headers={"Authorization": "Bearer " + team_server.tokens["stuck"]},
                    proxy=None, max_queue=1, close_timeout=0.5, legacy=True)  # fmt: skip
    try:
        agent.request("call_start", call_id="call-1")
        follower.request("subscribe", call_id="call-1")
        stuck.send(json.dumps({"v": 1, "type": "subscribe", "id": "s", "call_id": "call-1"}))
        server = team_server.thread.server
        wait_until(lambda: any("call-1" in p.subscriptions for p in server._fanout.peers() if p.user.name == "stuck"))
        total = 800  # ~9 kB each: far more than the socket buffers plus a 50-frame queue
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
        reader.join(60)
        assert len(got) == total, f"the reading follower got {len(got)} of {total}"
        assert server.stats["slow_consumers_dropped"] == 1
        assert all(p.user.name != "stuck" for p in server._fanout.peers())
    finally:
        stuck.close()
        agent.close()
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
