"""What a statement means beyond the primary: its lock on hot standbys, its change to subscribers.

- Hot standbys replay the primary's ACCESS EXCLUSIVE locks (from the WAL
  record each one writes), and hold them until the transaction's commit is
  replayed: queries on a standby wait for the table as long as the primary's
  do. Worse, a query already reading the table there blocks replay itself,
  for every table, until `max_standby_streaming_delay` (30 s by default)
  cancels it. A catalog-only ACCESS EXCLUSIVE lasts milliseconds; one held
  while the table is rewritten, scanned or filled lasts with its size
  (`long_exclusive_lock`).
- Logical replication sends a published table's rows to subscribers, which
  apply them to their own table of the same name, column by column by name.
  A column added here before the subscribers have it stops their apply
  ("missing replicated column"); a column dropped there first, likewise the
  other way. So an additive change goes to the subscribers first, a
  destructive one here first; a rename has no safe order
  (`published_changes`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pglast import ast
from pglast.enums import ObjectType as OT

from studio.plan.locks.facts import Effect
from studio.plan.locks.modes import LockMode
from studio.plan.locks.parse import isa, names_key, relkey
from studio.words import counted

if TYPE_CHECKING:
    from studio.plan.locks.context import Context
    from studio.plan.locks.kb import LockFact

# what makes an ACCESS EXCLUSIVE last with the table's size, not a catalog update's milliseconds
_LONG = frozenset({Effect.REWRITE, Effect.SCAN, Effect.INDEX_BUILD, Effect.DATA})


def long_exclusive_lock(
    facts: Iterable[LockFact], existing: Callable[[str], bool]
) -> LockFact | None:
    """The first ACCESS EXCLUSIVE held while an existing table is rewritten, scanned or filled."""
    for f in facts:
        table = f.via or f.relation
        if f.mode is LockMode.ACCESS_EXCLUSIVE and f.effect in _LONG and not f.placeholder:
            if existing(table):
                return f
    return None


def standby_lock_note(fact: LockFact, seconds: str, standbys: int | None) -> str:
    """The preview's line for a step whose ACCESS EXCLUSIVE lasts `seconds` (words) on standbys."""
    on = (
        "any hot standby (none streams from this server now)"
        if standbys == 0
        else "every hot standby"
        if standbys is None
        else f"the {counted(standbys, 'hot standby', 'hot standbys')} streaming from this server"
    )
    return (
        f"ACCESS EXCLUSIVE on {fact.via or fact.relation} for {seconds} is replayed on {on}:"
        " queries there on the table wait as long, and one already reading it holds up all"
        " replay until max_standby_streaming_delay (30 s by default) cancels it"
    )


class Order(enum.Enum):
    """Where a change to a published table goes first."""

    SUBSCRIBERS_FIRST = "is additive: apply it on the subscribers first, then here"
    PUBLISHER_FIRST = "is destructive: apply it here first, then on the subscribers"
    NONE = (
        "breaks the subscribers in either order (they match tables and columns by name):"
        " add the new one, move the readers, then drop the old one"
    )


@dataclass(frozen=True, slots=True)
class PublishedChange:
    """A change to a table that is in a publication, and which side must have it first."""

    table: str
    publications: tuple[str, ...]
    what: str
    order: Order

    def describe(self) -> str:
        """`public.orders is in publication app: ADD COLUMN note is additive: ...`."""
        pubs = ", ".join(self.publications)
        return f"{self.table} is in publication {pubs}: {self.what} {self.order.value}"


# ALTER TABLE subcommands that change what subscribers receive, and their order
_ALTERS = {
    "AT_AddColumn": ("ADD COLUMN", Order.SUBSCRIBERS_FIRST),
    "AT_AlterColumnType": ("ALTER COLUMN {} TYPE", Order.SUBSCRIBERS_FIRST),
    "AT_DropNotNull": ("ALTER COLUMN {} DROP NOT NULL", Order.SUBSCRIBERS_FIRST),
    "AT_DropColumn": ("DROP COLUMN", Order.PUBLISHER_FIRST),
}


def published_changes(node: Any, context: Context) -> list[PublishedChange]:
    """The changes `node` makes to existing tables that are in a publication."""
    if not context.publications:
        return []
    found = list(_changes(node, context.default_schema))
    out: list[PublishedChange] = []
    for table, what, order in found:
        pubs = context.publications_of(table)
        if pubs and not context.is_new(table):
            out.append(PublishedChange(table, pubs, what, order))
    return out


def _changes(node: Any, schema: str) -> Iterable[tuple[str, str, Order]]:
    if isa(node, ast.AlterTableStmt) and node.relation is not None:
        table = relkey(node.relation, schema)
        for cmd in node.cmds or ():
            kind = _ALTERS.get(cmd.subtype.name)
            if kind is None:
                continue
            words, order = kind
            column = cmd.def_.colname if cmd.subtype.name == "AT_AddColumn" else cmd.name
            what = words.format(column) if "{}" in words else f"{words} {column}"
            yield table, what, order
    elif isa(node, ast.RenameStmt) and node.relation is not None:
        table = relkey(node.relation, schema)
        if node.renameType == OT.OBJECT_COLUMN:
            yield table, f"RENAME COLUMN {node.subname} TO {node.newname}", Order.NONE
        elif node.renameType == OT.OBJECT_TABLE:
            yield table, f"RENAME TO {node.newname}", Order.NONE
    elif isa(node, ast.DropStmt) and node.removeType == OT.OBJECT_TABLE:
        for obj in node.objects or ():
            names = obj if isinstance(obj, tuple) else (obj,)
            yield names_key(names, schema), "DROP TABLE", Order.PUBLISHER_FIRST
