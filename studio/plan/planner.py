"""The planner: ordered changes rewritten into their online-safe forms, by default.

Each change of the diff becomes one `PlanItem` holding its plain form and,
when one exists, a safe form: a few changes that reach the same schema while
holding the strong locks only briefly (CONCURRENTLY, NOT VALID + VALIDATE,
NOT NULL through a validated CHECK, UNIQUE/PRIMARY KEY through an index built
concurrently). The safe form is chosen unless the user switches the item to
its plain form. Objects created in the same migration are new and empty, so
they keep their plain form: there is nothing to protect.

Pure: no I/O. Lock facts and hazards come from `studio.plan.locks`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.model import Constraint, ConstraintKind, Index, Table, quote_ident
from studio.model.changes import (
    AddColumn,
    AddConstraint,
    AttachIndexPartition,
    Backfill,
    Change,
    CreateIndex,
    CreateTable,
    DropConstraint,
    DropIndex,
    SetDefault,
    SetNotNull,
    ValidateConstraint,
)
from studio.model.changes.base import split_qualified
from studio.plan.locks import Context
from studio.plan.locks.changes import entries_for_change

# the backfill's batch size when the caller gives none (as `studio.plan.moves.DEFAULT_BATCH_SIZE`)
DEFAULT_BATCH_SIZE = 10_000
# primary-key types a backfill can walk by range
_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from studio.model import Schema


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One change of the diff, in its plain form and (when there is one) its safe form."""

    plain: tuple[Change, ...]
    safe: tuple[Change, ...] | None = None
    use_safe: bool = True
    # why the safe form is safer, one line (shown beside the item)
    why: str = ""
    # why an item that could have had a safe form keeps its plain one ("" when not asked)
    note: str = ""

    @property
    def changes(self) -> tuple[Change, ...]:
        """The form that will run."""
        return self.safe if (self.use_safe and self.safe is not None) else self.plain

    @property
    def has_safe_form(self) -> bool:
        """Whether the item can be switched between a plain and a safe form."""
        return self.safe is not None

    def toggled(self) -> PlanItem:
        """The same item switched to its other form."""
        return dataclasses.replace(self, use_safe=not self.use_safe)

    def describe(self) -> str:
        """The plain change's description (what the item achieves)."""
        return self.plain[0].describe()


@dataclass(frozen=True, slots=True)
class Plan:
    """Planned items in order; `changes` flattens the chosen forms."""

    items: tuple[PlanItem, ...]
    server_version: int = 0

    @property
    def changes(self) -> tuple[Change, ...]:
        """Every change that will run, in order."""
        return tuple(c for item in self.items for c in item.changes)

    def with_item(self, index: int, item: PlanItem) -> Plan:
        """A copy with item `index` replaced."""
        items = list(self.items)
        items[index] = item
        return dataclasses.replace(self, items=tuple(items))


def plan_safe_forms(
    changes: Sequence[Change],
    old: Schema | None = None,
    *,
    server_version: int = 0,
    safe: bool = True,
    batch_size: int | None = None,
) -> Plan:
    """Plan ordered `changes`: each gets its safe form when one exists (chosen when `safe`).

    `batch_size` is the default batch size written into backfill steps.
    """
    ctx = _Planning(
        created={c.table.key for c in changes if isinstance(c, CreateTable)},
        not_null={(c.table, c.column) for c in changes if isinstance(c, SetNotNull)},
        taken=_relation_names(old, changes),
        old=old,
        server_version=server_version,
        batch_size=batch_size or DEFAULT_BATCH_SIZE,
    )
    items = []
    for change in changes:
        form, why, note = _safe_form(change, ctx)
        items.append(PlanItem((change,), form, safe and form is not None, why, note))
    return Plan(tuple(items), server_version)


@dataclass(slots=True)
class _Planning:
    """What every item's safe form may depend on."""

    created: set[str]
    # (table, column) pairs the diff sets NOT NULL in an item of their own
    not_null: set[tuple[str, str]]
    # relation names per schema, taken or chosen: new partition index names avoid them
    taken: dict[str, set[str]]
    old: Schema | None
    server_version: int
    batch_size: int


Form = tuple[tuple[Change, ...] | None, str, str]


def _safe_form(change: Change, ctx: _Planning) -> Form:
    table = getattr(change, "table", None)
    old = ctx.old
    if not isinstance(table, str) or table in ctx.created:
        return None, "", ""  # a table made in this migration is empty and unseen: plain is fine
    if isinstance(change, CreateIndex) and not change.concurrently and not change.only:
        if _partitioned(old, table):
            return _partition_wise(change, ctx)
        return (
            (dataclasses.replace(change, concurrently=True),),
            "builds the index without blocking writes",
            "",
        )
    if isinstance(change, DropIndex) and not change.concurrently:
        if _partitioned(old, table):
            return None, "", ""
        return (
            (dataclasses.replace(change, concurrently=True),),
            "waits for running queries instead of blocking them",
            "",
        )
    if isinstance(change, AddConstraint):
        keyed = change.constraint.kind in (ConstraintKind.UNIQUE, ConstraintKind.PRIMARY_KEY)
        if keyed and _partitioned(old, table):
            # CONCURRENTLY and USING INDEX are both refused on a partitioned table
            return None, "", "a key on a partitioned table has no concurrent form"
        return (*_safe_constraint(change, ctx), "")
    if isinstance(change, SetNotNull) and change.valid and change.name is None:
        return (*_safe_not_null(change, old), "")
    if isinstance(change, AddColumn):
        return _safe_add_column(change, ctx)
    return None, "", ""


def _partitioned(old: Schema | None, table: str) -> bool:
    t = old.tables.get(table) if old is not None else None
    return t is not None and t.partition_key is not None


def _safe_constraint(
    change: AddConstraint, ctx: _Planning
) -> tuple[tuple[Change, ...] | None, str]:
    c = change.constraint
    if (
        c.kind in (ConstraintKind.FOREIGN_KEY, ConstraintKind.CHECK)
        and c.validated
        and not c.no_inherit
    ):
        not_valid = dataclasses.replace(c, definition=f"{c.definition} NOT VALID", validated=False)
        return (
            (
                dataclasses.replace(change, constraint=not_valid),
                ValidateConstraint(change.table, c.name),
            ),
            "adds the constraint NOT VALID (brief lock), then validates it without blocking writes",
        )
    if c.kind in (ConstraintKind.UNIQUE, ConstraintKind.PRIMARY_KEY) and _plain_key(c):
        kind = "PRIMARY KEY" if c.kind is ConstraintKind.PRIMARY_KEY else "UNIQUE"
        cols = ", ".join(quote_ident(n) for n in c.columns)
        index = Index(
            name=c.name,
            definition=f"CREATE UNIQUE INDEX {quote_ident(c.name)} ON {change.table}"
            f" USING btree ({cols})",
            unique=True,
            keys=c.columns,
        )
        using = dataclasses.replace(c, definition=f"{kind} USING INDEX {quote_ident(c.name)}")
        # USING INDEX makes a nullable column NOT NULL with a scan under ACCESS EXCLUSIVE:
        # prove it first the safe way, unless another item of the diff sets it NOT NULL
        before: list[Change] = []
        why = "builds the unique index concurrently, then attaches it as the constraint"
        if c.kind is ConstraintKind.PRIMARY_KEY:
            for name in _nullable(ctx.old, change.table, c.columns):
                if (change.table, name) not in ctx.not_null:
                    form, _ = _safe_not_null(SetNotNull(change.table, name), ctx.old)
                    before.extend(form or ())
            if before:
                why = "sets NOT NULL through a validated CHECK, " + why
        return (
            (
                *before,
                CreateIndex(change.table, index, concurrently=True),
                dataclasses.replace(change, constraint=using),
            ),
            why,
        )
    return None, ""


def _nullable(old: Schema | None, table: str, columns: Sequence[str]) -> list[str]:
    """The columns of `table` that are nullable in the old schema (new columns are not)."""
    t = old.tables.get(table) if old is not None else None
    if t is None:
        return []
    return [n for n in columns if (col := t.column(n)) is not None and not col.not_null]


def _plain_key(c: Constraint) -> bool:
    """A key defined exactly as `UNIQUE (cols)` / `PRIMARY KEY (cols)`: USING INDEX can make it."""
    head = "PRIMARY KEY" if c.kind is ConstraintKind.PRIMARY_KEY else "UNIQUE"
    plain = f"{head} ({', '.join(quote_ident(n) for n in c.columns)})"
    return bool(c.columns) and c.definition == plain and not c.deferrable


def _safe_not_null(change: SetNotNull, old: Schema | None) -> tuple[tuple[Change, ...] | None, str]:
    # SET NOT NULL skips its full scan (PostgreSQL 12+) when a validated
    # CHECK (col IS NOT NULL) exists: add it NOT VALID, validate it under
    # SHARE UPDATE EXCLUSIVE, set NOT NULL (catalog only), drop the check.
    name = _check_name(change.table, change.column)
    check = Constraint(
        name=name,
        kind=ConstraintKind.CHECK,
        definition=f"CHECK (({quote_ident(change.column)} IS NOT NULL)) NOT VALID",
        columns=(change.column,),
        validated=False,
    )
    valid_check = dataclasses.replace(
        check, definition=f"CHECK (({quote_ident(change.column)} IS NOT NULL))", validated=True
    )
    return (
        (
            AddConstraint(change.table, check),
            ValidateConstraint(change.table, name),
            change,
            DropConstraint(change.table, valid_check),
        ),
        "proves NOT NULL with a CHECK validated without blocking writes,"
        " so SET NOT NULL skips its scan",
    )


def _check_name(table: str, column: str) -> str:
    base = table.rsplit(".", 1)[-1].strip('"')
    return f"{base}_{column}_not_null_check"[:63]


# --- an index of a partitioned table, partition by partition -------------------------------------


def _partition_wise(change: CreateIndex, ctx: _Planning) -> Form:
    """CREATE INDEX ON ONLY the parent, CONCURRENTLY on each partition, each attached to it."""
    assert ctx.old is not None
    if not _partitions(ctx.old, change.table):
        return None, "", ""  # no partition: the plain statement touches the catalog only
    why = (
        "CONCURRENTLY is refused on a partitioned table: the index is made on the parent only "
        "(catalog), built CONCURRENTLY on each partition, then attached"
    )
    return tuple(_index_tree(change.table, change.index, ctx, change)), why, ""


def _index_tree(
    table: str, index: Index, ctx: _Planning, change: CreateIndex | None = None
) -> list[Change]:
    assert ctx.old is not None
    head = (
        dataclasses.replace(change, only=True)
        if change is not None
        else CreateIndex(table, index, only=True)
    )
    out: list[Change] = [head]
    attach: list[Change] = []
    for part in _partitions(ctx.old, table):
        name = _free_index_name(ctx, part, index)
        child = Index(
            name=name,
            definition=_index_on(index.definition, name, part),
            unique=index.unique,
            method=index.method,
            keys=index.keys,
            include=index.include,
            predicate=index.predicate,
            nulls_not_distinct=index.nulls_not_distinct,
        )
        if part.partition_key is not None and _partitions(ctx.old, part.key):
            out.extend(
                _index_tree(part.key, child, ctx)
            )  # a sub-partitioned partition: the same, one level down
        else:
            out.append(CreateIndex(part.key, child, concurrently=True))
        attach.append(AttachIndexPartition(table, index.name, part.key, name))
    return out + attach


def _partitions(old: Schema, table: str) -> list[Table]:
    return sorted((t for t in old.tables.values() if t.partition_of == table), key=lambda t: t.key)


def _index_on(definition: str, name: str, table: Table) -> str:
    """The definition `CREATE [UNIQUE] INDEX ... ON ONLY parent ...` made for `name` on `table`."""
    from pglast import ast, parse_sql  # deferred: pglast loads its parser only when SQL is parsed
    from pglast.stream import RawStream  # deferred: pglast loads its parser only when SQL is parsed

    stmt = parse_sql(definition)[0].stmt
    assert isinstance(stmt, ast.IndexStmt)
    stmt.idxname = name
    stmt.relation = ast.RangeVar(
        schemaname=table.schema, relname=table.name, inh=True, relpersistence="p"
    )
    stmt.concurrent = False
    return str(RawStream()(stmt))


def _free_index_name(ctx: _Planning, part: Table, index: Index) -> str:
    """PostgreSQL's choice of name for an index of `part` (`<table>_<columns>_idx`), made unique."""
    taken = ctx.taken.setdefault(part.schema, set())
    cols = [
        k if _plain_name(k) else "expr" for k in (k.split(" ")[0].strip('"') for k in index.keys)
    ] or ["expr"]
    suffix = "idx"
    base = "_".join([part.name, *cols])
    name, n = _truncated(base, suffix), 1
    while name in taken:
        name, n = _truncated(base, f"{suffix}{n}"), n + 1
    taken.add(name)
    return name


def _plain_name(key: str) -> bool:
    return bool(key) and (key.replace("_", "a").isalnum())


def _truncated(base: str, suffix: str) -> str:
    """`base_suffix` within 63 bytes, the base shortened (never splitting a character)."""
    room = 63 - len(suffix.encode()) - 1
    raw = base.encode()[:room].decode(errors="ignore")
    return f"{raw}_{suffix}"


def _relation_names(old: Schema | None, changes: Sequence[Change]) -> dict[str, set[str]]:
    """Relation names per schema: the old schema's and those the changes create."""
    names: dict[str, set[str]] = {}

    def add(qualified: str, name: str | None = None) -> None:
        parts = split_qualified(qualified)
        schema = parts[0] if len(parts) > 1 else "public"
        names.setdefault(schema, set()).add(name if name is not None else parts[-1])

    if old is not None:
        for t in old.tables.values():
            add(t.key)
            for i in t.indexes:
                add(t.key, i.name)
            for c in t.constraints:
                add(t.key, c.index or c.name)
        for key in (*old.sequences, *old.views):
            add(key)
    for change in changes:
        table = getattr(change, "table", None)
        if isinstance(change, CreateIndex) and isinstance(table, str):
            add(table, change.index.name)
        elif isinstance(change, AddConstraint):
            add(change.table, change.constraint.index or change.constraint.name)
        elif isinstance(change, CreateTable):
            add(change.table.key)
    return names


# --- a column with a volatile default ---------------------------------------------------------


def _safe_add_column(change: AddColumn, ctx: _Planning) -> Form:
    """Nullable without default, SET DEFAULT, backfill in batches, then NOT NULL the safe way."""
    col = change.column
    if col.default is None or col.identity is not None or col.generated is not None:
        return None, "", ""
    if not _rewrites(change, ctx):
        return None, "", ""
    t = ctx.old.tables.get(change.table) if ctx.old is not None else None
    pk = t.primary_key if t is not None else None
    key = (
        t.column(pk.columns[0])
        if t is not None and pk is not None and len(pk.columns) == 1
        else None
    )
    if key is None or key.type not in _INTEGER_TYPES:
        return (
            None,
            "",
            (
                f"{change.describe()}: its volatile default rewrites the table;"
                " no safe form, since the backfill walks a single-column integer primary key"
                " and the table has none"
            ),
        )
    if col.not_null and (col.not_null_name is not None or not col.not_null_valid):
        return (
            None,
            "",
            (
                f"{change.describe()}: its volatile default rewrites the table;"
                " no safe form for a named or NOT VALID NOT NULL constraint"
            ),
        )
    assert key is not None
    bare = dataclasses.replace(col, default=None, not_null=False)
    steps: list[Change] = [
        dataclasses.replace(change, column=bare),
        SetDefault(change.table, col.name, col.default, deps=change.deps),
        Backfill(change.table, col.name, col.default, key.name, ctx.batch_size),
    ]
    why = (
        "adds the column without a default (catalog only), sets the default for new rows,"
        " backfills existing rows in batches"
    )
    if col.not_null:
        form, _ = _safe_not_null(SetNotNull(change.table, col.name), ctx.old)
        steps.extend(form or ())
        why += ", then sets NOT NULL through a validated CHECK"
    return tuple(steps), why, ""


def _rewrites(change: AddColumn, ctx: _Planning) -> bool:
    """Whether the lock knowledge base says the ADD COLUMN's default is volatile (a rewrite)."""

    context = Context.of(ctx.old) if ctx.old is not None else None
    entries = entries_for_change(change, ctx.server_version or 180000, context)
    return any(m.entry.id == "alter_table.add_column.volatile_default" for m in entries)


def inverses(changes: Sequence[Change]) -> list[Change | None]:
    """The inverse of each change, last first; a backfill needs none (its column's undoes it)."""
    return [c.inverse() for c in reversed(changes) if not isinstance(c, Backfill)]


@dataclass(frozen=True, slots=True)
class Undo:
    """A plan's down side: the changes that undo it, last first, or those that have no inverse."""

    changes: tuple[Change, ...]
    # the (plain) changes with no inverse: when any, there is no down file
    irreversible: tuple[Change, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether the down file can be written: something to undo and every change invertible."""
        return bool(self.changes) and not self.irreversible

    def why_none(self) -> str:
        """Why there is no down file, naming the changes that cannot be undone ("" if there is)."""
        if not self.irreversible:
            return "nothing to undo" if not self.changes else ""
        return no_inverse(self.irreversible)


def no_inverse(irreversible: Sequence[Change], shown: int = 3) -> str:
    """`no inverse for <change>; <change>; and N more`: why a migration has no down file."""
    names = [c.describe() for c in irreversible]
    more = len(names) - shown
    return "no inverse for " + "; ".join(names[:shown]) + (f"; and {more} more" if more > 0 else "")


def undo(
    items: Sequence[PlanItem],
    after: Schema | None = None,
    *,
    server_version: int = 0,
    safe: bool = True,
) -> Undo:
    """What undoes `items` once applied: the inverse of each item's plain change, last first.

    An item is undone through its plain change, whatever form ran: a safe form's
    steps (NOT VALID + VALIDATE, an index built CONCURRENTLY and attached, NOT
    NULL proven by a CHECK) reach the plain change's schema, so its inverse undoes
    them, where the steps' own inverses would not (VALIDATE has none). The down
    changes get their own safe forms (`after` is the schema they run on), unless
    `safe` is off or the up item was switched to its plain form; a form with a
    backfill stays plain, since a rollback runs its steps as plain SQL.
    """
    down: list[Change] = []
    missing: list[Change] = []
    plain_wanted: list[bool] = []
    for item in reversed(items):
        inverted = [c.inverse() for c in reversed(item.plain)]
        if any(i is None for i in inverted):
            missing.extend(c for c in reversed(item.plain) if c.inverse() is None)
            continue
        down.extend(i for i in inverted if i is not None)
        plain_wanted.extend([item.has_safe_form and not item.use_safe] * len(inverted))
    if missing:
        return Undo((), tuple(reversed(missing)))
    planned = plan_safe_forms(down, after, server_version=server_version, safe=safe)
    chosen = tuple(
        c
        for item, plain in zip(planned.items, plain_wanted, strict=True)
        for c in (
            item.plain
            if plain or any(isinstance(s, Backfill) for s in item.changes)
            else item.changes
        )
    )
    return Undo(chosen)


def toggle_all(p: Plan, *, safe: bool) -> Plan:
    """Every item switched to its safe (or plain) form."""
    return dataclasses.replace(
        p, items=tuple(dataclasses.replace(i, use_safe=safe) for i in p.items)
    )


def flatten(items: Iterable[PlanItem]) -> tuple[Change, ...]:
    """The chosen forms of `items`, in order."""
    return tuple(c for item in items for c in item.changes)
