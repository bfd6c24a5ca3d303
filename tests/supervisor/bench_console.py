"""Benchmark: does the supervisor console stay responsive while a busy team talks?

A real team server on loopback, AGENTS scripted agent clients each on a live call saying a final line every
FINAL_EVERY seconds (some of them frustrated), the followed call also streaming partials, and the console
(offscreen) whispering to the followed agent every two seconds. Printed: the Qt event-loop stall (how late a
10 ms timer fires), the time a board redraw takes, transcript latency from the agent's publish to the
console's main thread, whisper time to "delivered" as the console sees it, and the process's memory.

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.supervisor.bench_console [--agents 40] [--seconds 20]

Everything (server, agents, console) shares this one process and its cores, so the figures are an upper
bound of what a supervisor's PC sees; run it alone (the flock) for figures worth comparing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--final-every", type=float, default=2.0, help="seconds between finals per agent")
    args = parser.parse_args()

    import psutil
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from audio.events import Channel, EventKind, TranscriptEvent
    from desktop.supervisor.console import SupervisorConsole
    from desktop.supervisor.templates import WhisperTemplates
    from sync.client import ConnectionState, SyncClient
    from sync.protocol import Role
    from sync.server import ServerThread
    from sync.store import TeamStore

    app = QApplication([])
    root = Path(tempfile.mkdtemp(prefix="aa-bench-supervisor-"))
    os.environ["AGENT_ASSIST_HOME"] = str(root / "home")
    server = ServerThread(root / "server", "127.0.0.1", 0)
    server.start()
    store = TeamStore(root / "server")
    tokens = {
        f"agent{i:03d}": store.add_user(f"agent{i:03d}", Role.AGENT, "bench") for i in range(args.agents)
    }
    supervisor_token = store.add_user("lead", Role.SUPERVISOR, "bench")
    store.close()

    def wait(predicate: Any, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.005)

    agents: list[SyncClient] = []
    for name, token in tokens.items():
        client = SyncClient(server.url, token, root / "clients" / f"{name}.sqlite3")
        client.start()
        agents.append(client)
    wait(lambda: all(a.state is ConnectionState.CONNECTED for a in agents), "agents connected")

    sup_client = SyncClient(server.url, supervisor_token, root / "clients" / "lead.sqlite3")
    console = SupervisorConsole(sup_client, templates=WhisperTemplates(root / "templates.json"))
    console.resize(1400, 860)
    console.show()
    wait(lambda: sup_client.state is ConnectionState.CONNECTED, "console connected")

    for i, agent in enumerate(agents):
        agent.call_started(f"call-{i:03d}", {"id": f"cust-{i}", "name": f"顧客 {i}"})
    wait(lambda: console.board_view.rowCount() == args.agents, "every call on the board")
    followed = "call-000"
    console.follow_call(followed)
    wait(lambda: console.following == followed and "live" in console.follow_title.text(), "following")

    published: dict[tuple[str, str, str], float] = {}
    lock = threading.Lock()
    latencies: list[float] = []
    whisper_sent: dict[str, float] = {}
    whisper_rtt: list[float] = []

    def on_event(body: dict[str, Any]) -> None:
        line = body.get("transcript")
        if body.get("event") == "transcript" and isinstance(line, dict):
            key = (str(body.get("call_id")), str(line.get("segment_id")), str(line.get("kind")))
            with lock:
                start = published.pop(key, None)
            if start is not None:
                latencies.append(time.perf_counter() - start)

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

    lines = ["何度も電話しているのにまだ直っていません", "請求書の金額を確認したいです", "ありがとうございます",
             "The connection keeps dropping every evening", "Could you check my contract?", "はい、承知しました"]  # fmt: skip
    stop = threading.Event()

    def speak(index: int, agent: SyncClient) -> None:
        rng = random.Random(index)
        n = 0
        next_at = time.perf_counter() + rng.uniform(0, args.final_every)
        while not stop.is_set():
            now = time.perf_counter()
            if now < next_at:
                stop.wait(min(0.05, next_at - now))
                continue
            n += 1
            call_id = f"call-{index:03d}"
            channel = Channel.CUSTOMER if n % 2 else Channel.AGENT
            kinds = (
                (EventKind.PARTIAL, EventKind.PARTIAL, EventKind.FINAL) if index == 0 else (EventKind.FINAL,)
            )
            for kind in kinds:
                event = TranscriptEvent(
                    call_id, channel, kind, n * 3.0, n * 3.0 + 2, rng.choice(lines), 0.9, f"seg-{n}"
                )
                with lock:
                    published[(call_id, event.segment_id, kind.value)] = time.perf_counter()
                agent.publish_transcript(event.to_json())
            next_at += args.final_every

    speakers = [threading.Thread(target=speak, args=(i, a), daemon=True) for i, a in enumerate(agents)]
    for thread in speakers:
        thread.start()

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

    def whisper() -> None:
        console.send_whisper("まずお詫びと要約を")

    # The whisper's clock starts when the console hands it to the client (on the console's request thread).
    original_send = sup_client.send_whisper

    def timed_send(*a: Any, **k: Any) -> str:
        t0 = time.perf_counter()
        whisper_id = original_send(*a, **k)
        whisper_sent[whisper_id] = t0
        return whisper_id

    sup_client.send_whisper = timed_send  # type: ignore[method-assign]
    whisperer = QTimer()
    whisperer.setInterval(2000)
    whisperer.timeout.connect(whisper)
    whisperer.start()

    end = time.perf_counter() + args.seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    stop.set()
    heartbeat.stop()
    whisperer.stop()
    rss = psutil.Process().memory_info().rss / 2**20

    finals = args.agents / args.final_every
    print(f"supervisor console benchmark: {args.agents} agents on live calls, ~{finals:.0f} finals/s to the board, "
          f"followed call streaming partials, {args.seconds:.0f} s, cpu count {os.cpu_count()}")  # fmt: skip
    ms = 1000.0
    print(f"  event-loop stall (10 ms timer lateness): p50 {_percentile(stalls, 0.5) * ms:.1f} ms, "
          f"p99 {_percentile(stalls, 0.99) * ms:.1f} ms, max {max(stalls, default=0) * ms:.1f} ms ({len(stalls)} beats)")  # fmt: skip
    print(f"  board redraw ({args.agents} rows): p50 {_percentile(render_times, 0.5) * ms:.1f} ms, "
          f"p99 {_percentile(render_times, 0.99) * ms:.1f} ms ({len(render_times)} redraws)")  # fmt: skip
    print(f"  transcript publish -> console main thread: p50 {_percentile(latencies, 0.5) * ms:.1f} ms, "
          f"p99 {_percentile(latencies, 0.99) * ms:.1f} ms ({len(latencies)} lines)")  # fmt: skip
    print(f"  whisper send -> 'delivered' on the console: p50 {_percentile(whisper_rtt, 0.5) * ms:.1f} ms, "
          f"p99 {_percentile(whisper_rtt, 0.99) * ms:.1f} ms ({len(whisper_rtt)} whispers)")  # fmt: skip
    print(f"  process RSS (server + {args.agents} agent clients + console): {rss:.0f} MiB")
    if statistics.mean(stalls or [0]) > 0.05:
        print("  note: high stalls; the machine may be busy (other benchmarks, other engineers)")

    console.shutdown()
    sup_client.stop()
    for agent in agents:
        agent.stop()
    server.stop()


if __name__ == "__main__":
    main()
