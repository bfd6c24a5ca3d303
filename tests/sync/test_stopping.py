"""Stopping a server's background tasks ends them even when a library swallows the cancellation."""

from __future__ import annotations

import asyncio

from sync.backplane import cancel_and_wait


def test_a_task_that_swallows_its_first_cancellation_still_ends() -> None:
    # What the Redis client did to the publisher once in a few runs: the CancelledError raised inside a
    # pipeline was caught there, and the loop went on to wait for its next message, so stop() waited forever.
    async def scenario() -> list[str]:
        seen: list[str] = []
        queue: asyncio.Queue[str] = asyncio.Queue()
        started = asyncio.Event()

        async def publisher() -> None:
            started.set()
            try:
                await asyncio.sleep(3600)  # a pipeline in flight
            except asyncio.CancelledError:
                seen.append("swallowed")  # as the library did
            await queue.get()  # the loop's next wait

        task = asyncio.create_task(publisher(), name="publisher")
        await started.wait()
        await asyncio.wait_for(cancel_and_wait([task], patience=0.05), timeout=5)
        seen.append("cancelled" if task.cancelled() else "ended")
        return seen

    assert asyncio.run(scenario()) == ["swallowed", "cancelled"]
