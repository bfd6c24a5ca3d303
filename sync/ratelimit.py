"""One token bucket: the server's per-connection rate limit and the client's pacing under it.

Tokens refill at ``rate`` per second up to ``burst``; every frame takes one. The server refuses a frame when
:meth:`TokenBucket.take` says no (docs/protocol.md, "Limits"); the client waits :meth:`TokenBucket.wait_time`
instead, so a long outbox flush stays under the server's limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self._clock = clock
        self.stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        """Take one token if there is one."""
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def wait_time(self) -> float:
        """Seconds until the next token (0 when one is there)."""
        self._refill()
        return max(0.0, (1.0 - self.tokens) / self.rate)
