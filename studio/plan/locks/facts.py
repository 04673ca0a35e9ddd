"""The vocabulary of lock analysis: effects, roles, knowledge-base entries and lock facts.

`studio.plan.locks.kb` is the table of entries written in it; a `LockFact` is one
answer (this relation, this mode, this effect) for one statement.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from studio.plan.locks.modes import Activity, LockMode, summary


def pg(major: int) -> int:
    """A major version as server_version_num (`pg(12)` = 120000)."""
    return major * 10000


def version_num(server_version: int) -> int:
    """Accept a major (`18`) or a server_version_num (`180006`)."""
    return server_version * 10000 if server_version < 1000 else server_version


class Effect(enum.Enum):
    """What a statement does to a relation, cheapest first."""

    CATALOG = "catalog"  # only the system catalogs: instant once the lock is granted
    TRUNCATE = "truncate"  # new, empty storage: fast whatever the size
    SCAN = "scan"  # reads every row (validation): grows with the table
    DATA = "data"  # reads and writes rows (DML): grows with the rows touched
    INDEX_BUILD = "index_build"  # builds one or more indexes: grows with the table
    REWRITE = "rewrite"  # writes a new copy of the table and its indexes

    @property
    def rank(self) -> int:
        """Order of cost, for merging two effects on one relation."""
        return list(Effect).index(self)

    @property
    def label(self) -> str:
        """Words for humans."""
        return _EFFECT_LABELS[self]


_EFFECT_LABELS = {
    Effect.CATALOG: "catalog only",
    Effect.TRUNCATE: "replaces the storage with an empty one",
    Effect.SCAN: "scans the table",
    Effect.DATA: "reads and writes rows",
    Effect.INDEX_BUILD: "builds an index",
    Effect.REWRITE: "rewrites the table and its indexes",
}


class Role(enum.Enum):
    """The part a relation plays in a statement."""

    TABLE = "table"  # the relation the statement is about
    REFERENCED = "referenced"  # a table a foreign key points at
    REFERENCING = "referencing"  # tables whose foreign keys point at TABLE (TRUNCATE ... CASCADE)
    INDEX = "index"  # an existing index the statement names or rebuilds
    PARENT = (
        "parent"  # inheritance parent, or the partitioned table of CREATE TABLE ... PARTITION OF
    )
    PARTITION = (
        "partition"  # the partition attached or detached, or partitions an index is built on
    )
    DEFAULT_PARTITION = "default_partition"  # the parent's DEFAULT partition (its rows are checked)
    SOURCE = "source"  # relations a view or query reads
    DOMAIN_USER = "domain_user"  # tables with a column of the domain altered


@dataclass(frozen=True, slots=True)
class Rule:
    """One lock of an entry: on the relations in `role`, `mode`, doing `effect`.

    For some server versions.
    """

    role: Role
    mode: LockMode
    effect: Effect
    since: int | None = None  # first server_version_num this rule holds for
    until: int | None = None  # first server_version_num it no longer holds for
    note: str = ""  # the version or context condition that makes this the answer

    def holds_for(self, version: int) -> bool:
        """Whether the rule describes server `version` (server_version_num)."""
        return (self.since is None or version >= self.since) and (
            self.until is None or version < self.until
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """A statement kind and the locks it takes."""

    id: str
    title: str
    rules: tuple[Rule, ...]
    transactional: bool = True  # False: refused inside a transaction block (CONCURRENTLY, VACUUM)
    since: int | None = None  # first server version that has the statement
    locks_rows: bool = False  # holds row locks on the rows it writes until commit
    note: str = ""

    def rules_for(self, version: int) -> tuple[Rule, ...]:
        """The rules that hold for server `version`."""
        return tuple(r for r in self.rules if r.holds_for(version))

    def roles(self) -> frozenset[Role]:
        """Every role some rule names."""
        return frozenset(r.role for r in self.rules)


@dataclass(frozen=True, slots=True)
class LockFact:
    """One lock a statement takes: on which relation, which mode, and what it does there."""

    relation: str
    mode: LockMode
    effect: Effect
    conditions: tuple[str, ...] = ()
    entry: str = ""
    role: Role = Role.TABLE
    # the table whose queries also lock this relation: an index's table (the
    # planner locks every index of a table it plans a query for), a partition's
    # parent (a query on the parent locks the partitions it cannot prune)
    via: str | None = None

    @property
    def blocks(self) -> frozenset[Activity]:
        """What other sessions cannot do on `relation` while the lock is held or queued."""
        return self.mode.blocks

    @property
    def blocks_reads(self) -> bool:
        """Whether plain SELECTs wait.

        An index locked ACCESS EXCLUSIVE stops its table's queries too.
        """
        return Activity.SELECT in self.blocks

    @property
    def blocks_writes(self) -> bool:
        """Whether INSERT/UPDATE/DELETE wait."""
        return Activity.WRITE in self.blocks

    @property
    def placeholder(self) -> bool:
        """True when the relation is not known by name (`(indexes of public.t)`)."""
        return self.relation.startswith("(")

    def blocks_on(self, relation: str) -> frozenset[Activity]:
        """What this lock stops on `relation`: directly, or through an index or partition of it."""
        if self.relation == relation:
            return self.blocks
        if self.via != relation:
            return frozenset()
        if (
            self.role is Role.INDEX
        ):  # queries plan over every index; DDL on the table does not lock them
            return self.blocks & _QUERIES
        return self.blocks  # queries and most DDL on a partitioned table recurse to its partitions

    def describe(self) -> str:
        """`ACCESS EXCLUSIVE on public.t (blocks reads, writes...), rewrites the table...`."""
        return (
            f"{self.mode.label} on {self.relation}:"
            f" blocks {summary(self.blocks)}; {self.effect.label}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "relation": self.relation,
            "role": self.role.value,
            "mode": self.mode.label,
            "effect": self.effect.value,
            "blocks": sorted(a.key for a in self.blocks),
            "conditions": list(self.conditions),
            "entry": self.entry,
        }


_QUERIES = frozenset({Activity.SELECT, Activity.SELECT_FOR_UPDATE, Activity.WRITE})


def blocked_on(facts: Iterable[LockFact], relation: str) -> frozenset[Activity]:
    """What a statement with these facts stops other sessions doing on `relation`."""
    out: frozenset[Activity] = frozenset()
    for f in facts:
        out |= f.blocks_on(relation)
    return out
