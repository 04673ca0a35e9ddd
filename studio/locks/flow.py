"""Hazards that need more than one statement: transactions, files, sessions.

Validating in the transaction that added the constraint, using an enum value
before the transaction that added it commits, holding a strong lock while
doing more, transaction control, foreign keys without an index, and (for
`lint --external`) lock_timeout and statement_timeout set by the session.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pglast import ast

from studio.locks.context import Context
from studio.locks.facts import Effect
from studio.locks.modes import Activity
from studio.locks.parse import isa, relkey, string_literals
from studio.locks.rules import RULES, Hit, Unit, hit

# --- sequences of statements --------------------------------------------------------------


def _same_tx(units: Sequence[Unit], u: Unit) -> list[Unit]:
    return [v for v in units if v.tx == u.tx and v.in_block and v.index < u.index]


def _sequence(units: Sequence[Unit], version: int, external: bool) -> Iterator[Hit]:
    for u in units:
        earlier = _same_tx(units, u) if u.in_block else []
        yield from _validate_same_tx(u, earlier)
        yield from _enum_value_used(u, earlier)
        yield from _lock_held(u, earlier)
        yield from _multiple_alter(u, earlier)
        yield from _fk_index(u, units)
    yield from _transactions(units)
    if external:
        yield from _timeouts(units)


def _validate_same_tx(u: Unit, earlier: list[Unit]) -> Iterator[Hit]:
    if not any(i.startswith("alter_table.validate_constraint") for i in u.ids()):
        return
    name = next((m.subject for m in u.matches), "")
    for v in earlier:
        for m in v.matches:
            if (
                m.entry.id.endswith(".not_valid")
                and m.subject == name
                and set(v.tables()) & set(u.tables())
            ):
                yield hit(u, "validate-in-same-transaction", name)
                return


def _enum_value_used(u: Unit, earlier: list[Unit]) -> Iterator[Hit]:
    added = {
        v.node.newVal
        for v in earlier
        if isa(v.node, ast.AlterEnumStmt) and v.node.newVal and not v.node.oldVal
    }
    if added:
        used = added & set(string_literals(u.node))
        for value in sorted(used):
            yield hit(u, "enum-value-used-in-transaction", repr(value))


def _strong(u: Unit) -> set[str]:
    """Existing relations u locks in a mode that blocks reads or writes."""
    return {
        f.relation for f in u.facts
        if u.existing(f.relation) and (f.blocks & {Activity.SELECT, Activity.WRITE})
    }  # fmt: skip


def _lock_held(u: Unit, earlier: list[Unit]) -> Iterator[Hit]:
    held: set[str] = set()
    for v in earlier:
        held |= _strong(v)
    if not held:
        return
    slow = [
        f.relation for f in u.facts
        if u.existing(f.relation) and f.effect is not Effect.CATALOG and f.entry != "alter_sequence"
    ]  # fmt: skip
    more = _strong(u) - held
    if slow or more:
        what = f"{', '.join(sorted(held))} held while this {'works on ' + ', '.join(slow) if slow else 'locks ' + ', '.join(sorted(more))}"
        yield hit(u, "lock-held-across-statements", what)


def _multiple_alter(u: Unit, earlier: list[Unit]) -> Iterator[Hit]:
    if not isa(u.node, ast.AlterTableStmt) or not earlier:
        return
    prev = earlier[-1]
    tables = set(u.tables())
    if (
        isa(prev.node, ast.AlterTableStmt)
        and set(prev.tables()) == tables
        and all(map(u.existing, tables))
    ):
        yield hit(u, "multiple-alter-table", ", ".join(u.tables()))


def _fk_index(u: Unit, units: Sequence[Unit]) -> Iterator[Hit]:
    """A foreign key with no index (known, or created later in the same file) leading with its columns."""
    for table, cols in _foreign_keys(u.node, u.context):
        if not cols or _indexed(u.context, table, cols[0]):
            continue
        later = [
            v for v in units if v.index > u.index
        ]  # an index a later statement or migration creates
        if any(isa(v.node, ast.IndexStmt) and relkey(v.node.relation, u.context.default_schema) == table
               and v.node.indexParams and v.node.indexParams[0].name == cols[0] for v in later):  # fmt: skip
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
            open_begin = None
    if open_begin is not None:
        yield hit(open_begin, "uncommitted-transaction")


def _timeouts(units: Sequence[Unit]) -> Iterator[Hit]:
    """`lint --external`: lock-taking statements need a lock_timeout set before them in the session."""
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
