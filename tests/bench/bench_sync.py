"""Team server benchmark on loopback: 500 agents and 25 supervisors on raw WebSocket connections.

Run on purpose (it prints its figures; nothing is asserted):

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_sync

The server runs as its own process (``python -m sync.cli serve``) so its memory can be read and its CPU is not
shared with the 525 client connections, which live in this process on one asyncio loop. Five teams of 100 agents
and 5 supervisors; 10 live calls per team publish transcript partials and finals, every supervisor follows all
of its team's calls (transcript frames, and once a second the cards the agent sees, ~2 kB), and the supervisors
whisper to agents of their team. Figures:

* server start-up time (to the "listening" line);
* server memory per idle connection (RSS growth over 525 connected, idle clients);
* whisper delivery latency (supervisor send -> agent receives the whisper frame) p50/p99;
* shared note latency (agent pushes a note -> every teammate's connection receives the change) p99;
* transcript fan-out latency (agent send -> each following supervisor receives it) p99;
* the same with one supervisor that stops reading: the others' p99, and whether the slow one was dropped.

Goals (issue 5): whisper p50 <= 10 ms, p99 <= 50 ms; fan-out p99 <= 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from sync.protocol import Role
from sync.store import TeamStore

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Member:
    name: str
    role: Role
    team: str
    token: str
    ws: ClientConnection | None = None
    reading: bool = True
    closed: bool = False
    reader: asyncio.Task[None] | None = None
    calls: list[str] = field(default_factory=list)


@dataclass
class Measurements:
    whisper_sent: dict[str, float] = field(default_factory=dict)
    whisper_latency: list[float] = field(default_factory=list)
    event_sent: dict[str, float] = field(default_factory=dict)
    fanout_latency: list[float] = field(default_factory=list)
    change_sent: dict[str, float] = field(default_factory=dict)
    change_latency: list[float] = field(default_factory=list)

    def reset(self) -> None:
        self.whisper_latency.clear()
        self.fanout_latency.clear()
        self.change_latency.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _frame(type_: str, **fields: Any) -> str:
    return json.dumps({"v": 1, "type": type_, "id": os.urandom(8).hex(), **fields}, ensure_ascii=False)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def _reader(member: Member, m: Measurements) -> None:
    assert member.ws is not None
    try:
        async for raw in member.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "whisper":
                sent = m.whisper_sent.get(frame["whisper"]["whisper_id"])
                if sent is not None:
                    m.whisper_latency.append(now - sent)
            elif kind == "change":
                sent = m.change_sent.get(frame["change"]["change_id"])
                if sent is not None:
                    m.change_latency.append(now - sent)
            elif kind == "call_event" and frame.get("event") == "transcript":
                sent = m.event_sent.get(frame["transcript"]["segment_id"] + frame["transcript"]["kind"])
                if sent is not None:
                    m.fanout_latency.append(now - sent)
            while not member.reading:
                await asyncio.sleep(3600)
    except ConnectionClosed:
        member.closed = True


async def _connect(member: Member, url: str, m: Measurements, port: int, small_buffer: bool = False) -> None:
    sock = None
    if small_buffer:
        # A client on a bad link: a small fixed receive window instead of Linux's autotuned megabytes.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    member.ws = await connect(
        url, additional_headers={"Authorization": f"Bearer {member.token}"}, compression=None, proxy=None,
        open_timeout=60, ping_interval=None, max_queue=16, sock=sock,
    )  # fmt: skip
    welcome = json.loads(await member.ws.recv())
    assert welcome["type"] == "welcome", welcome
    await member.ws.send(_frame("resume", whisper_after=0, feed_after=0))
    member.reader = asyncio.create_task(_reader(member, m))


async def _publish(agent: Member, call_id: str, duration: float, rate: float, m: Measurements) -> None:
    assert agent.ws is not None
    n = 0
    deadline = time.perf_counter() + duration
    await asyncio.sleep(random.uniform(0, 1 / rate))
    while time.perf_counter() < deadline:
        n += 1
        segment = f"{call_id}-{n // 4}"
        kind = "final" if n % 4 == 0 else "partial"
        event = {"call_id": call_id, "channel": random.choice(["agent", "customer"]), "kind": kind,
                 "start": n * 0.25, "end": n * 0.25 + 0.2, "text": "請求書が二重に届いています " * 2,
                 "confidence": 0.8, "segment_id": segment}  # fmt: skip
        m.event_sent[segment + kind] = time.perf_counter()
        await agent.ws.send(_frame("transcript", call_id=call_id, event=event))
        if n % round(rate) == 0:  # once a second: the cards and cues the agent sees, for the followers
            cards = [{"id": f"kb-{i}", "title": "請求書の再発行", "body": "再発行は会員ページから。" * 8} for i in range(3)]
            await agent.ws.send(_frame("call_update", call_id=call_id, info={"cards": cards, "cue": "frustration"}))
        await asyncio.sleep(1 / rate)


async def _whisper(sup: Member, agents: list[Member], duration: float, rate: float, m: Measurements) -> None:
    assert sup.ws is not None
    deadline = time.perf_counter() + duration
    await asyncio.sleep(random.uniform(0, 1 / rate))
    while time.perf_counter() < deadline:
        agent = random.choice(agents)
        whisper_id = os.urandom(12).hex()
        m.whisper_sent[whisper_id] = time.perf_counter()
        try:
            await sup.ws.send(_frame("whisper_send", whisper_id=whisper_id, agent=agent.name, text="まずお詫びと要約を"))
        except ConnectionClosed:
            return
        await asyncio.sleep(1 / rate)


async def _share_notes(agents: list[Member], duration: float, rate: float, m: Measurements) -> None:
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        author = random.choice(agents)
        assert author.ws is not None
        change_id = os.urandom(12).hex()
        m.change_sent[change_id] = time.perf_counter()
        await author.ws.send(_frame("change_push", change_id=change_id, kind="note", record_id=change_id,
                                    record={"text": "次回は請求書の再発行を確認"}))  # fmt: skip
        await asyncio.sleep(1 / rate)


async def _phase(label: str, teams: dict[str, tuple[list[Member], list[Member]]], args: argparse.Namespace,
                 m: Measurements, exclude: Member | None = None) -> dict[str, float]:  # fmt: skip
    m.reset()
    jobs = []
    for agents, sups in teams.values():
        for agent in agents:
            for call_id in agent.calls:
                jobs.append(_publish(agent, call_id, args.seconds, args.event_rate, m))
        for sup in sups:
            if sup is not exclude:
                jobs.append(_whisper(sup, agents, args.seconds, args.whisper_rate, m))
        jobs.append(_share_notes(agents, args.seconds, args.note_rate, m))
    await asyncio.gather(*jobs)
    await asyncio.sleep(1.0)  # let the last frames arrive
    result = {
        "whispers": len(m.whisper_latency),
        "whisper_p50_ms": _pct(m.whisper_latency, 50),
        "whisper_p99_ms": _pct(m.whisper_latency, 99),
        "fanout_frames": len(m.fanout_latency),
        "fanout_p50_ms": _pct(m.fanout_latency, 50),
        "fanout_p99_ms": _pct(m.fanout_latency, 99),
        "note_deliveries": len(m.change_latency),
        "note_p99_ms": _pct(m.change_latency, 99),
    }
    print(f"  {label}: " + ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))
    return result


async def run(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    store = TeamStore(data)
    teams: dict[str, tuple[list[Member], list[Member]]] = {}
    per_team_agents = args.agents // args.teams
    per_team_sups = args.supervisors // args.teams
    for t in range(args.teams):
        team = f"team{t}"
        agents = [Member(f"a{t}-{i}", Role.AGENT, team, "") for i in range(per_team_agents)]
        sups = [Member(f"s{t}-{i}", Role.SUPERVISOR, team, "") for i in range(per_team_sups)]
        for member in agents + sups:
            member.token = store.add_user(member.name, member.role, team)
        teams[team] = (agents, sups)
    store.close()

    port = _free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "serve", "--port", str(port), "--data", str(data), "--max-queue", str(args.max_queue)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    startup = time.perf_counter() - started
    assert re.search(r"listening", line), line
    server = psutil.Process(proc.pid)
    url = f"ws://127.0.0.1:{port}/"
    m = Measurements()
    try:
        print(f"server start-up (process spawn to listening): {startup * 1000:.0f} ms")
        rss_before = server.memory_info().rss
        members = [mb for agents, sups in teams.values() for mb in agents + sups]
        t0 = time.perf_counter()
        slow = teams["team0"][1][0]
        for start in range(0, len(members), 50):
            await asyncio.gather(*(_connect(mb, url, m, port, mb is slow) for mb in members[start : start + 50]))
        print(f"connected {len(members)} clients in {time.perf_counter() - t0:.1f} s")
        await asyncio.sleep(3.0)  # presence fan-out of the connect storm settles
        rss_after = server.memory_info().rss
        print(f"server RSS: {rss_before / 2**20:.1f} MiB idle -> {rss_after / 2**20:.1f} MiB with {len(members)} "
              f"idle connections = {(rss_after - rss_before) / len(members) / 1024:.1f} KiB per connection")  # fmt: skip

        for agents, _sups in teams.values():
            for agent in agents[: args.calls_per_team]:
                call_id = f"call-{agent.name}"
                agent.calls.append(call_id)
                assert agent.ws is not None
                await agent.ws.send(_frame("call_start", call_id=call_id, customer={"id": "c-" + agent.name}))
        await asyncio.sleep(1.0)
        for agents, sups in teams.values():
            for sup in sups:
                assert sup.ws is not None
                for agent in agents[: args.calls_per_team]:
                    await sup.ws.send(_frame("subscribe", call_id=agent.calls[0]))
        await asyncio.sleep(1.0)
        calls = args.teams * args.calls_per_team
        print(f"load: {calls} live calls x {args.event_rate:g} transcript frames/s, each followed by {per_team_sups} "
              f"supervisors; {args.supervisors} supervisors x {args.whisper_rate:g} whispers/s; {args.seconds:g} s per phase")  # fmt: skip
        cpu0 = server.cpu_times()
        normal = await _phase("all reading", teams, args, m)
        cpu1 = server.cpu_times()
        print(f"  server CPU during the phase: {((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / args.seconds * 100:.0f}% of one core")

        slow.reading = False
        slowed = await _phase("one supervisor not reading", teams, args, m, exclude=slow)
        await asyncio.sleep(1.0)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
            health = json.loads(response.read())
        print(f"  slow consumer {slow.name}: the server dropped {health['slow_consumers_dropped']} slow consumer(s)")
        after = await _phase("after the slow one", teams, args, m, exclude=slow)
        print(f"others' whisper p99 {normal['whisper_p99_ms']:.1f} -> {slowed['whisper_p99_ms']:.1f} -> {after['whisper_p99_ms']:.1f} ms; "
              f"fan-out p99 {normal['fanout_p99_ms']:.1f} -> {slowed['fanout_p99_ms']:.1f} -> {after['fanout_p99_ms']:.1f} ms "
              "(before / with / after the slow consumer)")
        print(f"load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other engineers share this machine)")
        print(f"goals: whisper p50 <= 10 ms ({normal['whisper_p50_ms']:.1f}), p99 <= 50 ms "
              f"({normal['whisper_p99_ms']:.1f}), fan-out p99 <= 100 ms ({normal['fanout_p99_ms']:.1f})")
    finally:
        for mb in [mb for agents, sups in teams.values() for mb in agents + sups]:
            if mb.reader is not None:
                mb.reader.cancel()
            if mb.ws is not None:
                mb.ws.transport.abort()
        proc.terminate()
        proc.communicate(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--supervisors", type=int, default=25)
    parser.add_argument("--teams", type=int, default=5)
    parser.add_argument("--calls-per-team", type=int, default=10)
    parser.add_argument("--event-rate", type=float, default=4.0, help="transcript frames per second per call")
    parser.add_argument("--whisper-rate", type=float, default=2.0, help="whispers per second per supervisor")
    parser.add_argument("--note-rate", type=float, default=1.0, help="shared notes per second per team (to all its members)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each measured phase")
    parser.add_argument("--max-queue", type=int, default=200, help="server's per-connection send queue (frames)")
    args = parser.parse_args()
    random.seed(1)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
