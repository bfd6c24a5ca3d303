"""What one transcript frame costs the team server's store: the ownership check and the write of a line, as
the live thread does it for every frame (``TeamStore.add_segment_for``), on SQLite and on a real PostgreSQL.

Run on purpose (it prints its figures; nothing is asserted), under the machine's CPU lock:

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_transcript_write --writes 20000

``--calls`` live calls of one agent; each round gives every call one frame, three partials then the final of
each line (the app sends about four frames a second per call), one thread, one store, as on the server's live
thread. Figures: per-frame time p50 / p99 / mean and frames a second, per backend; with ``--whispers N`` also
N whispers about those calls, each in its own transaction (fsynced: SQLite FULL, PostgreSQL
synchronous_commit on). PostgreSQL is started in a
temp dir on 127.0.0.1 (Debian's binaries, as tests/scale does) and stopped at the end. To compare two versions
of the store, run the bench with ``PYTHONPATH`` pointing at each checkout in turn.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from audio.events import Channel, EventKind
from sync.protocol import Role, TranscriptLine
from sync.store import TeamStore, User
from tests.scale.services import Postgres, missing_binaries

FRAMES_PER_LINE = 4  # three partials, then the final


def _frames(calls: int, writes: int) -> list[tuple[str, TranscriptLine]]:
    frames = []
    for n in range(writes):
        call, step = n % calls, n // calls
        line, part = divmod(step, FRAMES_PER_LINE)
        final = part == FRAMES_PER_LINE - 1
        text = "請求書の宛先を変更したいのですが"[: 4 + 4 * part]
        frames.append(
            (
                f"call-{call}",
                TranscriptLine(
                    call_id=f"call-{call}",
                    channel=Channel.CUSTOMER,
                    kind=EventKind.FINAL if final else EventKind.PARTIAL,
                    start=float(line),
                    end=line + 0.5,
                    text=text,
                    confidence=0.9,
                    segment_id=f"s{line}",
                ),
            )
        )
    return frames


def _measure(store: TeamStore, calls: int, writes: int) -> list[float]:
    agent = User("sato", Role.AGENT, "tokyo")
    store.add_user(agent.name, agent.role, agent.team)
    for call in range(calls):
        store.start_call(agent, f"call-{call}", {"id": f"k{call}"}, None)
    frames = _frames(calls, writes)
    for call_id, event in frames[: min(200, writes)]:  # warm-up: connections, caches, statement plans
        store.add_segment_for(agent, call_id, event)
    times = []
    for call_id, event in frames:
        start = time.perf_counter()
        status = store.add_segment_for(agent, call_id, event)
        times.append(time.perf_counter() - start)
        assert status in ("ok", "stale"), status
    return times


def _measure_whispers(store: TeamStore, calls: int, whispers: int) -> list[float]:
    """A supervisor's whisper about one of the agent's live calls, as the durable-log thread stores it (its
    own transaction; the whisper's call is held on PostgreSQL, sync/store.py hold_call)."""
    mori = User("mori", Role.SUPERVISOR, "tokyo")
    store.add_user(mori.name, mori.role, mori.team)
    times = []
    for n in range(whispers):
        start = time.perf_counter()
        store.add_whisper(
            whisper_id=f"w{n}",
            sender=mori,
            agent="sato",
            text="ご住所の確認をお願いします",
            call_id=f"call-{n % calls}",
            anchor_segment_id=None,
            attachment=None,
            seen=0,
        )
        times.append(time.perf_counter() - start)
    return times


def _report(name: str, times: list[float], unit: str = "frames") -> None:
    ordered = sorted(times)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[int(len(ordered) * 0.99)] * 1000
    mean = statistics.fmean(times) * 1000
    print(
        f"{name:<11} {len(times):>6} {unit}: p50 {p50:.3f} ms, p99 {p99:.3f} ms, mean {mean:.3f} ms,"
        f" {len(times) / sum(times):,.0f} {unit}/s"
    )


def _run(name: str, store: TeamStore, args: argparse.Namespace) -> None:
    """Time the transcript writes (and the whispers, if asked) on ``store``, then close it."""
    try:
        _report(name, _measure(store, args.calls, args.writes))
        if args.whispers:
            _report("", _measure_whispers(store, args.calls, args.whispers), "whispers")
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", type=int, default=20000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--whispers", type=int, default=0, help="also time this many whispers on the calls")
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    args = parser.parse_args()
    print(f"machine load average (1 min) at the start {os.getloadavg()[0]:.2f}")
    root = Path(tempfile.mkdtemp(prefix="aa-bench-transcript-"))
    try:
        if args.backend in ("both", "sqlite"):
            _run("sqlite", TeamStore(root / "sqlite"), args)
        if args.backend in ("both", "postgresql"):
            missing = missing_binaries()
            if missing:
                raise SystemExit(f"needs {', '.join(missing)} for PostgreSQL")
            # A temp dir of its own: PostgreSQL runs as the postgres user when we are root.
            pg = Postgres(Path(tempfile.mkdtemp(prefix="aa-bench-pg-"))).init()
            pg.start()
            try:
                _run("postgresql", TeamStore(database=pg.new_database()), args)
            finally:
                pg.stop()
                shutil.rmtree(pg.root, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"machine load average (1 min) at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
