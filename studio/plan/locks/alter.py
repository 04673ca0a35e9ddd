"""ALTER TABLE subcommands -> knowledge-base entries.

One function per subcommand family; each returns the `Match`es of one
subcommand. PostgreSQL takes, for the whole ALTER TABLE, the strongest lock
any subcommand needs (AlterTableGetLockLevel), which is what merging the
facts per relation gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType as CT

from studio.model import quote_ident
from studio.plan.locks import types
from studio.plan.locks.context import Context
from studio.plan.locks.kb import Entry, Role, entry
from studio.plan.locks.parse import format_type, is_serial, names_key, relkey
from studio.plan.locks.volatility import volatile_calls


@dataclass(frozen=True, slots=True)
class Match:
    """A statement (or one subcommand) recognised as a knowledge-base entry, with its relations."""

    entry: Entry
    relations: tuple[tuple[Role, str], ...] = ()
    conditions: tuple[str, ...] = ()
    subject: str = ""  # what the subcommand is about: `column note`, `constraint fk`


def m(
    id: str,
    table: str,
    *more: tuple[Role, str],
    conditions: tuple[str, ...] = (),
    subject: str = "",
) -> Match:
    """A match of entry `id` on `table` (role TABLE) and `more` relations."""
    rels = ((Role.TABLE, table), *more) if table else tuple(more)
    return Match(entry(id), rels, conditions, subject)


# reloptions PostgreSQL changes under SHARE UPDATE EXCLUSIVE (reloptions.c); others take
# ACCESS EXCLUSIVE
_SUE_OPTIONS = frozenset({
    "fillfactor", "toast_tuple_target", "parallel_workers", "vacuum_index_cleanup",
    "vacuum_truncate", "log_autovacuum_min_duration", "autovacuum_enabled",
    "autovacuum_vacuum_threshold", "autovacuum_vacuum_insert_threshold",
    "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_threshold", "autovacuum_analyze_scale_factor",
    "autovacuum_vacuum_cost_delay", "autovacuum_vacuum_cost_limit",
    "autovacuum_freeze_min_age", "autovacuum_freeze_max_age", "autovacuum_freeze_table_age",
    "autovacuum_multixact_freeze_min_age", "autovacuum_multixact_freeze_max_age",
    "autovacuum_multixact_freeze_table_age", "autovacuum_vacuum_max_threshold",
    "vacuum_max_eager_freeze_failure_rate",
})  # fmt: skip


def alter_table(node: Any, version: int, ctx: Context) -> list[Match]:
    """The matches of every subcommand of an ALTER TABLE."""
    table = relkey(node.relation, ctx.default_schema)
    out: list[Match] = []
    for cmd in node.cmds or ():
        handler = _HANDLERS.get(cmd.subtype)
        if handler is None:
            unknown = f"ALTER TABLE {cmd.subtype.name[3:]} is not in the knowledge base"
            out.append(Match(entry("unknown"), ((Role.TABLE, table),), (unknown,)))
            continue
        out.extend(handler(table, cmd, version, ctx, node))
    return out


Handler = Callable[[str, ast.AlterTableCmd, int, Context, ast.AlterTableStmt], list[Match]]


def add_column(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    """ADD COLUMN: what its default, identity, generation, type and constraints cost."""
    col: Any = cmd.def_
    subject = f"column {quote_ident(col.colname)}"
    cons = col.constraints or ()
    kinds = {c.contype for c in cons}
    default = next((c.raw_expr for c in cons if c.contype == CT.CONSTR_DEFAULT), None)
    generated = next((c for c in cons if c.contype == CT.CONSTR_GENERATED), None)
    typ = format_type(col.typeName)
    out: list[Match] = []
    cond: tuple[str, ...] = ()
    if is_serial(col.typeName):
        id = "alter_table.add_column.serial"
    elif CT.CONSTR_IDENTITY in kinds:
        id = "alter_table.add_column.identity"
    elif generated is not None:
        id = "alter_table.add_column." + (
            "virtual_generated" if generated.generated_kind == "v" else "stored_generated"
        )
    elif ctx.domain_constraints(typ):
        id = "alter_table.add_column.domain_check"
    elif default is not None:
        volatile, unknown = volatile_calls(default, ctx.volatility)
        if volatile:
            id, cond = (
                "alter_table.add_column.volatile_default",
                (f"{', '.join(volatile)}() is volatile",),
            )
        elif unknown:
            id = "alter_table.add_column.volatile_default"
            cond = (f"volatility of {', '.join(unknown)}() unknown: assumed volatile",)
        else:
            id = "alter_table.add_column.default"
    elif CT.CONSTR_NOTNULL in kinds or CT.CONSTR_PRIMARY in kinds:
        id = "alter_table.add_column.not_null"
    else:
        id = "alter_table.add_column"
    out.append(m(id, table, conditions=cond, subject=subject))
    for c in cons:
        if c.contype == CT.CONSTR_FOREIGN:
            referenced = relkey(c.pktable, ctx.default_schema)
            # all NULL, the new column has nothing to validate; with a DEFAULT (even NULL)
            # PostgreSQL checks every row (transformAlterTableStmt)
            fk = "alter_table.add_column.references"
            if default is not None:
                fk += "_validated" if _has_value(default) else "_validated_null"
            out.append(m(fk, table, (Role.REFERENCED, referenced), subject=subject))
        elif c.contype == CT.CONSTR_UNIQUE:
            out.append(m("alter_table.add_unique", table, subject=subject))
        elif c.contype == CT.CONSTR_PRIMARY:
            out.append(m("alter_table.add_primary_key", table, subject=subject))
        elif c.contype == CT.CONSTR_CHECK:
            out.append(m("alter_table.add_check", table, subject=subject))
    return out


def _has_value(default: Any) -> bool:
    """Whether a column's default gives its rows a value (not absent, not a NULL constant)."""
    if default is None:
        return False
    while isinstance(default, ast.TypeCast):
        default = default.arg
    return not (isinstance(default, ast.A_Const) and default.isnull)


def add_constraint(
    table: str, cmd: Any, version: int, ctx: Context, node: Any = None
) -> list[Match]:
    """ADD CONSTRAINT: validated or NOT VALID, index built or USING INDEX."""
    c: Any = cmd.def_
    subject = f"constraint {quote_ident(c.conname)}" if c.conname else ""
    nv = bool(c.skip_validation)
    if c.contype == CT.CONSTR_CHECK:
        return [m("alter_table.add_check" + (".not_valid" if nv else ""), table, subject=subject)]
    if c.contype == CT.CONSTR_FOREIGN:
        ref = (Role.REFERENCED, relkey(c.pktable, ctx.default_schema))
        return [
            m(
                "alter_table.add_foreign_key" + (".not_valid" if nv else ""),
                table,
                ref,
                subject=subject,
            )
        ]
    if c.contype == CT.CONSTR_NOTNULL:
        col = c.keys[0].sval if c.keys else ""
        if nv:
            return [
                m("alter_table.add_not_null.not_valid", table, subject=f"column {quote_ident(col)}")
            ]
        return set_not_null(table, ast.AlterTableCmd(name=col), version, ctx)
    kind = {
        CT.CONSTR_PRIMARY: "primary_key",
        CT.CONSTR_UNIQUE: "unique",
        CT.CONSTR_EXCLUSION: "exclusion",
    }.get(c.contype)
    if kind is None:
        return [
            m(
                "unknown",
                table,
                conditions=(f"constraint type {c.contype.name} is not in the knowledge base",),
            )
        ]
    if not c.indexname:
        return [m(f"alter_table.add_{kind}", table, subject=subject)]
    index = names_key((ast.String(sval=c.indexname),), table.split(".")[0].strip('"'))
    using = (Role.INDEX, index)
    if kind == "primary_key":
        cols = _index_columns(ctx, table, c.indexname)
        if cols is None or not all(
            (col := ctx.column(table, n)) is not None and col.not_null for n in cols
        ):
            why = (
                ()
                if cols is not None
                else ("the index's columns are not known to be NOT NULL: assumed nullable",)
            )
            return [
                m(
                    "alter_table.add_primary_key.using_index_nullable",
                    table,
                    using,
                    conditions=why,
                    subject=subject,
                )
            ]
    return [m(f"alter_table.add_{kind}.using_index", table, using, subject=subject)]


def _index_columns(ctx: Context, table: str, index: str) -> tuple[str, ...] | None:
    t = ctx.table(table)
    i = t.index(index) if t is not None else None
    if i is None or not i.keys:
        return None
    return tuple(k.strip('"') for k in i.keys)


def set_not_null(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    """SET NOT NULL: a scan, unless a validated CHECK (col IS NOT NULL) proves it (12+)."""
    subject = f"column {quote_ident(cmd.name)}"
    if ctx.is_new(table):
        return [
            m(
                "alter_table.set_not_null",
                table,
                conditions=("the table was created by this migration: empty",),
                subject=subject,
            )
        ]
    if ctx.not_null_proven(table, cmd.name):
        return [m("alter_table.set_not_null.proven", table, subject=subject)]
    return [m("alter_table.set_not_null", table, subject=subject)]


def alter_type(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    """ALTER COLUMN ... TYPE: rewrite, catalog only, or index rebuild (a collation change)."""
    col: Any = cmd.def_
    subject = f"column {quote_ident(cmd.name)}"
    new = format_type(col.typeName)
    old = ctx.column(table, cmd.name)
    using = col.raw_default
    trivial_using = using is None or _is_column_cast(using, cmd.name)
    if old is None:
        unknown = "the column's current type is unknown: assumed to rewrite"
        return [m("alter_table.alter_column_type", table, subject=subject, conditions=(unknown,))]
    if not trivial_using:
        return [
            m(
                "alter_table.alter_column_type",
                table,
                subject=subject,
                conditions=("a USING expression rewrites",),
            )
        ]
    if types.rewrites(old.type, new, timezone_utc=ctx.timezone_utc, version=version):
        return [
            m(
                "alter_table.alter_column_type",
                table,
                subject=subject,
                conditions=(f"{old.type} -> {new}",),
            )
        ]
    if col.collClause is not None:
        coll = ".".join(n.sval for n in col.collClause.collname)
        if coll != (old.collation or "default"):
            rebuilt = f"collation -> {coll}: indexes on the column are rebuilt"
            return [m("alter_table.alter_column_type.index_rebuild", table, subject=subject,
                      conditions=(rebuilt,))]  # fmt: skip
    return [
        m(
            "alter_table.alter_column_type.no_rewrite",
            table,
            subject=subject,
            conditions=(f"{old.type} -> {new}",),
        )
    ]


def _is_column_cast(expr: Any, column: str) -> bool:
    while isinstance(expr, ast.TypeCast):
        expr = expr.arg
    if not isinstance(expr, ast.ColumnRef):
        return False
    last: Any = (expr.fields or ())[-1]
    return isinstance(last, ast.String) and last.sval == column


def validate(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    """VALIDATE CONSTRAINT: the referenced table is read too when it is a foreign key."""
    subject = f"constraint {quote_ident(cmd.name)}"
    c = ctx.constraint(table, cmd.name)
    if c is not None and c.ref_table:
        return [
            m(
                "alter_table.validate_constraint.foreign_key",
                table,
                (Role.REFERENCED, c.ref_table),
                subject=subject,
            )
        ]
    t = ctx.table(table)
    if t is not None and any(col.not_null_name == cmd.name for col in t.columns):
        return [m("alter_table.validate_constraint.not_null", table, subject=subject)]
    cond = (
        ()
        if c is not None
        else ("if it is a foreign key, the referenced table also gets ROW SHARE",)
    )
    return [m("alter_table.validate_constraint", table, conditions=cond, subject=subject)]


def drop_constraint(
    table: str, cmd: Any, version: int, ctx: Context, node: Any = None
) -> list[Match]:
    """DROP CONSTRAINT: a foreign key's referenced table is locked too."""
    subject = f"constraint {quote_ident(cmd.name)}"
    c = ctx.constraint(table, cmd.name)
    if c is not None and c.ref_table and c.ref_table != table:
        return [
            m(
                "alter_table.drop_constraint.foreign_key",
                table,
                (Role.REFERENCED, c.ref_table),
                subject=subject,
            )
        ]
    cond = (
        ()
        if c is not None
        else ("if it is a foreign key, the referenced table is locked ACCESS EXCLUSIVE too",)
    )
    return [m("alter_table.drop_constraint", table, conditions=cond, subject=subject)]


def set_options(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    """SET/RESET (storage parameters): most take SHARE UPDATE EXCLUSIVE."""
    names = [d.defname for d in cmd.def_ or ()]
    if (
        node is not None
        and node.objtype.name == "OBJECT_TABLE"
        and all(n in _SUE_OPTIONS for n in names)
    ):
        return [m("alter_table.set_options", table, subject=", ".join(names))]
    return [m("alter_table.set_options.other", table, subject=", ".join(names))]


def attach(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    """ATTACH PARTITION: the partition (and the default partition) are checked."""
    part = relkey(cmd.def_.name, ctx.default_schema)
    if node is not None and node.objtype.name == "OBJECT_INDEX":
        # ALTER INDEX parent ATTACH PARTITION child: catalog only
        index_rels = ((Role.INDEX, table), (Role.PARTITION, part))
        return [Match(entry("alter_index.attach_partition"), index_rels, (), f"index {part}")]
    rels: list[tuple[Role, str]] = [(Role.PARTITION, part)]
    if (d := ctx.default_partition(table)) is not None and d != part:
        rels.append((Role.DEFAULT_PARTITION, d))
    cond = ("unless a validated CHECK on the partition implies its bound: then no scan",)
    id = "alter_table.attach_partition" + (".indexed" if ctx.table_indexes(table) else "")
    return [Match(entry(id), ((Role.TABLE, table), *rels), cond, f"partition {part}")]


def detach(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    """DETACH PARTITION [CONCURRENTLY]."""
    part = relkey(cmd.def_.name, ctx.default_schema)
    id = "alter_table.detach_partition" + (".concurrently" if cmd.def_.concurrent else "")
    return [m(id, table, (Role.PARTITION, part), subject=f"partition {part}")]


def inherit(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    """INHERIT parent."""
    return [m("alter_table.inherit", table, (Role.PARENT, relkey(cmd.def_, ctx.default_schema)))]


def _simple(id: str, subject_is_column: bool = True) -> Handler:
    def handler(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
        subject = (
            f"column {quote_ident(cmd.name)}"
            if subject_is_column and cmd.name
            else (cmd.name or "")
        )
        return [m(id, table, subject=subject)]

    return handler


def _default(table: str, cmd: Any, version: int, ctx: Context, node: Any = None) -> list[Match]:
    id = "alter_table.set_default" if cmd.def_ is not None else "alter_table.drop_default"
    return [m(id, table, subject=f"column {quote_ident(cmd.name)}")]


_HANDLERS: dict[AT, Handler] = {
    AT.AT_AddColumn: add_column,
    AT.AT_ColumnDefault: _default,
    AT.AT_DropNotNull: _simple("alter_table.drop_not_null"),
    AT.AT_SetNotNull: set_not_null,
    AT.AT_SetExpression: _simple("alter_table.set_expression"),
    AT.AT_DropExpression: _simple("alter_table.drop_expression"),
    AT.AT_SetStatistics: _simple("alter_table.set_statistics"),
    AT.AT_SetOptions: _simple("alter_table.set_column_options"),
    AT.AT_ResetOptions: _simple("alter_table.set_column_options"),
    AT.AT_SetStorage: _simple("alter_table.set_storage"),
    AT.AT_SetCompression: _simple("alter_table.set_compression"),
    AT.AT_DropColumn: _simple("alter_table.drop_column"),
    AT.AT_AddConstraint: add_constraint,
    AT.AT_ValidateConstraint: validate,
    AT.AT_DropConstraint: drop_constraint,
    AT.AT_AlterColumnType: alter_type,
    AT.AT_ChangeOwner: _simple("alter_table.owner", False),
    AT.AT_ClusterOn: _simple("alter_table.cluster_on", False),
    AT.AT_DropCluster: _simple("alter_table.cluster_on", False),
    AT.AT_SetLogged: _simple("alter_table.set_logged", False),
    AT.AT_SetUnLogged: _simple("alter_table.set_unlogged", False),
    AT.AT_SetAccessMethod: _simple("alter_table.set_access_method", False),
    AT.AT_SetRelOptions: set_options,
    AT.AT_ResetRelOptions: set_options,
    AT.AT_EnableTrig: _simple("alter_table.enable_trigger", False),
    AT.AT_EnableAlwaysTrig: _simple("alter_table.enable_trigger", False),
    AT.AT_EnableReplicaTrig: _simple("alter_table.enable_trigger", False),
    AT.AT_EnableTrigAll: _simple("alter_table.enable_trigger", False),
    AT.AT_EnableTrigUser: _simple("alter_table.enable_trigger", False),
    AT.AT_DisableTrig: _simple("alter_table.disable_trigger", False),
    AT.AT_DisableTrigAll: _simple("alter_table.disable_trigger", False),
    AT.AT_DisableTrigUser: _simple("alter_table.disable_trigger", False),
    AT.AT_AddInherit: inherit,
    AT.AT_DropInherit: _simple("alter_table.no_inherit", False),
    AT.AT_ReplicaIdentity: _simple("alter_table.replica_identity", False),
    AT.AT_EnableRowSecurity: _simple("alter_table.enable_rls", False),
    AT.AT_DisableRowSecurity: _simple("alter_table.disable_rls", False),
    AT.AT_ForceRowSecurity: _simple("alter_table.force_rls", False),
    AT.AT_NoForceRowSecurity: _simple("alter_table.force_rls", False),
    AT.AT_AttachPartition: attach,
    AT.AT_DetachPartition: detach,
    AT.AT_AddIdentity: _simple("alter_table.add_identity"),
    AT.AT_SetIdentity: _simple("alter_table.set_identity"),
    AT.AT_DropIdentity: _simple("alter_table.drop_identity"),
}
