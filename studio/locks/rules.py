"""Hazard detection over analysed statements.

A `Unit` is one statement with its knowledge-base matches, lock facts, the
context it ran against and the transaction it runs in. Per-statement rules
look at one unit; sequence rules (validate in the adding transaction, enum
value used before commit, locks held across statements, transaction control)
look at the units of one transaction or file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pglast import ast
from pglast.enums import ObjectType as OT
from pglast.parser import scan

from studio.locks.alter import Match
from studio.locks.context import Context
from studio.locks.hazards import Hazard, hazard
from studio.locks.kb import Effect, LockFact, Role
from studio.locks.modes import Activity
from studio.locks.parse import format_type, is_serial, isa, relkey, string_literals


@dataclass(frozen=True, slots=True)
class Unit:
    """One statement, analysed, in its place in a file and a transaction."""

    index: int
    path: str
    line: int
    text: str
    node: Any
    matches: tuple[Match, ...]
    facts: tuple[LockFact, ...]
    context: Context  # what was known before the statement ran
    tx: int  # units with the same tx run in one transaction
    in_block: bool  # inside a transaction block (explicit BEGIN, or the runner's transaction)
    runner: bool  # executed by schema-studio's runner (migration semantics)

    def ids(self) -> set[str]:
        """The entry ids the statement matched."""
        return {m.entry.id for m in self.matches}

    def tables(self, *ids: str) -> list[str]:
        """The TABLE relation of each match of `ids` (all matches when none given)."""
        return [
            r
            for m in self.matches
            if not ids or m.entry.id in ids
            for role, r in m.relations
            if role is Role.TABLE
        ]

    def existing(self, table: str) -> bool:
        """Whether `table` existed before this migration (so it may have rows and readers).

        A relation known only by a placeholder (`(table of public.i)`) is taken to exist.
        """
        return not self.context.is_new(table)


@dataclass(frozen=True, slots=True)
class Hit:
    """A hazard found on a unit, with what it is about."""

    unit: int
    hazard: Hazard
    detail: str = ""


Rule = Callable[[Unit, int], Iterator[Hit]]
_RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    """Register a per-statement rule."""
    _RULES.append(fn)
    return fn


def _hit(u: Unit, id: str, detail: str = "") -> Hit:
    return Hit(u.index, hazard(id), detail)


def _on_existing(u: Unit, hazard_id: str, *entry_ids: str) -> Iterator[Hit]:
    for m in u.matches:
        if m.entry.id in entry_ids:
            for role, t in m.relations:
                if role is Role.TABLE and u.existing(t):
                    yield _hit(u, hazard_id, " ".join(x for x in (t, m.subject) if x))


# --- per statement: locks and costs ------------------------------------------------------------

_BY_ENTRY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("blocking-index-build", ("create_index", "create_index.partitioned")),
    ("blocking-index-drop", ("drop_index",)),
    ("blocking-reindex", ("reindex",)),
    ("blocking-partition-detach", ("alter_table.detach_partition",)),
    ("blocking-refresh", ("refresh_materialized_view",)),
    ("prefer-repack", ("vacuum_full", "cluster")),
    ("required-column", ("alter_table.add_column.not_null",)),
    ("validating-check-constraint", ("alter_table.add_check",)),
    ("validating-foreign-key", ("alter_table.add_foreign_key",)),
    ("constraint-index-build", ("alter_table.add_unique", "alter_table.add_primary_key")),
    ("exclusion-constraint", ("alter_table.add_exclusion",)),
    ("primary-key-scan", ("alter_table.add_primary_key.using_index_nullable",)),
    ("rewriting-type-change", ("alter_table.alter_column_type",)),
    ("renaming-column", ("alter_table.rename_column",)),
    ("renaming-table", ("alter_table.rename",)),
    ("drop-column", ("alter_table.drop_column",)),
    ("drop-table", ("drop_table",)),
    ("drop-not-null", ("alter_table.drop_not_null",)),
    ("drop-constraint", ("alter_table.drop_constraint", "alter_table.drop_constraint.foreign_key")),
    ("disable-trigger", ("alter_table.disable_trigger",)),
    ("replica-identity-change", ("alter_table.replica_identity",)),
    ("index-dropped", ("drop_index", "drop_index.concurrently")),
    ("concurrent-index-build", ("create_index.concurrently",)),
)
_REWRITE_HAZARD = {
    "alter_table.add_column.serial": "add-column-serial",
    "alter_table.add_column.identity": "add-column-serial",
    "alter_table.add_column.stored_generated": "add-column-generated-stored",
    "alter_table.add_column.volatile_default": "add-column-volatile-default",
    "alter_table.add_column.default": "add-column-volatile-default",  # before PostgreSQL 11
}
# entries whose rewrite another hazard already reports, or that rewrite no table
_REWRITE_CLAIMED = frozenset({
    *_REWRITE_HAZARD, "alter_table.alter_column_type", "vacuum_full", "cluster", "refresh_materialized_view",
    "alter_sequence", "unknown",
})  # fmt: skip


@rule
def _entries(u: Unit, version: int) -> Iterator[Hit]:
    for hid, ids in _BY_ENTRY:
        yield from _on_existing(u, hid, *ids)


@rule
def _set_not_null(u: Unit, version: int) -> Iterator[Hit]:
    # proven by a validated CHECK, it skips the scan only from PostgreSQL 12: the fact says which
    for m in u.matches:
        if m.entry.id.startswith("alter_table.set_not_null"):
            for role, t in m.relations:
                scans = any(f.relation == t and f.effect is Effect.SCAN for f in u.facts)
                if role is Role.TABLE and u.existing(t) and scans:
                    yield _hit(u, "scanning-set-not-null", " ".join(x for x in (t, m.subject) if x))


@rule
def _rewrites(u: Unit, version: int) -> Iterator[Hit]:
    for m in u.matches:
        tables = [r for role, r in m.relations if role is Role.TABLE and u.existing(r)]
        rewrites = any(
            f.effect is Effect.REWRITE and f.relation in tables
            for f in u.facts
            if m.entry.id in f.entry.split("+")
        )
        if not tables or not rewrites:
            continue
        hid = _REWRITE_HAZARD.get(m.entry.id)
        if hid is None and m.entry.id in _REWRITE_CLAIMED:
            continue
        yield _hit(u, hid or "table-rewrite", " ".join(x for x in (tables[0], m.subject) if x))


@rule
def _concurrently(u: Unit, version: int) -> Iterator[Hit]:
    for m in u.matches:
        if not m.entry.transactional and u.in_block:
            yield _hit(u, "concurrently-in-transaction", m.entry.title)
    node = u.node
    # the runner cleans up what a failed concurrent step leaves and resumes there: scripts only
    if u.runner:
        pass
    elif isa(node, ast.IndexStmt) and node.concurrent and not node.if_not_exists:
        yield _hit(u, "non-robust-statement", "CREATE INDEX CONCURRENTLY without IF NOT EXISTS")
    elif isa(node, ast.DropStmt) and node.concurrent and not node.missing_ok:
        yield _hit(u, "non-robust-statement", "DROP INDEX CONCURRENTLY without IF EXISTS")
    concurrent_build = "create_index.concurrently" in u.ids() or "reindex.concurrently" in u.ids()
    if concurrent_build and 140000 <= version < 140004:
        yield _hit(u, "concurrent-index-corruption", f"server {version // 10000}.{version % 100}")


@rule
def _attach(u: Unit, version: int) -> Iterator[Hit]:
    for m in u.matches:
        if m.entry.id.startswith("alter_table.attach_partition"):
            scanned = [
                r
                for role, r in m.relations
                if (role is Role.PARTITION and u.existing(r)) or role is Role.DEFAULT_PARTITION
            ]
            if scanned:
                yield _hit(u, "attach-partition-scan", ", ".join(scanned))


@rule
def _indexes(u: Unit, version: int) -> Iterator[Hit]:
    node = u.node
    if not isa(node, ast.IndexStmt):
        return
    table = relkey(node.relation, u.context.default_schema)
    if node.unique and u.existing(table):
        yield _hit(u, "unique-index-on-existing-data", table)
    if not node.unique and len(node.indexParams or ()) > 3:
        yield _hit(u, "wide-index", f"{len(node.indexParams)} columns")


@rule
def _unknown(u: Unit, version: int) -> Iterator[Hit]:
    for m in u.matches:
        if m.entry.id == "unknown":
            yield _hit(u, "unknown-statement", "; ".join(m.conditions))


# --- per statement: what the application sees -------------------------------------------------


@rule
def _objects(u: Unit, version: int) -> Iterator[Hit]:
    node, ids = u.node, u.ids()
    if "alter_type.rename_value" in ids:
        yield _hit(u, "renaming-enum-value")
    if isa(node, ast.RenameStmt) and node.renameType == OT.OBJECT_SCHEMA:
        yield _hit(u, "renaming-schema", str(node.subname))
    if isa(node, ast.DropStmt):
        if node.removeType == OT.OBJECT_SCHEMA:
            yield _hit(u, "drop-schema")
        elif node.removeType == OT.OBJECT_SEQUENCE:
            yield _hit(u, "drop-sequence")
        elif node.removeType == OT.OBJECT_EXTENSION:
            yield _hit(u, "extension-change", "DROP EXTENSION")
    if isa(node, ast.DropdbStmt):
        yield _hit(u, "drop-database", str(node.dbname))
    if isa(node, ast.AlterExtensionStmt):
        yield _hit(u, "extension-change", "ALTER EXTENSION ... UPDATE")
    if isa(node, ast.TruncateStmt):
        for t in u.tables("truncate"):
            if u.existing(t):
                yield _hit(u, "truncate", t)
        if node.behavior is not None and node.behavior.name == "DROP_CASCADE":
            yield _hit(u, "truncate-cascade")
    authz = {"alter_table.enable_rls", "alter_table.disable_rls", "alter_table.force_rls", "create_policy",
             "alter_policy", "drop_policy", "grant"}  # fmt: skip
    if ids & authz:
        yield _hit(u, "authz-change", ", ".join(sorted(ids & authz)))


@rule
def _enums_domains(u: Unit, version: int) -> Iterator[Hit]:
    node = u.node
    if isa(node, ast.AlterEnumStmt) and node.newVal and not node.oldVal and not node.newValNeighbor:
        yield _hit(u, "enum-value-order", repr(node.newVal))
    if isa(node, ast.CreateEnumStmt):
        yield _hit(u, "enum-type")
    if isa(node, ast.AlterDomainStmt) and node.subtype == "C" and not node.def_.skip_validation:
        yield _hit(u, "domain-constraint-validation")
    if isa(node, ast.CreateDomainStmt) and any(
        c.contype.name == "CONSTR_CHECK" for c in node.constraints or ()
    ):
        yield _hit(u, "domain-with-constraint")


def _column_defs(node: Any) -> Iterator[tuple[str, Any]]:
    """(column name, TypeName) of the columns a statement declares or retypes."""
    if isa(node, ast.CreateStmt):
        for el in node.tableElts or ():
            if isa(el, ast.ColumnDef) and el.typeName is not None:
                yield el.colname, el.typeName
    elif isa(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if cmd.subtype.name == "AT_AddColumn":
                yield cmd.def_.colname, cmd.def_.typeName
            elif cmd.subtype.name == "AT_AlterColumnType":
                yield cmd.name, cmd.def_.typeName


_TYPE_HAZARDS: tuple[tuple[str, Callable[[Any, str], bool]], ...] = (
    ("prefer-bigint", lambda tn, t: t in ("integer", "smallint")),
    ("prefer-identity", lambda tn, t: is_serial(tn)),
    ("prefer-text", lambda tn, t: t.startswith("character varying(")),
    ("prefer-timestamptz", lambda tn, t: t.startswith("timestamp") and "without time zone" in t),
    ("char-type", lambda tn, t: t.startswith("character(")),
    ("json-column", lambda tn, t: t == "json"),
)


@rule
def _types(u: Unit, version: int) -> Iterator[Hit]:
    found: dict[str, list[str]] = {}
    for name, tn in _column_defs(u.node):
        t = format_type(tn).removesuffix("[]")
        for hid, test in _TYPE_HAZARDS:
            if test(tn, t):
                found.setdefault(hid, []).append(f"{name} {format_type(tn)}")
    for hid, cols in found.items():
        yield _hit(u, hid, ", ".join(cols))


def _long_identifiers(text: str) -> Iterator[str]:
    """Identifiers longer than 63 bytes, as written (the parser has already truncated them)."""
    for tok in scan(text):
        if tok.name == "IDENT":
            word = text[tok.start : tok.end + 1]
            name = word[1:-1].replace('""', '"') if word.startswith('"') else word.lower()
            if len(name.encode()) > 63:
                yield name


@rule
def _hygiene(u: Unit, version: int) -> Iterator[Hit]:
    node = u.node
    for name in dict.fromkeys(_long_identifiers(u.text)):
        if name:
            yield _hit(u, "identifier-too-long", f"{name[:20]}... ({len(name.encode())} bytes)")
    cols: list[str] = []
    if isa(node, ast.CreateStmt):
        cols = [el.colname for el in node.tableElts or () if isa(el, ast.ColumnDef)]
    elif isa(node, ast.UpdateStmt):
        cols = [t.name for t in node.targetList or ()]
    elif isa(node, ast.InsertStmt):
        cols = [t.name for t in node.cols or ()]
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        yield _hit(u, "duplicate-column", ", ".join(dupes))
    if (isa(node, ast.UpdateStmt) or isa(node, ast.DeleteStmt)) and node.whereClause is None:
        t = relkey(node.relation, u.context.default_schema)
        if u.existing(t):
            yield _hit(u, "unbatched-update", t)
    rels: list[Any] = []
    ddl = (ast.CreateStmt, ast.AlterTableStmt, ast.IndexStmt, ast.RenameStmt)
    if any(isa(node, cls) for cls in ddl) and node.relation:
        rels = [node.relation]
    elif isa(node, ast.TruncateStmt):
        rels = list(node.relations)
    unqualified = [rv.relname for rv in rels if not rv.schemaname]
    if unqualified:
        yield _hit(u, "unqualified-name", ", ".join(unqualified))


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
                yield _hit(u, "validate-in-same-transaction", name)
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
            yield _hit(u, "enum-value-used-in-transaction", repr(value))


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
        yield _hit(u, "lock-held-across-statements", what)


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
        yield _hit(u, "multiple-alter-table", ", ".join(u.tables()))


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
        yield _hit(u, "foreign-key-without-index", f"{table} ({', '.join(cols)})")


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
                yield _hit(open_begin, "uncommitted-transaction")
                open_begin = None
            continue
        kind = node.kind.name
        if u.runner:
            yield _hit(u, "transaction-nesting", kind.removeprefix("TRANS_STMT_"))
            continue
        if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            if open_begin is not None:
                yield _hit(u, "transaction-nesting", "BEGIN inside BEGIN")
            open_begin = u
        elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
            open_begin = None
    if open_begin is not None:
        yield _hit(open_begin, "uncommitted-transaction")


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
            yield _hit(u, "missing-lock-timeout", ", ".join(risky))
        if not warned_statement and not local.get(
            "statement_timeout", settings.get("statement_timeout", False)
        ):
            warned_statement = True
            yield _hit(u, "missing-statement-timeout")


def detect(units: Sequence[Unit], server_version: int, *, external: bool = False) -> list[Hit]:
    """Every hazard found in `units`, in statement order."""
    hits: list[Hit] = []
    for u in units:
        for r in _RULES:
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
