"""Parsed migration files kept for the process: a command that reads the folder twice parses once.

`check` reads the migrations for the target's history, then replays them on
the dev server, in a worker thread, side by side with the declared schema's
materialization: each file was parsed twice, the second time on the replay's
way to the server. Entries are keyed by the files' path and bytes, so an
edited file is parsed anew, and bounded by their size, so a long-running
studio does not keep every file it ever read. A file two threads ask for at
once is parsed by the first; the other waits for its result.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

T = TypeVar("T")


class ParsedFiles(Generic[T]):
    """What was made of files, by key, the least recently used dropped past `budget` characters."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, size: int, make: Callable[[], T]) -> T:
        """The value under `key`, made by `make` (of files of `size` characters) when absent.

        A failure is not kept: the next call makes it again, and raises again.
        """
        with self._lock:
            if (hit := self._hit(key)) is not None:
                return hit[0]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if (hit := self._hit(key)) is not None:
                    return hit[0]
            try:
                value = make()
            except BaseException:
                with self._lock:
                    self._making.pop(key, None)
                raise
            with self._lock:
                self._keep(key, value, size)
                self._making.pop(key, None)
            return value

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self.size = 0

    def _hit(self, key: Hashable) -> tuple[T, int] | None:
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
        return hit

    def _keep(self, key: Hashable, value: T, size: int) -> None:
        if size > self.budget or key in self._entries:
            return  # a file bigger than the whole budget is parsed each time, as before
        self._entries[key] = (value, size)
        self.size += size
        while self.size > self.budget:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.size -= dropped
