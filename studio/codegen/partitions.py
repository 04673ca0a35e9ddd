"""Partitions in the pulled SQL file: `CREATE TABLE ... PARTITION OF` where it is exact.

The differ makes a new partition as a table of its own, gives it its keys and
indexes, then attaches it (`studio.model.changes.tables.CreateTable`): that
keeps any names. When each of the partition's attached keys and indexes has
the very name PostgreSQL would give the one it clones from the parent, and
the parent's are made before (by the models), `CREATE TABLE ... PARTITION
OF` builds the same partition in one statement, as a person would write it.
`partitions_of` makes that replacement in a change list, and only then.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from studio.model import (
    NAMEDATALEN,
    Constraint,
    ConstraintKind,
    Index,
    Table,
    make_object_name,
    qualname,
)
from studio.model import quote_ident as quote
from studio.model.changes import (
    AddConstraint,
    AttachIndexPartition,
    AttachPartition,
    CreateIndex,
    CreateTable,
)
from studio.model.changes.base import schema_of, split_qualified
from studio.sqltext.scan import paren_end, split_top

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.model import Schema
    from studio.model.changes import Change


def partitions_of(changes: Sequence[Change], live: Schema, server_version: int) -> list[Change]:
    """`changes` with each new partition made PARTITION OF its parent where that is exact.

    `server_version`: server_version_num of the database the SQL is for (NOT
    NULL constraints have names from 18 on).
    """
    created = _indexes_made(changes)
    attaching = {c.child for c in changes if isinstance(c, AttachPartition)}
    folded: set[str] = set()
    for c in changes:
        if isinstance(c, CreateTable) and not c.attached and c.table.key in attaching:
            table = live.tables.get(c.table.key)
            parent = live.tables.get(c.table.partition_of or "")
            if table is not None and parent is not None and _clones_exactly(table, parent, created):
                folded.add(table.key)
    out: list[Change] = []
    for c in changes:
        if isinstance(c, CreateTable) and c.table.key in folded:
            parent = live.tables[c.table.partition_of or ""]
            own = _own_options(c.table, parent, server_version)
            out.append(dataclasses.replace(c, table=own, attached=True))
        elif not _folded_into(c, folded):
            out.append(c)
    return out


def _own_options(t: Table, parent: Table, server_version: int) -> Table:
    """`t` without the defaults and NOT NULLs PARTITION OF takes from `parent` (it writes the
    rest as WITH OPTIONS).

    From PostgreSQL 18 a NOT NULL taken from the parent keeps the parent's
    constraint name: one of the partition's own name is written, always.
    """
    names_not_null = server_version >= 180000
    columns = []
    for c in t.columns:
        p = parent.column(c.name)
        if p is not None and p.default == c.default:
            c = dataclasses.replace(c, default=None)
        if p is not None and p.not_null and c.not_null and not names_not_null:
            c = dataclasses.replace(c, not_null=False)
        columns.append(c)
    return dataclasses.replace(t, columns=tuple(columns))


def _folded_into(c: Change, folded: set[str]) -> bool:
    """Whether `c` is part of what PARTITION OF does for one of the `folded` partitions."""
    if isinstance(c, AttachPartition):
        return c.child in folded
    if isinstance(c, AttachIndexPartition):
        return c.partition in folded
    if isinstance(c, AddConstraint):
        return c.table in folded and c.constraint.attached_to is not None
    if isinstance(c, CreateIndex):
        return c.table in folded and c.index.attached_to is not None
    return False


def _indexes_made(changes: Sequence[Change]) -> set[str]:
    """The qualified names of the indexes (and keys' indexes) the changes make."""
    out: set[str] = set()
    for c in changes:
        if isinstance(c, CreateIndex):
            out.add(qualname(schema_of(c.table), c.index.name))
        elif isinstance(c, AddConstraint):
            out.add(qualname(schema_of(c.table), c.constraint.index or c.constraint.name))
    return out


def _clones_exactly(t: Table, parent: Table, created: set[str]) -> bool:
    """Whether PARTITION OF gives `t` its defaults, and its attached keys and indexes under
    their names."""
    # PARTITION OF takes the parent's defaults: a partition without one keeps none
    for c in parent.columns:
        own = t.column(c.name)
        if c.default is not None and (own is None or own.default is None):
            return False
    by_quoted = {quote(c.name): c.name for c in t.columns}
    for con in t.constraints:
        if con.attached_to is None:
            continue
        if con.attached_to in created or con.name != _key_name(t.name, con, by_quoted):
            return False
    for index in t.indexes:
        if index.attached_to is None:
            continue
        if index.attached_to in created:
            return False
        if index.name != _index_name(t.name, index, by_quoted):
            return False
    return True


def _key_name(table: str, con: Constraint, by_quoted: dict[str, str]) -> str:
    """The name ChooseIndexName gives a key cloned onto partition `table`."""
    if con.kind is ConstraintKind.PRIMARY_KEY:
        return make_object_name(table, None, "pkey")
    label = "excl" if con.kind is ConstraintKind.EXCLUSION else "key"
    if con.kind is ConstraintKind.EXCLUSION:
        start = con.definition.index("(")
        elements = split_top(con.definition[start + 1 : paren_end(con.definition, start) - 1])
        names = [_element_name(e.rpartition(" WITH ")[0], by_quoted) for e in elements]
    else:
        names = list(con.columns)
    names += [split_qualified(c)[0] for c in _include(con.definition)]
    return make_object_name(table, _addition(names), label)


def _index_name(table: str, index: Index, by_quoted: dict[str, str]) -> str:
    """The name ChooseIndexName gives an index cloned onto partition `table`."""
    names = [_element_name(k, by_quoted) for k in index.keys]
    names += [by_quoted.get(c, split_qualified(c)[0]) for c in index.include]
    return make_object_name(table, _addition(names), "idx")


def _element_name(key: str, by_quoted: dict[str, str]) -> str:
    """A key's column name (its opclass, order and collation aside), else `expr`."""
    first = key.split(" ", 1)[0]
    return by_quoted.get(first, "expr")


def _addition(names: list[str]) -> str:
    """ChooseIndexColumnNames and ChooseIndexNameAddition: distinct names joined by `_`."""
    distinct: list[str] = []
    for name in names:
        candidate, n = name, 0
        while candidate in distinct:
            n += 1
            candidate = f"{name}{n}"
        distinct.append(candidate)
    out = ""
    for name in distinct:
        out += ("_" if out else "") + name
        if len(out.encode()) >= NAMEDATALEN:
            break
    return out


def _include(definition: str) -> list[str]:
    m = re.search(r" INCLUDE \(", definition)
    if m is None:
        return []
    end = paren_end(definition, m.end() - 1)
    return split_top(definition[m.end() : end - 1])
