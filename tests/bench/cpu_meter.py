"""Where a benchmark's CPU went: this process against the whole machine, and this process by thread.

A CPU figure is only worth quoting when it is the pipeline's own. :class:`CpuMeter` measures, over the same
wall-clock interval:

- the process: its CPU time (every thread, native ones included) over wall time and cores;
- the machine: busy time of every core from ``/proc/stat``, so load from other programs shows as the gap;
- the load average before and after;
- the process by thread (``/proc/self/task``, sampled every ``interval`` so that threads which end before the
  interval does still count): Python threads by their name, the rest (CTranslate2's and onnxruntime's
  workers, which do the model's arithmetic) together as ``native``.

Linux only for the machine and thread figures (None elsewhere); the process figure works everywhere.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_DIGITS = re.compile(r"\d+$")


def _machine_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all cores since boot."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


def _thread_ticks() -> dict[int, int]:
    """CPU clock ticks (user + system) of each of this process's threads."""
    out: dict[int, int] = {}
    try:
        tasks = list(Path("/proc/self/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        rest = stat.rsplit(")", 1)[1].split()  # after "pid (comm)"
        out[int(task.name)] = int(rest[11]) + int(rest[12])  # utime, stime
    return out


def thread_group(name: str) -> str:
    """A Python thread's name without its number (``transcriber-1`` -> ``transcriber``)."""
    return _DIGITS.sub("", name).rstrip("-_") or name


@dataclass
class CpuFigures:
    wall: float
    cores: int
    process_percent: float
    machine_percent: float | None
    load_before: float
    load_after: float
    by_thread: dict[str, float] = field(default_factory=dict)  # group -> CPU seconds

    def line(self) -> str:
        machine = "n/a" if self.machine_percent is None else f"{self.machine_percent:.0f}%"
        threads = ", ".join(f"{k} {v:.1f}" for k, v in sorted(self.by_thread.items(), key=lambda kv: -kv[1]))
        return (
            f"CPU of this process {self.process_percent:.0f}% of {self.cores} cores (machine {machine}; load "
            f"average {self.load_before:.2f} before, {self.load_after:.2f} after; {self.wall:.0f} s wall)"
            + (f"; CPU-s by thread: {threads}" if threads else "")
        )

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        out = {
            f"{prefix}cpu_percent": self.process_percent,
            f"{prefix}machine_cpu_percent": (
                float("nan") if self.machine_percent is None else self.machine_percent
            ),
            f"{prefix}load_avg_before": self.load_before,
            f"{prefix}load_avg_after": self.load_after,
        }
        out.update({f"{prefix}cpu_s_{k}": v for k, v in self.by_thread.items()})
        return out


class CpuMeter:
    """``with CpuMeter() as meter: ...`` then ``meter.figures``."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.figures: CpuFigures | None = None
        self._stop = threading.Event()
        self._seen: dict[int, int] = {}
        self._names: dict[int, str] = {}
        self._start_ticks: dict[int, int] = {}
        self._lock = threading.Lock()
        self._sampler = threading.Thread(target=self._sample_loop, name="cpu-meter", daemon=True)

    def __enter__(self) -> CpuMeter:
        self._load = os.getloadavg()[0]
        self._machine = _machine_ticks()
        self._start_ticks = _thread_ticks()
        self._cpu, self._wall = time.process_time(), time.monotonic()
        self._sampler.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        cpu, wall = time.process_time() - self._cpu, time.monotonic() - self._wall
        machine = _machine_ticks()
        self._stop.set()
        self._sampler.join()
        self._sample()
        cores = os.cpu_count() or 1
        machine_percent = None
        if machine is not None and self._machine is not None and machine[1] > self._machine[1]:
            machine_percent = 100 * (machine[0] - self._machine[0]) / (machine[1] - self._machine[1])
        groups: dict[str, float] = {}
        for tid, ticks in self._seen.items():
            name = self._names.get(tid)
            if name == "cpu-meter":
                continue
            group = "native" if name is None else thread_group(name)
            spent = (ticks - self._start_ticks.get(tid, 0)) / _TICK
            groups[group] = groups.get(group, 0.0) + spent
        self.figures = CpuFigures(
            wall=wall,
            cores=cores,
            process_percent=100 * cpu / max(wall, 1e-9) / cores,
            machine_percent=machine_percent,
            load_before=self._load,
            load_after=os.getloadavg()[0],
            by_thread={k: v for k, v in groups.items() if v > 0},
        )

    def _sample_loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
        ticks = _thread_ticks()
        with self._lock:
            self._names.update(names)
            self._seen.update(ticks)
