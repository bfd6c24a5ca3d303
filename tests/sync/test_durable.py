"""Group commit on the durable log: a burst of whispers is stored with few fsyncs, each whisper is on disk
when its sender hears back, and a refused one leaves nothing behind while the others in its transaction
stay."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sync.durable import DurableLogThread
from sync.protocol import Role
from sync.store import TeamStore, User

SUPERVISOR = User("suzuki", Role.SUPERVISOR, "tokyo")


def _whisper(log: DurableLogThread, n: int, refuse: bool = False) -> dict[str, Any]:
    whisper, _ = log.store.add_whisper(
        whisper_id=f"w{n}", sender=SUPERVISOR, agent="sato", text=f"ヒント {n}", call_id=None,
        anchor_segment_id=None, attachment=None,
    )  # fmt: skip
    if refuse:  # written, then refused (as a failed check after a write would be): must be undone
        raise ValueError(f"whisper {n} refused")
    return whisper


def test_a_burst_of_whispers_is_committed_together_and_a_refused_one_leaves_nothing(tmp_path: Path) -> None:
    async def burst() -> tuple[list[Any], DurableLogThread]:
        log = DurableLogThread(tmp_path)
        await log.start()
        try:
            results = await asyncio.gather(
                *(log.call(_whisper, log, n, refuse=(n == 7)) for n in range(40)), return_exceptions=True
            )
            # Every answer came after its commit: a second connection (another process would see the same)
            # reads them.
            reader = TeamStore(tmp_path)
            try:
                stored = reader.whispers_for_agent("sato", 0)
            finally:
                reader.close()
            assert [w.whisper_id for w in stored] == [f"w{n}" for n in range(40) if n != 7]
            return results, log
        finally:
            await log.stop()

    results, log = asyncio.run(burst())
    assert isinstance(results[7], ValueError)
    assert [r.seq for n, r in enumerate(results) if n != 7] == list(range(1, 40))  # no gap where 7 was undone
    assert log.calls == 40
    assert log.commits < 40 / 4, f"{log.commits} commits for 40 whispers sent at once"


def test_stop_finishes_what_was_asked(tmp_path: Path) -> None:
    async def main() -> list[Any]:
        log = DurableLogThread(tmp_path)
        await log.start()
        pending = [asyncio.ensure_future(log.call(_whisper, log, n)) for n in range(5)]
        await asyncio.sleep(0)  # the calls are queued
        await log.stop()
        return [await p for p in pending]

    whispers = asyncio.run(main())
    assert [w.seq for w in whispers] == [1, 2, 3, 4, 5]
    reader = TeamStore(tmp_path)
    try:
        assert len(reader.whispers_for_agent("sato", 0)) == 5
    finally:
        reader.close()
