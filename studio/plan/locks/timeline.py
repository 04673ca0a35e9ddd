"""A mapping's history, so that the mapping at every past moment stays readable.

Lint's replay keeps the context each statement ran against (`Unit.context`):
the tables, their indexes, the tables new to the migration. Copying those
mappings for every statement costs O(N^2) time and memory over a migration of
N tables (5 GB at 3,000 tables). A `Timeline` appends each change instead, and
a `TimelineView` reads the mapping as it was at one moment: O(1) to take,
O(log changes of the key) to look a key up.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_GONE: Any = object()  # the value a removal leaves


class Timeline(Generic[K, V]):
    """A mapping changed only by appending: put and remove, never rewrite the past."""

    __slots__ = ("_changes", "_sizes")

    def __init__(self, items: Iterable[tuple[K, V]] = ()) -> None:
        # key -> (moment of each change, value it left or _GONE, the key's place
        # in iteration order then: a dict keeps a key's place until it is removed)
        self._changes: dict[K, tuple[list[int], list[V], list[int]]] = {}
        self._sizes = [0]  # the mapping's size after each moment; moment 0 is empty
        for key, value in items:
            self.put(key, value)

    def put(self, key: K, value: V) -> None:
        """`mapping[key] = value`."""
        moment = len(self._sizes)
        changes = self._changes.get(key)
        if changes is None:
            changes = self._changes[key] = ([], [], [])
        present = bool(changes[1]) and changes[1][-1] is not _GONE
        place = changes[2][-1] if present else moment
        changes[0].append(moment)
        changes[1].append(value)
        changes[2].append(place)
        self._sizes.append(self._sizes[-1] + (0 if present else 1))

    def remove(self, key: K) -> None:
        """`mapping.pop(key, None)`."""
        changes = self._changes.get(key)
        if changes is None or changes[1][-1] is _GONE:
            return
        changes[0].append(len(self._sizes))
        changes[1].append(_GONE)
        changes[2].append(0)
        self._sizes.append(self._sizes[-1] - 1)

    def view(self) -> TimelineView[K, V]:
        """The mapping as it is now, unchanged by later puts and removes."""
        return TimelineView(self, len(self._sizes) - 1)


class TimelineView(Mapping[K, V]):
    """A read-only mapping: a timeline at one moment, iterated in dict order."""

    __slots__ = ("_line", "_moment", "_order")

    def __init__(self, line: Timeline[K, V], moment: int) -> None:
        self._line = line
        self._moment = moment
        self._order: tuple[K, ...] | None = None

    def _value(self, key: K) -> Any:
        changes = self._line._changes.get(key)
        if changes is None:
            return _GONE
        i = bisect_right(changes[0], self._moment) - 1
        return changes[1][i] if i >= 0 else _GONE

    def __getitem__(self, key: K) -> V:
        value = self._value(key)
        if value is _GONE:
            raise KeyError(key)
        return value  # type: ignore[no-any-return]

    def get(self, key: K, default: Any = None) -> Any:
        """The value of `key` at this moment, or `default`."""
        value = self._value(key)
        return default if value is _GONE else value

    def __contains__(self, key: object) -> bool:
        return self._value(key) is not _GONE  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self._line._sizes[self._moment]

    def __iter__(self) -> Iterator[K]:
        if self._order is None:
            placed = []
            for key, (moments, values, places) in self._line._changes.items():
                i = bisect_right(moments, self._moment) - 1
                if i >= 0 and values[i] is not _GONE:
                    placed.append((places[i], key))
            placed.sort(key=lambda p: p[0])
            self._order = tuple(key for _, key in placed)
        return iter(self._order)

    def __repr__(self) -> str:
        return f"TimelineView({dict(self.items())!r})"
