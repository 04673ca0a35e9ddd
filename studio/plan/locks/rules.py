"""Hazard detection, statement by statement.

A `Unit` is one statement with its knowledge-base matches, lock facts, the
context it ran against and the transaction it runs in. The rules here look at
one unit; those that look at a transaction or a file are in
`studio.plan.locks.flow`, which also holds `detect()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from pglast import ast
from pglast.enums import ObjectType as OT

from studio.plan.locks.alter import Match
from studio.plan.locks.context import Context
from studio.plan.locks.duplicates import duplicate_columns
from studio.plan.locks.hazards import Hazard, Level, hazard
from studio.plan.locks.kb import Effect, LockFact, Role, version_num
from studio.plan.locks.parse import (
    format_type,
    is_serial,
    isa,
    relkey,
    string_literals,
    type_parts,
)
from studio.plan.locks.replication import long_exclusive_lock, published_changes
from studio.sqltext.lexer import lex, string_constants, without


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
    # spans of `text` left out of `node`: rows of constants (`studio.sqltext.split.ParsedStatement`)
    dropped: tuple[tuple[int, int], ...] = ()

    def analysed_text(self) -> str:
        """The text of what `node` holds: `text` without the dropped rows."""
        return without(self.text, list(self.dropped))

    def string_constants(self) -> set[str]:
        """Every string constant of the statement, in the tree or in its dropped rows."""
        return set(string_literals(self.node)) | string_constants(self.text, list(self.dropped))

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
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    """Register a per-statement rule."""
    RULES.append(fn)
    return fn


def hit(u: Unit, id: str, detail: str = "") -> Hit:
    return Hit(u.index, hazard(id), detail)


def _on_existing(u: Unit, hazard_id: str, *entry_ids: str) -> Iterator[Hit]:
    for m in u.matches:
        if m.entry.id in entry_ids:
            for role, t in m.relations:
                if role is Role.TABLE and u.existing(t):
                    yield hit(u, hazard_id, " ".join(x for x in (t, m.subject) if x))


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
    (
        "validating-foreign-key",
        (
            "alter_table.add_foreign_key",
            "alter_table.add_column.references_validated",
            "alter_table.add_column.references_validated_null",
        ),
    ),
    ("constraint-index-build", ("alter_table.add_unique", "alter_table.add_primary_key")),
    ("exclusion-constraint", ("alter_table.add_exclusion",)),
    ("primary-key-scan", ("alter_table.add_primary_key.using_index_nullable",)),
    ("rewriting-type-change", ("alter_table.alter_column_type",)),
    ("renaming-column", ("alter_table.rename_column",)),
    ("renaming-table", ("alter_table.rename",)),
    ("drop-column", ("alter_table.drop_column",)),
    ("drop-table", ("drop_table",)),
    ("drop-not-null", ("alter_table.drop_not_null",)),
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
    *_REWRITE_HAZARD, "alter_table.alter_column_type", "vacuum_full", "cluster",
    "refresh_materialized_view", "alter_sequence", "unknown",
})  # fmt: skip


@rule
def _entries(u: Unit, version: int) -> Iterator[Hit]:
    for hid, ids in _BY_ENTRY:
        yield from _on_existing(u, hid, *ids)


@rule
def _drop_constraint(u: Unit, version: int) -> Iterator[Hit]:
    # a constraint the same migration added (a safe SET NOT NULL's CHECK) guaranteed nothing yet
    for m in u.matches:
        if m.entry.id in ("alter_table.drop_constraint", "alter_table.drop_constraint.foreign_key"):
            name = m.subject.removeprefix("constraint ")
            for role, t in m.relations:
                if (
                    role is Role.TABLE
                    and u.existing(t)
                    and (t, name) not in u.context.new_constraints
                ):
                    yield hit(u, "drop-constraint", " ".join(x for x in (t, m.subject) if x))


@rule
def _set_not_null(u: Unit, version: int) -> Iterator[Hit]:
    # proven by a validated CHECK, it skips the scan only from PostgreSQL 12: the fact says which
    for m in u.matches:
        if m.entry.id.startswith("alter_table.set_not_null"):
            for role, t in m.relations:
                scans = any(f.relation == t and f.effect is Effect.SCAN for f in u.facts)
                if role is Role.TABLE and u.existing(t) and scans:
                    yield hit(u, "scanning-set-not-null", " ".join(x for x in (t, m.subject) if x))


@rule
def _rewrites(u: Unit, version: int) -> Iterator[Hit]:
    for m in u.matches:
        tables = [r for role, r in m.relations if role is Role.TABLE and u.existing(r)]
        # this subcommand's own rule, not the merged fact: ADD COLUMN a, ADD COLUMN b DEFAULT
        # random() rewrites the table once, because of b
        rewrites = any(
            r.effect is Effect.REWRITE and r.role is Role.TABLE
            for r in m.entry.rules_for(version_num(version))
        )
        if not tables or not rewrites:
            continue
        hid = _REWRITE_HAZARD.get(m.entry.id)
        if hid is None and m.entry.id in _REWRITE_CLAIMED:
            continue
        yield hit(u, hid or "table-rewrite", " ".join(x for x in (tables[0], m.subject) if x))


@rule
def _concurrently(u: Unit, version: int) -> Iterator[Hit]:
    for m in u.matches:
        if not m.entry.transactional and u.in_block:
            yield hit(u, "concurrently-in-transaction", m.entry.title)
    concurrent_build = "create_index.concurrently" in u.ids() or "reindex.concurrently" in u.ids()
    if concurrent_build and 140000 <= version < 140004:
        yield hit(u, "concurrent-index-corruption", f"server {version // 10000}.{version % 100}")


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
                yield hit(u, "attach-partition-scan", ", ".join(scanned))


@rule
def _indexes(u: Unit, version: int) -> Iterator[Hit]:
    node = u.node
    if not isa(node, ast.IndexStmt):
        return
    table = relkey(node.relation, u.context.default_schema)
    if node.unique and u.existing(table):
        yield hit(u, "unique-index-on-existing-data", table)
    if not node.unique and len(node.indexParams or ()) > 3:
        yield hit(u, "wide-index", f"{len(node.indexParams)} columns")


@rule
def _needs_newer_server(u: Unit, version: int) -> Iterator[Hit]:
    for m in u.matches:
        since = m.entry.since
        if since is not None and 0 < version < since:
            yield hit(
                u, "statement-needs-newer-server", f"{m.entry.title}: PostgreSQL {since // 10000}+"
            )


@rule
def _setval(u: Unit, version: int) -> Iterator[Hit]:
    # the guard the differ writes before a sequence's bounds narrow (studio.model.changes.sequences)
    node = u.node
    if isa(node, ast.SelectStmt) and any(
        isa(t.val, ast.FuncCall) and t.val.funcname[-1].sval == "setval"
        for t in node.targetList or ()
    ):
        yield hit(u, "sequence-value-moved")


@rule
def _standbys(u: Unit, version: int) -> Iterator[Hit]:
    # a target known to have no standby: nothing replays the lock
    if u.context.standbys == 0:
        return
    f = long_exclusive_lock(u.facts, u.existing)
    if f is not None:
        found = hit(u, "exclusive-lock-on-standbys", f"{f.via or f.relation}: {f.effect.label}")
        if u.context.standbys:  # read from the target: hot standbys stream from it now
            found = replace(found, hazard=replace(found.hazard, level=Level.WARNING))
        yield found


@rule
def _publications(u: Unit, version: int) -> Iterator[Hit]:
    for change in published_changes(u.node, u.context):
        yield hit(u, "published-table-change", change.describe())


@rule
def _unknown(u: Unit, version: int) -> Iterator[Hit]:
    for m in u.matches:
        if m.entry.id == "unknown":
            yield hit(u, "unknown-statement", "; ".join(m.conditions))


# --- per statement: what the application sees -------------------------------------------------


@rule
def _objects(u: Unit, version: int) -> Iterator[Hit]:
    node, ids = u.node, u.ids()
    if "alter_type.rename_value" in ids:
        yield hit(u, "renaming-enum-value")
    if isa(node, ast.RenameStmt) and node.renameType == OT.OBJECT_SCHEMA:
        yield hit(u, "renaming-schema", str(node.subname))
    if isa(node, ast.DropStmt):
        if node.removeType == OT.OBJECT_SCHEMA:
            yield hit(u, "drop-schema")
        elif node.removeType == OT.OBJECT_SEQUENCE:
            yield hit(u, "drop-sequence")
        elif node.removeType in (OT.OBJECT_VIEW, OT.OBJECT_MATVIEW):
            yield hit(u, "drop-view")
        elif node.removeType == OT.OBJECT_EXTENSION:
            yield hit(u, "extension-change", "DROP EXTENSION")
    if isa(node, ast.DropdbStmt):
        yield hit(u, "drop-database", str(node.dbname))
    if isa(node, ast.AlterExtensionStmt):
        yield hit(u, "extension-change", "ALTER EXTENSION ... UPDATE")
    if isa(node, ast.TruncateStmt):
        for t in u.tables("truncate"):
            if u.existing(t):
                yield hit(u, "truncate", t)
        if node.behavior is not None and node.behavior.name == "DROP_CASCADE":
            yield hit(u, "truncate-cascade")
    authz = {"alter_table.enable_rls", "alter_table.disable_rls", "alter_table.force_rls",
             "create_policy", "alter_policy", "drop_policy", "grant"}  # fmt: skip
    if ids & authz:
        yield hit(u, "authz-change", ", ".join(sorted(ids & authz)))


@rule
def _enums_domains(u: Unit, version: int) -> Iterator[Hit]:
    node = u.node
    if isa(node, ast.AlterEnumStmt) and node.newVal and not node.oldVal and not node.newValNeighbor:
        yield hit(u, "enum-value-order", repr(node.newVal))
    if isa(node, ast.CreateEnumStmt):
        yield hit(u, "enum-type")
    if isa(node, ast.AlterDomainStmt) and node.subtype == "C" and not node.def_.skip_validation:
        yield hit(u, "domain-constraint-validation")
    if isa(node, ast.CreateDomainStmt) and any(
        c.contype.name == "CONSTR_CHECK" for c in node.constraints or ()
    ):
        yield hit(u, "domain-with-constraint")


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
    ("char-type", lambda tn, t: _is_char(tn)),
    ("json-column", lambda tn, t: t == "json"),
)


def _is_char(tn: Any) -> bool:
    """character(n) (`bpchar` inside, with or without a length), or the one-byte `"char"`."""
    name, schema = type_parts(tn)
    return schema in (None, "pg_catalog") and name in ("bpchar", "char")


@rule
def _types(u: Unit, version: int) -> Iterator[Hit]:
    found: dict[str, list[str]] = {}
    for name, tn in _column_defs(u.node):
        t = format_type(tn).removesuffix("[]")
        for hid, test in _TYPE_HAZARDS:
            if test(tn, t):
                found.setdefault(hid, []).append(f"{name} {format_type(tn)}")
    for hid, cols in found.items():
        yield hit(u, hid, ", ".join(cols))


def _long_identifiers(text: str) -> Iterator[str]:
    """Identifiers longer than 63 bytes, as written (the parser has already truncated them)."""
    for start, end, name, _ in lex(text):
        if name == "IDENT":
            word = text[start:end]
            name = word[1:-1].replace('""', '"') if word.startswith('"') else word.lower()
            if len(name.encode()) > 63:
                yield name


@rule
def _hygiene(u: Unit, version: int) -> Iterator[Hit]:
    node = u.node
    for name in dict.fromkeys(_long_identifiers(u.analysed_text())):
        if name:
            yield hit(u, "identifier-too-long", f"{name[:20]}... ({len(name.encode())} bytes)")
    if dupes := duplicate_columns(node):
        yield hit(u, "duplicate-column", ", ".join(dupes))
    if (isa(node, ast.UpdateStmt) or isa(node, ast.DeleteStmt)) and node.whereClause is None:
        t = relkey(node.relation, u.context.default_schema)
        if u.existing(t):
            yield hit(u, "unbatched-update", t)
    if unqualified := _unqualified(node):
        yield hit(u, "unqualified-name", ", ".join(unqualified))


def _unqualified(node: Any) -> list[str]:
    """Tables a DDL statement names without a schema (a temporary table cannot have one)."""
    rels: list[Any] = []
    ddl = (ast.CreateStmt, ast.AlterTableStmt, ast.IndexStmt, ast.RenameStmt)
    if any(isa(node, cls) for cls in ddl) and node.relation:
        rels = [node.relation]
    elif isa(node, ast.CreateTableAsStmt):
        rels = [node.into.rel]
    elif isa(node, ast.TruncateStmt):
        rels = list(node.relations)
    elif isa(node, ast.DropStmt) and node.removeType == OT.OBJECT_TABLE:
        return [names[-1].sval for names in node.objects or () if len(names) == 1]
    return [rv.relname for rv in rels if not rv.schemaname and rv.relpersistence != "t"]
