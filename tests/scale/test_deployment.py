"""The sample deployment of docs/deploy: HAProxy (TCP mode, health-checked) in front of two instances. A
client that knows only the load balancer's URL survives the kill -9 of the instance it was on."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.client import ConnectionState, SyncClient
from sync.protocol import Role, Whisper
from sync.store import TeamStore
from tests.conftest import ROOT
from tests.scale.services import Instance, Redis, free_port
from tests.sync.conftest import wait_until


@pytest.fixture
def balanced(pg_url: str, redis_server: Redis, tmp_path: Path) -> Iterator[tuple[str, list[Instance]]]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.skip("needs haproxy (Debian package haproxy; ./run installs it)")
    instances = [Instance(name, pg_url, redis_server.url, tmp_path) for name in ("a", "b")]
    front = free_port()
    config = (ROOT / "docs" / "deploy" / "haproxy.cfg").read_text(encoding="utf-8")
    config = config.replace("0.0.0.0:8765", f"127.0.0.1:{front}")
    for instance, sample_port in zip(instances, (8801, 8802), strict=True):
        config = config.replace(f"127.0.0.1:{sample_port}", f"127.0.0.1:{instance.port}")
    (tmp_path / "haproxy.cfg").write_text(config, encoding="utf-8")
    check = subprocess.run(
        [haproxy, "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    proxy: subprocess.Popen[bytes] | None = None
    try:
        for instance in instances:
            instance.start()
        proxy = subprocess.Popen(
            [haproxy, "-db", "-f", str(tmp_path / "haproxy.cfg")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        yield f"ws://127.0.0.1:{front}/", instances
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        for instance in instances:
            instance.stop()


def _connections(instance: Instance) -> int:
    if instance.process is None:
        return 0
    with urllib.request.urlopen(f"http://127.0.0.1:{instance.port}/health", timeout=5) as response:
        return int(json.loads(response.read())["connections"])


def test_a_client_behind_the_sample_load_balancer_survives_its_instance_being_killed(
    balanced: tuple[str, list[Instance]], pg_url: str, tmp_path: Path
) -> None:
    url, instances = balanced
    store = TeamStore(database=pg_url)
    try:
        tokens = {name: store.add_user(name, Role(role), "tokyo") for name, role in
                  (("sato", "agent"), ("suzuki", "supervisor"))}  # fmt: skip
    finally:
        store.close()
    received: list[Whisper] = []
    lock = threading.Lock()

    def on_whisper(whisper: Whisper) -> None:
        with lock:
            received.append(whisper)

    agent = SyncClient(url, tokens["sato"], tmp_path / "sato.sqlite3", first_backoff=0.1)
    agent.on_whisper = on_whisper
    supervisor = SyncClient(url, tokens["suzuki"], tmp_path / "suzuki.sqlite3", first_backoff=0.1)
    sent: list[str] = []
    try:
        agent.start()
        wait_until(lambda: agent.state is ConnectionState.CONNECTED, 15, "agent through the balancer")
        (agents_instance,) = [i for i in instances if _connections(i) == 1]
        supervisor.start()
        wait_until(
            lambda: supervisor.state is ConnectionState.CONNECTED, 15, "supervisor through the balancer"
        )
        # leastconn put them on different instances: every whisper crosses the backplane.
        assert [_connections(i) for i in instances] == [1, 1]
        sent.append(supervisor.send_whisper("sato", None, "一件目"))
        wait_until(lambda: len(received) == 1, what="first whisper")
        agents_instance.kill()
        for n in range(5):
            sent.append(supervisor.send_whisper("sato", None, f"after {n}"))
        wait_until(lambda: supervisor.pending_count() == 0, 15, "whispers acknowledged")
        wait_until(lambda: {w.whisper_id for w in received} == set(sent), 15, "every whisper at the agent")
        assert agent.state is ConnectionState.CONNECTED
        assert len(received) == len(sent)  # each shown once
    finally:
        agent.stop()
        supervisor.stop()
