"""The migrator's stall watch: when this process stood still, and for how long.

A migrator stopped in the middle of a transaction (SIGSTOP, a suspended
terminal, a write to a full pipe, a long pause of the event loop) leaves its
session idle in that transaction, holding its locks; the server ends it after
`idle_in_transaction_session_timeout`. The server says so in a FATAL message,
but one that arrives between two queries is dropped by asyncpg (its protocol
expects nothing then), and the next statement finds the connection broken
without a reason. A task ticking ten times a second sees the process stand
still, so the executor can name the cause (`Executor.talking`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class Stalls:
    """When this process stood still, seen by a ticking task.

    SIGSTOP, a suspended terminal, a blocked write.
    """

    TICK = 0.1

    def __init__(self) -> None:
        self._last = time.monotonic()
        # (start, end) of the recent stretches the ticker did not run
        self._spans: deque[tuple[float, float]] = deque(maxlen=8)

    @classmethod
    @contextlib.asynccontextmanager
    async def ticking(cls) -> AsyncIterator[Stalls]:
        """Stalls measured for the duration of the block."""
        stalls = cls()
        task = asyncio.create_task(stalls._tick(), name="schema-studio stall watch")
        try:
            yield stalls
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.TICK)
            now = time.monotonic()
            if now - self._last > 2 * self.TICK:
                self._spans.append((self._last, now))
            self._last = now

    def longest_since(self, since: float) -> float:
        """The longest time this process stood still since `since`, in seconds.

        `since` is a time.monotonic() value.
        """
        now = time.monotonic()
        # the last span: a stall the ticker has not woken from yet (its callback runs later)
        spans = (*self._spans, (self._last, now))
        return max(0.0, *(min(end, now) - max(start, since) for start, end in spans))
