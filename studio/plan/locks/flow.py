"""Hazards that need more than one statement: transactions, files, sessions.

Validating in the transaction that added the constraint, using an enum value
before the transaction that added it commits, holding a strong lock while
doing more, transaction control, foreign keys without an index, and (for
`lint --external`) lock_timeout and statement_timeout set by the session.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pglast import ast

from studio.plan.locks.context import Context
from studio.plan.locks.facts import Effect
from studio.plan.locks.modes import Activity
from studio.plan.locks.parse import isa, relkey
from studio.plan.locks.robust import dropped_constraints, rerun_failures
from studio.plan.locks.rules import RULES, Hit, Unit, hit

# --- sequences of statements --------------------------------------------------------------


@dataclass(slots=True)
class _Tx:
    """What the earlier statements of one transaction block did, gathered as the walk goes."""

    last: Unit | None = None  # the latest statement of the block
    held: set[str] = field(default_factory=set)  # relations locked against reads or writes
    enum_values: set[str] = field(default_factory=set)  # enum values added (not yet committed)
    # (constraint, table) of each constraint added NOT VALID
    not_valid: set[tuple[str, str]] = field(default_factory=set)
    # `held` sorted, and joined (None: to join again); a migration that locks
    # table after table reports them all on every later statement
    _held_sorted: list[str] = field(default_factory=list)
    _held_text: str | None = ""

    def add(self, u: Unit, strong: set[str]) -> None:
        self.last = u
        if more := strong - self.held:
            self.held |= more
            for relation in more:
                insort(self._held_sorted, relation)
            self._held_text = None
        if isa(u.node, ast.AlterEnumStmt) and u.node.newVal and not u.node.oldVal:
            self.enum_values.add(u.node.newVal)
        tables = u.tables()
        for m in u.matches:
            if m.entry.id.endswith(".not_valid"):
                self.not_valid.update((m.subject, t) for t in tables)

    def held_text(self) -> str:
        """The relations held, sorted and comma-separated; past `_NAMED`, a count of the rest.

        Every later statement of a long transaction repeats it: naming all of
        them made a 1,000-table down migration's lint report 100 MB of text.
        """
        if self._held_text is None:
            names = self._held_sorted
            rest = len(names) - _NAMED
            self._held_text = ", ".join(names[:_NAMED]) + (
                f" and {rest:,} more" if rest > 0 else ""
            )
        return self._held_text


# relations named in a lock-held-across-statements finding before "and N more"
_NAMED = 5


def _sequence(units: Sequence[Unit], version: int, external: bool) -> Iterator[Hit]:
    # One walk in statement order, each transaction block's state kept as it
    # grows: a migration is one transaction, so rescanning the earlier
    # statements for every statement would cost O(statements^2).
    txs: dict[int, _Tx] = {}
    empty = _Tx()
    indexes = _IndexesAfter(units)
    for u in units:
        earlier = txs.setdefault(u.tx, _Tx()) if u.in_block else empty
        strong = _strong(u)
        yield from _validate_same_tx(u, earlier)
        yield from _enum_value_used(u, earlier)
        yield from _lock_held(u, earlier, strong)
        yield from _multiple_alter(u, earlier)
        yield from _fk_index(u, indexes)
        if u.in_block:
            earlier.add(u, strong)
    yield from _transactions(units)
    yield from _robustness(units)
    if external:
        yield from _timeouts(units)


def _validate_same_tx(u: Unit, earlier: _Tx) -> Iterator[Hit]:
    if not earlier.not_valid:
        return
    if not any(i.startswith("alter_table.validate_constraint") for i in u.ids()):
        return
    name = next((m.subject for m in u.matches), "")
    if any((name, t) in earlier.not_valid for t in u.tables()):
        yield hit(u, "validate-in-same-transaction", name)


def _enum_value_used(u: Unit, earlier: _Tx) -> Iterator[Hit]:
    if earlier.enum_values:
        used = earlier.enum_values & u.string_constants()
        for value in sorted(used):
            yield hit(u, "enum-value-used-in-transaction", repr(value))


def _strong(u: Unit) -> set[str]:
    """Existing relations u locks in a mode that blocks reads or writes."""
    return {
        f.relation for f in u.facts
        if u.existing(f.relation) and (f.blocks & {Activity.SELECT, Activity.WRITE})
    }  # fmt: skip


def _lock_held(u: Unit, earlier: _Tx, strong: set[str]) -> Iterator[Hit]:
    held = earlier.held
    if not held:
        return
    slow = [
        f.relation for f in u.facts
        if u.existing(f.relation) and f.effect is not Effect.CATALOG and f.entry != "alter_sequence"
    ]  # fmt: skip
    more = strong - held
    if slow or more:
        doing = "works on " + ", ".join(slow) if slow else "locks " + ", ".join(sorted(more))
        what = f"{earlier.held_text()} held while this {doing}"
        yield hit(u, "lock-held-across-statements", what)


def _multiple_alter(u: Unit, earlier: _Tx) -> Iterator[Hit]:
    prev = earlier.last
    if not isa(u.node, ast.AlterTableStmt) or prev is None:
        return
    tables = set(u.tables())
    if (
        isa(prev.node, ast.AlterTableStmt)
        and set(prev.tables()) == tables
        and all(map(u.existing, tables))
    ):
        yield hit(u, "multiple-alter-table", ", ".join(u.tables()))


class _IndexesAfter:
    """The last statement creating an index on each (table, first key column).

    Looked up by position.
    """

    def __init__(self, units: Sequence[Unit]) -> None:
        self._units = units
        self._by_schema: dict[str, dict[tuple[str, str | None], int]] = {}

    def created_after(self, index: int, table: str, column: str, default_schema: str) -> bool:
        """Whether a statement after `index` creates an index on `table` leading with `column`."""
        last = self._by_schema.get(default_schema)
        if last is None:  # unqualified names resolve against the schema the reader assumes
            last = self._by_schema[default_schema] = {}
            for v in self._units:
                if isa(v.node, ast.IndexStmt) and v.node.indexParams:
                    key = (relkey(v.node.relation, default_schema), v.node.indexParams[0].name)
                    last[key] = max(last.get(key, v.index), v.index)
        return last.get((table, column), index) > index


def _fk_index(u: Unit, indexes: _IndexesAfter) -> Iterator[Hit]:
    """A foreign key with no index leading with its columns.

    No index known, nor one created later in the same file.
    """
    for table, cols in _foreign_keys(u.node, u.context):
        if not cols or _indexed(u.context, table, cols[0]):
            continue
        # an index a later statement or migration creates
        if indexes.created_after(u.index, table, cols[0], u.context.default_schema):
            continue
        yield hit(u, "foreign-key-without-index", f"{table} ({', '.join(cols)})")


def _foreign_keys(node: Any, ctx: Context) -> Iterator[tuple[str, tuple[str, ...]]]:
    if isa(node, ast.AlterTableStmt):
        table = relkey(node.relation, ctx.default_schema)
        for cmd in node.cmds or ():
            d = cmd.def_
            if isa(d, ast.Constraint) and d.contype.name == "CONSTR_FOREIGN":
                yield table, tuple(a.sval for a in d.fk_attrs or ())
            elif isa(d, ast.ColumnDef) and any(
                c.contype.name == "CONSTR_FOREIGN" for c in d.constraints or ()
            ):
                yield table, (d.colname,)
    elif isa(node, ast.CreateStmt):
        table = relkey(node.relation, ctx.default_schema)
        for el in node.tableElts or ():
            if isa(el, ast.Constraint) and el.contype.name == "CONSTR_FOREIGN":
                yield table, tuple(a.sval for a in el.fk_attrs or ())
            elif isa(el, ast.ColumnDef):
                kinds = {c.contype.name for c in el.constraints or ()}
                # a key column is indexed by its own constraint
                if "CONSTR_FOREIGN" in kinds and not kinds & {"CONSTR_PRIMARY", "CONSTR_UNIQUE"}:
                    yield table, (el.colname,)


def _indexed(ctx: Context, table: str, column: str) -> bool:
    t = ctx.table(table)
    if t is None:
        return False
    if any(i.keys and i.keys[0].strip('"') == column for i in t.indexes):
        return True
    return any(c.index and c.columns and c.columns[0] == column for c in t.constraints)


def _transactions(units: Sequence[Unit]) -> Iterator[Hit]:
    open_begin: Unit | None = None
    for u in units:
        node = u.node
        if not isa(node, ast.TransactionStmt):
            if open_begin is not None and u.path != open_begin.path:
                yield hit(open_begin, "uncommitted-transaction")
                open_begin = None
            continue
        kind = node.kind.name
        if u.runner:
            yield hit(u, "transaction-nesting", kind.removeprefix("TRANS_STMT_"))
            continue
        if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            if open_begin is not None:
                yield hit(u, "transaction-nesting", "BEGIN inside BEGIN")
            open_begin = u
        elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
            if open_begin is None:  # the server only warns: the COMMIT or ROLLBACK meant nothing
                yield hit(u, "transaction-nesting", f"{kind[11:]} with no transaction open")
            open_begin = None
    if open_begin is not None:
        yield hit(open_begin, "uncommitted-transaction")


def _robustness(units: Sequence[Unit]) -> Iterator[Hit]:
    """Scripts: statements outside a transaction that fail when the file is run again.

    A file of several statements can stop part way; a single statement is its
    own transaction, except a concurrent index build or drop, which can fail
    half done (an INVALID index left behind). The runner resumes a migration
    where it stopped, so migrations are not concerned.
    """
    per_file: dict[str, int] = {}
    for u in units:
        per_file[u.path] = per_file.get(u.path, 0) + 1
    dropped: dict[str, set[str]] = {}
    for u in units:
        mine = dropped.setdefault(u.path, set())
        if not u.runner and not u.in_block:
            concurrent = (
                isa(u.node, ast.IndexStmt) or isa(u.node, ast.DropStmt)
            ) and u.node.concurrent
            if per_file[u.path] > 1 or concurrent:
                for why in dict.fromkeys(rerun_failures(u.node, mine)):
                    yield hit(u, "non-robust-statement", why)
        mine.update(dropped_constraints(u.node))


def _timeouts(units: Sequence[Unit]) -> Iterator[Hit]:
    """`lint --external`: lock-taking statements need a lock_timeout set before them.

    Set before them in the same session.
    """
    settings: dict[str, bool] = {}
    local: dict[str, bool] = {}
    path, tx, warned_statement = "", -1, False
    for u in units:
        if u.path != path:
            settings, local, path, warned_statement = {}, {}, u.path, False
        if u.tx != tx:
            local, tx = {}, u.tx
        node = u.node
        if isa(node, ast.VariableSetStmt) and node.name in (
            "lock_timeout",
            "statement_timeout",
        ):
            on = node.kind.name == "VAR_SET_VALUE" and any(
                str(getattr(a.val, "sval", getattr(a.val, "ival", "0"))).strip() not in ("0", "")
                for a in node.args or ()
            )
            (local if node.is_local else settings)[node.name] = on
            continue
        risky = [
            f.relation
            for f in u.facts
            if u.existing(f.relation) and f.blocks & {Activity.SELECT, Activity.WRITE}
        ]
        if not risky:
            continue
        if not local.get("lock_timeout", settings.get("lock_timeout", False)):
            yield hit(u, "missing-lock-timeout", ", ".join(risky))
        if not warned_statement and not local.get(
            "statement_timeout", settings.get("statement_timeout", False)
        ):
            warned_statement = True
            yield hit(u, "missing-statement-timeout")


def detect(units: Sequence[Unit], server_version: int, *, external: bool = False) -> list[Hit]:
    """Every hazard found in `units`, in statement order."""
    hits: list[Hit] = []
    for u in units:
        for r in RULES:
            hits.extend(r(u, server_version))
    hits.extend(_sequence(units, server_version, external))
    hits = [h for h in hits if external or not h.hazard.external_only]
    seen: set[tuple[int, str, str]] = set()
    out = []
    for h in sorted(hits, key=lambda h: (h.unit, -h.hazard.level)):
        key = (h.unit, h.hazard.id, h.detail)
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out
