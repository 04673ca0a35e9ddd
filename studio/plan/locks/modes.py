"""PostgreSQL's table-level lock modes, their conflict matrix, and what each one blocks.

The matrix is PostgreSQL's own (the "Conflicting Lock Modes" table of the
Explicit Locking chapter); everything this package says a lock blocks is
derived from it, never written by hand per statement.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from functools import cache


class LockMode(enum.IntEnum):
    """A table-level lock mode, weakest first (PostgreSQL's own numbering)."""

    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def label(self) -> str:
        """The SQL spelling: `ACCESS EXCLUSIVE`."""
        return self.name.replace("_", " ")

    @property
    def pg_name(self) -> str:
        """The pg_locks.mode spelling: `AccessExclusiveLock`."""
        return "".join(w.capitalize() for w in self.name.split("_")) + "Lock"

    @classmethod
    def from_pg(cls, name: str) -> LockMode:
        """The mode named as in pg_locks.mode."""
        return _BY_PG_NAME[name]

    @classmethod
    def from_label(cls, text: str) -> LockMode:
        """The mode named as in SQL (`share row exclusive`, any case)."""
        return cls[" ".join(text.split()).upper().replace(" ", "_")]

    @property
    def conflicts(self) -> frozenset[LockMode]:
        """The modes another session cannot take while this one is held (or queued)."""
        return _conflicts(self)

    def conflicts_with(self, other: LockMode) -> bool:
        """Whether this mode and `other` cannot be held at once by two sessions."""
        return other in _conflicts(self)

    @property
    def blocks(self) -> frozenset[Activity]:
        """What other sessions cannot do on the relation while this mode is held."""
        return _blocks(self)


# The conflict matrix, in PostgreSQL's order: row = mode held, column = mode
# requested, X = they conflict. It is symmetric.
#                          AS RS RE SUE S SRE E AE
_MATRIX = """
ACCESS_SHARE               .  .  .  .   . .   . X
ROW_SHARE                  .  .  .  .   . .   X X
ROW_EXCLUSIVE              .  .  .  .   X X   X X
SHARE_UPDATE_EXCLUSIVE     .  .  .  X   X X   X X
SHARE                      .  .  X  X   . X   X X
SHARE_ROW_EXCLUSIVE        .  .  X  X   X X   X X
EXCLUSIVE                  .  X  X  X   X X   X X
ACCESS_EXCLUSIVE           X  X  X  X   X X   X X
"""


@cache
def _conflict_table() -> dict[LockMode, frozenset[LockMode]]:
    table: dict[LockMode, frozenset[LockMode]] = {}
    for line in _MATRIX.strip().splitlines():
        name, *marks = line.split()
        table[LockMode[name]] = frozenset(
            m for m, x in zip(LockMode, marks, strict=True) if x == "X"
        )
    return table


def _conflicts(mode: LockMode) -> frozenset[LockMode]:
    return _conflict_table()[mode]


@cache
def _blocks(mode: LockMode) -> frozenset[Activity]:
    # asked for every lock fact of every statement a lint or a generate analyses
    return frozenset(a for a in Activity if mode.conflicts_with(a.mode))


_BY_PG_NAME = {m.pg_name: m for m in LockMode}


def conflict_union(modes: Iterable[LockMode]) -> frozenset[LockMode]:
    """Every mode that conflicts with at least one of `modes` (what holding them all blocks)."""
    out: frozenset[LockMode] = frozenset()
    for m in modes:
        out |= m.conflicts
    return out


def equivalent_mode(modes: Iterable[LockMode]) -> LockMode | None:
    """The single mode that blocks exactly what holding all of `modes` blocks, if there is one.

    A backend often holds several modes on one relation (an ALTER TABLE that
    rewrites holds ACCESS EXCLUSIVE and SHARE); what others feel is the union.
    """
    union = conflict_union(modes)
    if not union:
        return None
    return next((m for m in LockMode if m.conflicts == union), None)


class Activity(enum.Enum):
    """What other sessions do on a relation, each with the lock mode it takes there."""

    SELECT = ("reads (SELECT)", LockMode.ACCESS_SHARE)
    SELECT_FOR_UPDATE = ("locking reads (SELECT ... FOR UPDATE/SHARE)", LockMode.ROW_SHARE)
    WRITE = ("writes (INSERT, UPDATE, DELETE, MERGE)", LockMode.ROW_EXCLUSIVE)
    MAINTENANCE = (
        "VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT",
        LockMode.SHARE_UPDATE_EXCLUSIVE,
    )
    CREATE_INDEX = ("CREATE INDEX", LockMode.SHARE)
    CREATE_TRIGGER = ("CREATE TRIGGER, ADD FOREIGN KEY", LockMode.SHARE_ROW_EXCLUSIVE)
    REFRESH_CONCURRENTLY = ("REFRESH MATERIALIZED VIEW CONCURRENTLY", LockMode.EXCLUSIVE)
    DDL = ("ALTER TABLE, DROP, TRUNCATE, VACUUM FULL", LockMode.ACCESS_EXCLUSIVE)

    def __init__(self, label: str, mode: LockMode) -> None:
        self.label = label
        self.mode = mode

    @property
    def key(self) -> str:
        """snake_case name, for JSON."""
        return self.name.lower()


def summary(blocked: Iterable[Activity]) -> str:
    """What is blocked, in words: `reads, writes, index builds, VACUUM and DDL`."""
    b = set(blocked)
    words = []
    if Activity.SELECT in b:
        words.append("reads")
    if Activity.WRITE in b:
        words.append("writes")
    elif Activity.SELECT_FOR_UPDATE in b:
        words.append("locking reads")
    if Activity.CREATE_INDEX in b:
        words.append("index builds")
    if Activity.MAINTENANCE in b:
        words.append("VACUUM")
    if Activity.DDL in b:
        words.append("DDL")
    if not words:
        return "nothing"
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
