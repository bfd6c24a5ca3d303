"""Several team-server instances on one PostgreSQL and one Redis, on loopback (issue 20).

Run on purpose (it prints its figures; nothing is asserted), under the machine's CPU lock:

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_scale --instances 2 --kills 30
    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_scale --instances 3 --kills 30

It starts a real PostgreSQL cluster and a real redis-server in temp dirs (Debian's binaries, as the tests do),
``--instances`` processes of ``agent-assist-server serve --database ... --redis ...``, and ``--workers``
client processes holding ``--clients`` raw WebSocket connections spread evenly over the instances (client k
starts on instance k mod N and knows every instance's URL, after a failure another one at random, as
SyncClient does). Teams of 100: 95 agents and 5 supervisors. Every measured frame carries its send time
(``time.monotonic_ns()``, one clock for the machine), so whichever process receives it computes the latency.

Phase 1, cross-instance latency (``--phase-seconds``): supervisors on instance 0 whisper to agents of their
team on the other instances (20/s); the agent marks each read at once and the read receipt travels back;
agents on the other instances publish transcript finals of live calls (20/s), which reach every supervisor of
the team. Figures: whisper via A to an agent on B, receipt back across instances, transcript line across
instances.

Phase 2, kill -9: whispers flow through every instance (supervisors on all of them, to agents on all of them,
``--kill-rate``/s); every ``--kill-every`` seconds one instance (in turn) is killed with SIGKILL and started
again one second later. Senders keep unacknowledged whispers and send them again (same id) after reconnecting;
agents resume from the highest seq they hold. Figures: acknowledged whispers lost (acked, never received), the
same whisper_id stored twice, frames delivered again (the client shows each id once), and for every agent
connection the killed instance held, the time from the kill to its resume acknowledged by another instance.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from sync.protocol import Role
from sync.store import TeamStore
from tests.scale.services import Instance, Postgres, Redis, missing_binaries

TEAM_SIZE = 100
SUPERVISORS_PER_TEAM = 5


@dataclass
class Member:
    index: int
    name: str
    role: str
    team: str
    token: str
    urls: list[str]  # every instance's URL

    @property
    def home(self) -> int:
        return self.index % len(self.urls)


@dataclass
class Plan:
    members: list[Member]
    instances: int
    phase1_start: float  # monotonic seconds
    phase1_end: float
    phase2_start: float
    phase2_end: float
    finish: float
    whisper_rate: float
    transcript_rate: float
    kill_rate: float
    workers: int


def _ns() -> int:
    return time.monotonic_ns()


class Client:
    def __init__(self, member: Member, worker: Worker) -> None:
        self.m = member
        self.w = worker
        self.ws: ClientConnection | None = None
        self.resumed = asyncio.Event()
        self.url = ""
        self.seqs: set[int] = set()
        self.pending: dict[str, str] = {}  # whisper_id -> frame (sent, not acknowledged)
        self.lost_at: float | None = None
        self.lost_url = ""
        self.open_at = 0.0  # when the handshake of the current connection completed
        self.attempts = 0  # connection attempts since the connection was lost

    def contiguous(self) -> int:
        n = 0
        while n + 1 in self.seqs:
            n += 1
        return n

    async def run(self, until: float) -> None:
        url = self.m.urls[self.m.home]
        while time.monotonic() < until:
            self.attempts += 1
            try:
                ws = await connect(
                    url, additional_headers={"Authorization": f"Bearer {self.m.token}"}, compression=None,
                    open_timeout=10, ping_interval=None, max_size=8 * 2**20, proxy=None,
                )  # fmt: skip
            except Exception as exc:  # refused, reset or cut mid-handshake by a kill: try another instance
                status = getattr(getattr(exc, "response", None), "status_code", "")
                self.w.connect_errors[f"{type(exc).__name__}{status}"] += 1
                await asyncio.sleep(random.uniform(0.05, 0.1))
                url = self.other(url)
                continue
            self.ws, self.url, self.open_at = ws, url, time.monotonic()
            try:
                await self.session(ws, until)
            except (ConnectionClosed, TimeoutError, OSError):
                pass
            finally:
                self.ws = None
                self.resumed.clear()
                if time.monotonic() < until and self.lost_at is None:
                    # Counted from the first loss until a resume is acknowledged: a connection lost again
                    # before it resumed (its new instance killed too) is still the same outage.
                    self.lost_at, self.lost_url, self.attempts = time.monotonic(), url, 0
                url = self.other(url)
        if self.ws is not None:
            await self.ws.close()

    def other(self, url: str) -> str:
        """As SyncClient does: after a failure, one of the other instances at random."""
        return random.choice([u for u in self.m.urls if u != url] or self.m.urls)

    async def session(self, ws: ClientConnection, until: float) -> None:
        await ws.send(self.frame("resume", whisper_after=self.contiguous(), feed_after=10**12))
        for frame in list(self.pending.values()):
            await ws.send(frame)
        remaining = until - time.monotonic()
        async with asyncio.timeout(max(0.1, remaining)):
            async for raw in ws:
                await self.on_frame(json.loads(raw))

    def frame(self, type_: str, **fields: Any) -> str:
        return json.dumps({"v": 1, "type": type_, "id": fields.pop("id", None) or uuid.uuid4().hex, **fields})

    async def send(self, text: str) -> None:
        if self.ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(text)

    async def on_frame(self, f: dict[str, Any]) -> None:
        now = _ns()
        t = f["type"]
        w = self.w
        if t == "ack" and f.get("request") == "resume":
            if f.get("more"):
                await self.send(self.frame("resume", whisper_after=self.contiguous(), feed_after=10**12))
                return
            self.resumed.set()
            if self.lost_at is not None:
                w.resumes.append(
                    (self.m.role, self.lost_url, self.lost_at, self.open_at, time.monotonic(), self.attempts)
                )
                self.lost_at = None
        elif t == "ack" and f.get("request") == "whisper_send":
            wid = f["whisper"]["whisper_id"]
            if self.pending.pop(wid, None) is not None or wid in w.sent_ids:
                w.acked[wid] = f["whisper"]["agent"]
        elif t == "presence":
            w.presence_frames += 1
            if time.monotonic() >= w.plan.phase2_start:
                w.presence_kill_phase += 1
        elif t == "error":
            w.errors[str(f.get("code"))] += 1
        elif t == "whisper":
            whisper = f["whisper"]
            wid, seq = whisper["whisper_id"], int(whisper["seq"])
            w.whisper_frames += 1
            if seq in self.seqs:
                w.redelivered += 1
                return
            self.seqs.add(seq)
            w.received[wid] = self.m.name
            if seq > self.contiguous() + 1:  # a push missed (relayed out of order): fetch from the log
                await self.send(self.frame("resume", whisper_after=self.contiguous(), feed_after=10**12))
            sent = _sent_ns(whisper["text"])
            if sent is not None and whisper["text"].startswith("p1"):
                w.whisper_ms.append((now - sent) / 1e6)
                w.read_sent[wid] = _ns()
                await self.send(self.frame("whisper_read", whisper_id=wid))
        elif t == "whisper_status" and f.get("status") == "read":
            w.read_back[f["whisper_id"]] = now
        elif t == "call_event" and f.get("event") == "transcript" and self.url == self.m.urls[0]:
            # Measured by the supervisors on instance 0; the calls are on the others.
            sent = _sent_ns(f["transcript"]["text"])
            if sent is not None:
                w.transcript_ms.append((now - sent) / 1e6)


def _stamp() -> str:
    # In hex: the server masks long digit runs (phone and card numbers) in whispers and transcript lines.
    return f"t={_ns():x}"


def _sent_ns(text: str) -> int | None:
    _, found, rest = text.partition("t=")
    if not found:
        return None
    try:
        return int(rest.split()[0], 16)
    except (IndexError, ValueError):
        return None


@dataclass
class Worker:
    plan: Plan
    number: int
    whisper_ms: list[float] = field(default_factory=list)
    transcript_ms: list[float] = field(default_factory=list)
    read_sent: dict[str, int] = field(default_factory=dict)
    read_back: dict[str, int] = field(default_factory=dict)
    acked: dict[str, str] = field(default_factory=dict)
    sent_ids: set[str] = field(default_factory=set)
    received: dict[str, str] = field(default_factory=dict)
    # role, the URL lost, when it was noticed, when the next handshake completed, when resume was acked,
    # connection attempts it took.
    resumes: list[tuple[str, str, float, float, float, int]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    connect_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    whisper_frames: int = 0
    presence_frames: int = 0
    presence_kill_phase: int = 0
    redelivered: int = 0

    async def main(self) -> dict[str, Any]:
        plan = self.plan
        # Independent of the home instance, so every worker has clients on every instance.
        mine = [
            Client(m, self) for m in plan.members if m.index // plan.instances % plan.workers == self.number
        ]
        runners = [asyncio.create_task(c.run(plan.finish)) for c in mine]
        connected_at = time.monotonic()
        await asyncio.gather(*(asyncio.wait_for(c.resumed.wait(), 120) for c in mine), return_exceptions=True)
        connect_s = time.monotonic() - connected_at
        await asyncio.gather(self.phase1(mine), self.phase2(mine))
        await asyncio.gather(*runners, return_exceptions=True)
        return {
            "connect_s": connect_s,
            "connected": sum(1 for c in mine if c.resumed.is_set()),
            "whisper_ms": self.whisper_ms,
            "transcript_ms": self.transcript_ms,
            "receipt_ms": [
                (self.read_back[w] - t) / 1e6 for w, t in self.read_sent.items() if w in self.read_back
            ],
            "read_sent": self.read_sent,
            "read_back": self.read_back,
            "acked": self.acked,
            "received": self.received,
            "resumes": self.resumes,
            "errors": dict(self.errors),
            "connect_errors": dict(self.connect_errors),
            "whisper_frames": self.whisper_frames,
            "presence_frames": self.presence_frames,
            "presence_kill_phase": self.presence_kill_phase,
            "redelivered": self.redelivered,
            "agents": {
                c.m.name: (c.contiguous(), max(c.seqs, default=0), c.resumed.is_set(), c.url)
                for c in mine
                if c.m.role == "agent"
            },
        }

    async def phase1(self, mine: list[Client]) -> None:
        plan = self.plan
        await asyncio.sleep(max(0.0, plan.phase1_start - time.monotonic()))
        sups = [c for c in mine if c.m.role == "supervisor" and c.m.home == 0]
        agents_by_team = _agents_by_team(plan.members, lambda m: m.home != 0)
        # Live calls on the agents' side that publish finals: two per team, on instances other than 0.
        callers = [c for c in mine if c.m.role == "agent" and c.m.home != 0 and c.m.index % 50 in (1, 2)]
        for c in callers:
            await c.send(c.frame("call_start", call_id=f"call-{c.m.name}", customer=None))
        tasks = []
        if sups:
            tasks.append(
                self._whispers(sups, agents_by_team, plan.whisper_rate / plan.workers, plan.phase1_end, "p1")
            )
        if callers:
            tasks.append(self._finals(callers, plan.transcript_rate / plan.workers, plan.phase1_end))
        await asyncio.gather(*tasks)

    async def _whispers(
        self, sups: list[Client], agents: dict[str, list[str]], rate: float, until: float, tag: str
    ) -> None:
        n = 0
        start = time.monotonic()
        while time.monotonic() < until:
            sup = sups[n % len(sups)]
            n += 1
            targets = agents.get(sup.m.team)
            if targets:
                wid = uuid.uuid4().hex
                agent = random.choice(targets)
                frame = sup.frame(
                    "whisper_send", whisper_id=wid, agent=agent, text=f"{tag} {_stamp()} 返金手順"
                )
                self.sent_ids.add(wid)
                sup.pending[wid] = frame
                await sup.send(frame)
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))

    async def _finals(self, callers: list[Client], rate: float, until: float) -> None:
        n = 0
        start = time.monotonic()
        while time.monotonic() < until:
            c = callers[n % len(callers)]
            n += 1
            event = {
                "call_id": f"call-{c.m.name}",
                "channel": "customer",
                "kind": "final",
                "start": n * 1.0,
                "end": n + 0.9,
                "text": f"{_stamp()} 請求書が届きません",
                "confidence": 0.9,
                "segment_id": f"s{n}",
            }
            await c.send(c.frame("transcript", call_id=f"call-{c.m.name}", event=event))
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))

    async def phase2(self, mine: list[Client]) -> None:
        plan = self.plan
        await asyncio.sleep(max(0.0, plan.phase2_start - time.monotonic()))
        sups = [c for c in mine if c.m.role == "supervisor"]
        agents = _agents_by_team(plan.members, lambda m: True)
        if sups:
            await self._whispers(sups, agents, plan.kill_rate / plan.workers, plan.phase2_end, "p2")
        # Settle: every sender's whispers acknowledged, every agent resumed from its contiguous seq.
        deadline = plan.finish - 3
        while any(s.pending for s in sups) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for c in mine:
            if c.m.role == "agent":
                await c.send(c.frame("resume", whisper_after=c.contiguous(), feed_after=10**12))


def _agents_by_team(members: list[Member], keep: Any) -> dict[str, list[str]]:
    teams: dict[str, list[str]] = defaultdict(list)
    for m in members:
        if m.role == "agent" and keep(m):
            teams[m.team].append(m.name)
    return teams


def _worker(plan: Plan, number: int, conn: Connection) -> None:
    conn.send(asyncio.run(Worker(plan, number).main()))
    conn.close()


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listening socket's accept queue was full (whole
    machine: other work's sockets count too)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split(), strict=True)).get("ListenOverflows", 0))
    return 0


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _line(label: str, values: list[float], unit: str = "ms") -> str:
    d = 2 if unit == "s" else 1  # seconds to the hundredth: the resume goal (2 s) is met or not by tenths
    return (
        f"{label}: n={len(values)} p50 {_pct(values, 50):.{d}f} {unit}, p95 {_pct(values, 95):.{d}f} {unit},"
        f" p99 {_pct(values, 99):.{d}f} {unit}, max {max(values, default=float('nan')):.{d}f} {unit}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phase-seconds", type=float, default=15.0)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--whisper-rate", type=float, default=20.0)
    parser.add_argument("--transcript-rate", type=float, default=20.0)
    parser.add_argument("--kill-rate", type=float, default=30.0, help="whispers/s during the kill phase")
    args = parser.parse_args()
    args.load_before = os.getloadavg()[0]  # taken before our own processes start
    missing = missing_binaries()
    if missing:
        raise SystemExit(f"needs {', '.join(missing)} (apt-get install postgresql redis-server)")

    root = Path(tempfile.mkdtemp(prefix="aa-bench-scale-"))
    root.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
    pg = Postgres(root / "pg")
    redis = Redis(root / "redis")
    instances: list[Instance] = []
    try:
        pg.init().start()
        redis.start()
        database = pg.new_database()
        store = TeamStore(database=database)
        members: list[Member] = []
        for k in range(args.clients):
            team = f"team{k // TEAM_SIZE}"
            role = "supervisor" if k % TEAM_SIZE < SUPERVISORS_PER_TEAM else "agent"
            token = store.add_user(f"u{k}", Role(role), team)
            members.append(Member(k, f"u{k}", role, team, token, []))
        store.close()
        logs = root / "logs"
        logs.mkdir()
        instances = [Instance(chr(ord("a") + i), database, redis.url, logs) for i in range(args.instances)]
        spawn = []
        for instance in instances:
            t0 = time.monotonic()
            instance.start()
            spawn.append(time.monotonic() - t0)
        urls = [i.url for i in instances]
        for m in members:
            m.urls = urls  # Client.run starts at the home instance (index mod N), then the next one, ...
        connect_budget = 25.0 + args.clients / 50
        now = time.monotonic()
        p1 = now + connect_budget
        p2 = p1 + args.phase_seconds + 2
        kill_seconds = args.kills * args.kill_every
        plan = Plan(
            members, args.instances, p1, p1 + args.phase_seconds, p2, p2 + kill_seconds,
            p2 + kill_seconds + 20, args.whisper_rate, args.transcript_rate, args.kill_rate, args.workers,
        )  # fmt: skip
        ctx = multiprocessing.get_context("fork")
        pipes = []
        procs = []
        for w in range(args.workers):
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(plan, w, child), daemon=True)
            proc.start()
            pipes.append(parent)
            procs.append(proc)
        # The kill loop runs here, on schedule.
        kills: list[tuple[str, float]] = []
        restart_s: list[float] = []
        time.sleep(max(0.0, p2 + 1 - time.monotonic()))
        overflows = listen_overflows()
        for n in range(args.kills):
            victim = instances[n % len(instances)]
            victim.kill()
            kills.append((victim.url, time.monotonic()))
            time.sleep(1.0)
            t0 = time.monotonic()
            victim.start()
            restart_s.append(time.monotonic() - t0)
            time.sleep(max(0.0, p2 + 1 + (n + 1) * args.kill_every - time.monotonic()))
        overflows = listen_overflows() - overflows
        results = [p.recv() for p in pipes]
        for proc in procs:
            proc.join(30)
        report(args, results, kills, spawn, restart_s, database)
        print(
            f"connections dropped by a full accept queue during the kill phase (whole machine): {overflows}"
        )
    finally:
        for instance in instances:
            instance.stop()
        redis.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def report(
    args: argparse.Namespace,
    results: list[dict[str, Any]],
    kills: list[tuple[str, float]],
    spawn: list[float],
    restart_s: list[float],
    database: str,
) -> None:
    merged: dict[str, Any] = defaultdict(list)
    acked: dict[str, str] = {}
    received: dict[str, str] = {}
    read_sent: dict[str, int] = {}
    read_back: dict[str, int] = {}
    errors: dict[str, int] = defaultdict(int)
    for r in results:
        for key in ("whisper_ms", "transcript_ms", "resumes"):
            merged[key].extend(r[key])
        acked.update(r["acked"])
        received.update(r["received"])
        read_sent.update(r["read_sent"])
        read_back.update(r["read_back"])
        for code, n in r["errors"].items():
            errors[code] += n
    receipts = [(read_back[w] - t) / 1e6 for w, t in read_sent.items() if w in read_back]
    print(f"bench_scale: {args.instances} instances, {args.clients} clients, PostgreSQL + Redis on loopback;"
          f" machine load average (1 min) at the start {args.load_before:.2f}, now {os.getloadavg()[0]:.2f}"
          f" on {os.cpu_count()} cores")  # fmt: skip
    print(f"instance start (spawn to listening): {', '.join(f'{s * 1000:.0f} ms' for s in spawn)}")
    print(f"all {args.clients} clients connected and resumed: {max(r['connect_s'] for r in results):.1f} s")
    print(_line("whisper via instance 0 to an agent on another instance", merged["whisper_ms"]))
    print(_line("read receipt back across instances", receipts))
    print(_line("transcript final to every supervisor of the team on instance 0", merged["transcript_ms"]))
    lost = [w for w in acked if w not in received]
    agents: dict[str, tuple[int, int, bool, str]] = {}
    for r in results:
        agents.update(r["agents"])
    store = TeamStore(database=database)
    try:
        row = store.team_db.execute(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT whisper_id) AS ids FROM whispers"
        ).fetchone()
        # Where the lost ones are: beyond what their agent holds (not delivered), or within (not counted).
        where: dict[str, int] = defaultdict(int)
        for wid in lost:
            w = store.whisper(wid)
            if w is None:
                where["not stored"] += 1
                continue
            contiguous, _, resumed, _ = agents.get(w.agent, (0, 0, False, "?"))
            state = "resumed" if resumed else "not resumed at the end"
            where[f"seq beyond the agent's contiguous ({state})" if w.seq > contiguous else "seq held"] += 1
        gaps = store.team_db.execute(
            "SELECT COUNT(*) AS n FROM (SELECT agent FROM whispers GROUP BY agent"
            " HAVING MAX(seq) <> COUNT(*)) AS g"
        ).fetchone()["n"]
    finally:
        store.close()
    print(
        f"kill -9: {len(kills)} kills; acknowledged whispers {len(acked)}, lost {len(lost)} {dict(where)};"
        f" stored {row['n']} ({row['ids']} distinct ids);"
        f" agents with a seq gap {gaps}; frames delivered again {sum(r['redelivered'] for r in results)}"
        f" (shown once: clients keep one per seq); errors {dict(errors)}"
    )
    agent_resumes, noticed, opened, replayed, attempts = [], [], [], [], []
    for role, url, lost_at, open_at, resumed_at, tries in merged["resumes"]:
        # Lost because of that kill (noticed within 2 s of it), not dropped later for another cause.
        before = [t for u, t in kills if u == url and lost_at - 2.0 <= t <= lost_at + 0.5]
        if role == "agent" and before:
            killed_at = max(before)
            agent_resumes.append(resumed_at - killed_at)
            noticed.append(lost_at - killed_at)
            opened.append(open_at - lost_at)
            replayed.append(resumed_at - open_at)
            attempts.append(float(tries))
    print(_line("agent resumed on another instance after its instance was killed", agent_resumes, "s"))
    print("  of which:")
    print(_line("  kill to connection lost noticed", noticed, "s"))
    print(_line("  noticed to handshake done on another instance", opened, "s"))
    print(_line("  handshake done to resume acknowledged", replayed, "s"))
    print(_line("  connection attempts", attempts, ""))
    print(
        f"presence frames received by all clients: {sum(r['presence_frames'] for r in results)},"
        f" of which in the kill phase {sum(r['presence_kill_phase'] for r in results)}"
    )
    failed: dict[str, int] = defaultdict(int)
    for r in results:
        for kind, n in r["connect_errors"].items():
            failed[kind] += n
    print(f"failed connection attempts (whole run): {dict(failed)}")
    print(f"killed instance restarted (spawn to listening): p50 {_pct(restart_s, 50) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
