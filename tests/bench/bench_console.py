"""Benchmark: does the supervisor console stay responsive while a busy team talks?

A child process runs a real team server on loopback and AGENTS scripted agent clients, each on a live call
saying a final line every FINAL_EVERY seconds (some of them frustrated); the followed call also streams
partials. This process is the supervisor's PC: the console (offscreen) follows one call and whispers to its
agent every two seconds. Printed: the Qt event-loop stall (how late a 10 ms timer fires), the time a board
redraw takes, transcript latency from the agent's publish to the console's main thread (wall clock, same
machine), whisper time to "delivered" as the console sees it, and the console process's memory.

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_console [--agents 40] [--seconds 20]

Both processes share the machine's cores, and on a shared machine other work competes too: figures are an
upper bound of what a supervisor's PC sees.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sync.protocol import SharedCustomer, convert

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LINES = [
    "何度も電話しているのにまだ直っていません",
    "請求書の金額を確認したいです",
    "ありがとうございます",
    "The connection keeps dropping every evening",
    "Could you check my contract?",
    "はい、承知しました",
]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_team(root: Path, agents: int, final_every: float) -> None:
    """The child: server + agents. Prints {"url", "token"} once everyone is on a call, then talks until stdin
    closes."""
    from audio.events import Channel, EventKind, TranscriptEvent
    from sync.client import ConnectionState, SyncClient
    from sync.protocol import Role
    from sync.server import ServerThread
    from sync.store import TeamStore

    server = ServerThread(root / "server", "127.0.0.1", 0)
    server.start()
    store = TeamStore(root / "server")
    tokens = {f"agent{i:03d}": store.add_user(f"agent{i:03d}", Role.AGENT, "bench") for i in range(agents)}
    supervisor_token = store.add_user("lead", Role.SUPERVISOR, "bench")
    store.close()
    clients = []
    for name, token in tokens.items():
        client = SyncClient(server.url, token, root / "clients" / f"{name}.sqlite3")
        client.start()
        clients.append(client)
    deadline = time.monotonic() + 60
    while not all(c.state is ConnectionState.CONNECTED for c in clients):
        if time.monotonic() > deadline:
            raise SystemExit("agents did not connect")
        time.sleep(0.01)
    for i, client in enumerate(clients):
        client.call_started(
            f"call-{i:03d}", convert({"id": f"cust-{i}", "name": f"顧客 {i}"}, SharedCustomer)
        )
    print(json.dumps({"url": server.url, "token": supervisor_token}), flush=True)

    stop = threading.Event()

    def speak(index: int, agent: SyncClient) -> None:
        rng = random.Random(index)
        n = 0
        next_at = time.monotonic() + rng.uniform(0, final_every)
        while not stop.is_set():
            if stop.wait(max(0.0, next_at - time.monotonic())):
                return
            n += 1
            call_id = f"call-{index:03d}"
            channel = Channel.CUSTOMER if n % 2 else Channel.AGENT
            kinds = (
                (EventKind.PARTIAL, EventKind.PARTIAL, EventKind.FINAL) if index == 0 else (EventKind.FINAL,)
            )
            for kind in kinds:
                # emitted_at carries the wall clock of the publish, read back by the console process.
                event = TranscriptEvent(call_id, channel, kind, n * 3.0, n * 3.0 + 2, rng.choice(LINES), 0.9,
                                        f"seg-{n}", emitted_at=time.time())  # fmt: skip
                agent.publish_transcript(event)
            next_at += final_every

    threads = [threading.Thread(target=speak, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    sys.stdin.read()  # the parent closes our stdin when it is done
    stop.set()
    for client in clients:
        client.stop(timeout=2)
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--final-every", type=float, default=2.0, help="seconds between finals per agent")
    parser.add_argument("--team-process", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.team_process:
        run_team(Path(args.team_process), args.agents, args.final_every)
        return

    import psutil
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.supervisor.console import SupervisorConsole
    from desktop.supervisor.templates import WhisperTemplates
    from sync.client import ConnectionState, SyncClient

    root = Path(tempfile.mkdtemp(prefix="aa-bench-supervisor-"))
    os.environ["AGENT_ASSIST_HOME"] = str(root / "home")
    team = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.bench_console", "--team-process", str(root),
         "--agents", str(args.agents), "--final-every", str(args.final_every)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert team.stdout is not None and team.stdin is not None
    hello = json.loads(team.stdout.readline())

    app = QApplication([])

    def wait(predicate: Any, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.005)

    sup_client = SyncClient(hello["url"], hello["token"], root / "clients" / "lead.sqlite3")
    console = SupervisorConsole(sup_client, templates=WhisperTemplates(root / "templates.json"))
    console.resize(1400, 860)
    console.show()
    wait(lambda: sup_client.state is ConnectionState.CONNECTED, "console connected")
    wait(lambda: console.board_view.rowCount() == args.agents, "every call on the board")
    followed = "call-000"
    console.follow_call(followed)
    wait(lambda: "live" in console.follow_title.text(), "following")

    latencies: list[float] = []
    whisper_sent: dict[str, float] = {}
    whisper_rtt: list[float] = []

    def on_event(body: dict[str, Any]) -> None:
        line = body.get("transcript")
        if body.get("event") == "transcript" and isinstance(line, dict) and line.get("emitted_at"):
            latencies.append(time.time() - float(line["emitted_at"]))

    def on_status(body: dict[str, Any]) -> None:
        start = (
            whisper_sent.pop(str(body.get("whisper_id")), None) if body.get("status") == "delivered" else None
        )
        if start is not None:
            whisper_rtt.append(time.perf_counter() - start)

    console.bridge.call_event.connect(on_event)
    console.bridge.whisper_status.connect(on_status)

    render_times: list[float] = []
    original_render = console.board_view.render

    def timed_render(*a: Any, **k: Any) -> None:
        t0 = time.perf_counter()
        original_render(*a, **k)
        render_times.append(time.perf_counter() - t0)

    console.board_view.render = timed_render  # type: ignore[method-assign]

    # The whisper's clock starts when the console hands it to the client (on the console's request thread).
    original_send = sup_client.send_whisper

    def timed_send(*a: Any, **k: Any) -> str:
        t0 = time.perf_counter()
        whisper_id = original_send(*a, **k)
        whisper_sent[whisper_id] = t0
        return whisper_id

    sup_client.send_whisper = timed_send  # type: ignore[method-assign]

    stalls: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        stalls.append(max(0.0, now - last[0] - 0.010))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    whisperer = QTimer()
    whisperer.setInterval(2000)
    whisperer.timeout.connect(lambda: console.send_whisper("まずお詫びと要約を"))
    whisperer.start()

    end = time.perf_counter() + args.seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    heartbeat.stop()
    whisperer.stop()
    rss = psutil.Process().memory_info().rss / 2**20
    load = os.getloadavg()[0]

    ms = 1000.0
    print(f"supervisor console benchmark: {args.agents} agents on live calls (child process), "
          f"~{args.agents / args.final_every:.0f} finals/s to the board, followed call streaming partials, "
          f"{args.seconds:.0f} s, {os.cpu_count()} cores, load average {load:.1f}")  # fmt: skip
    print(
        f"  event-loop stall (10 ms timer lateness): p50 {_percentile(stalls, 0.5) * ms:.1f} ms, "
        f"p99 {_percentile(stalls, 0.99) * ms:.1f} ms, max {max(stalls, default=0) * ms:.1f} ms "
        f"({len(stalls)} beats)"
    )
    print(f"  board redraw ({args.agents} rows): p50 {_percentile(render_times, 0.5) * ms:.1f} ms, "
          f"p99 {_percentile(render_times, 0.99) * ms:.1f} ms ({len(render_times)} redraws)")  # fmt: skip
    print(f"  transcript publish -> console main thread: p50 {_percentile(latencies, 0.5) * ms:.1f} ms, "
          f"p99 {_percentile(latencies, 0.99) * ms:.1f} ms ({len(latencies)} lines)")  # fmt: skip
    print(f"  whisper send -> 'delivered' on the console: p50 {_percentile(whisper_rtt, 0.5) * ms:.1f} ms, "
          f"p99 {_percentile(whisper_rtt, 0.99) * ms:.1f} ms ({len(whisper_rtt)} whispers)")  # fmt: skip
    print(f"  console process RSS: {rss:.0f} MiB")
    if load > (os.cpu_count() or 1):
        print("  note: the machine was busy (load above the core count); figures are contended")

    console.shutdown()
    sup_client.stop()
    team.stdin.close()
    team.wait(timeout=30)


if __name__ == "__main__":
    main()
