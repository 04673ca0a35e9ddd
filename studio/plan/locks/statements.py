"""Statements -> knowledge-base entries -> lock facts.

`classify()` recognises a parsed statement as one or more entries, each bound
to the relations it touches; `facts_for_statement()` turns those into
`LockFact`s for a server version. What the statement alone cannot tell (the
table an index belongs to, a column's current type) comes from the `Context`;
when the context does not know, the answer is the conservative one and says
so in its conditions, or names the relation by a placeholder such as
`(table of public.i)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pglast import ast
from pglast.enums import ObjectType as OT

from studio.plan.locks.alter import Match, alter_table, m
from studio.plan.locks.context import Context
from studio.plan.locks.kb import Effect, LockFact, Role, entry, version_num
from studio.plan.locks.modes import LockMode
from studio.plan.locks.parse import names_key, range_vars, relkey
from studio.sqltext.split import parse_statements
from studio.sqltext.statements import option_on

NO_CONTEXT = Context()


def _sources(node: Any, ctx: Context, exclude: str = "") -> tuple[tuple[Role, str], ...]:
    keys = dict.fromkeys(relkey(rv, ctx.default_schema) for rv in range_vars(node))
    return tuple((Role.SOURCE, k) for k in keys if k != exclude)


def _index(node: Any, v: int, ctx: Context) -> list[Match]:
    table = relkey(node.relation, ctx.default_schema)
    subject = f"index {node.idxname}" if node.idxname else ""
    if node.concurrent:
        return [m("create_index.concurrently", table, subject=subject)]
    if ctx.is_partitioned(table):
        if not node.relation.inh:
            return [m("create_index.only", table, subject=subject)]
        parts = tuple((Role.PARTITION, p) for p in ctx.partitions(table))
        return [m("create_index.partitioned", table, *parts, subject=subject)]
    return [m("create_index", table, subject=subject)]


def _index_table(ctx: Context, index: str) -> str:
    return ctx.index_table(index) or f"(table of {index})"


def _drop(node: Any, v: int, ctx: Context) -> list[Match]:
    kind = node.removeType
    out: list[Match] = []
    cascade = node.behavior.name == "DROP_CASCADE"
    for obj in node.objects or ():
        names = obj if isinstance(obj, tuple) else (obj,)
        if kind == OT.OBJECT_INDEX:
            idx = names_key(names, ctx.default_schema)
            id = "drop_index.concurrently" if node.concurrent else "drop_index"
            out.append(m(id, _index_table(ctx, idx), (Role.INDEX, idx), subject=f"index {idx}"))
        elif kind == OT.OBJECT_TABLE:
            t = names_key(names, ctx.default_schema)
            refs = tuple((Role.REFERENCED, r) for r in ctx.references(t))
            if cascade:
                refs += tuple((Role.REFERENCED, r) for r in ctx.referencing(t))
            out.append(m("drop_table", t, *refs, subject=f"table {t}"))
        elif kind in (OT.OBJECT_VIEW, OT.OBJECT_MATVIEW, OT.OBJECT_SEQUENCE):
            id = {OT.OBJECT_VIEW: "drop_view", OT.OBJECT_MATVIEW: "drop_materialized_view"}.get(
                kind, "drop_sequence"
            )
            t = names_key(names, ctx.default_schema)
            out.append(m(id, t, subject=t))
        elif kind in (OT.OBJECT_TRIGGER, OT.OBJECT_POLICY, OT.OBJECT_RULE):
            t = names_key(names[:-1], ctx.default_schema)
            id = (
                "drop_trigger"
                if kind == OT.OBJECT_TRIGGER
                else "drop_policy"
                if kind == OT.OBJECT_POLICY
                else "drop_rule"
            )
            out.append(m(id, t, subject=names[-1].sval))
        elif kind == OT.OBJECT_STATISTIC_EXT:
            s = names_key(names, ctx.default_schema)
            table = ctx.statistics_table(s) or f"(table of {s})"
            out.append(m("drop_statistics", table, subject=f"statistics {s}"))
        else:
            label = (
                ".".join(getattr(n, "sval", "?") for n in names) if isinstance(obj, tuple) else ""
            )
            out.append(m("drop_object", "", subject=label))
    return out


def _truncate(node: Any, v: int, ctx: Context) -> list[Match]:
    out = []
    for rv in node.relations:
        t = relkey(rv, ctx.default_schema)
        more: tuple[tuple[Role, str], ...] = ()
        if node.behavior.name == "DROP_CASCADE":
            refs = ctx.referencing(t) if ctx.schema is not None else (f"(tables referencing {t})",)
            more = tuple((Role.REFERENCING, r) for r in refs)
        out.append(m("truncate", t, *more))
    return out


def _create(node: Any, v: int, ctx: Context) -> list[Match]:
    table = relkey(node.relation, ctx.default_schema)
    refs: list[tuple[Role, str]] = []
    for el in node.tableElts or ():
        cons = el.constraints if isinstance(el, ast.ColumnDef) else (el,)
        for c in cons or ():
            if isinstance(c, ast.Constraint) and c.pktable is not None:
                ref = relkey(c.pktable, ctx.default_schema)
                if ref != table:
                    refs.append((Role.REFERENCED, ref))
    parents = [relkey(p, ctx.default_schema) for p in node.inhRelations or ()]
    if node.partbound is not None and parents:
        more = [(Role.PARENT, parents[0]), *refs]
        if (
            node.partbound.is_default is False
            and (d := ctx.default_partition(parents[0])) is not None
        ):
            more.append((Role.DEFAULT_PARTITION, d))
        return [Match(entry("create_table.partition_of"), tuple(more), subject=table)]
    if parents:
        inherits = tuple((Role.PARENT, p) for p in parents)
        return [Match(entry("create_table.inherits"), inherits, subject=table),
                Match(entry("create_table"), tuple(refs), subject=table)]  # fmt: skip
    return [Match(entry("create_table"), tuple(refs), subject=table)]


def _create_as(node: Any, v: int, ctx: Context) -> list[Match]:
    id = "create_materialized_view" if node.objtype == OT.OBJECT_MATVIEW else "create_table_as"
    return [
        Match(
            entry(id), _sources(node.query, ctx), subject=relkey(node.into.rel, ctx.default_schema)
        )
    ]


def _view(node: Any, v: int, ctx: Context) -> list[Match]:
    view = relkey(node.view, ctx.default_schema)
    return [m("create_view", view, *_sources(node.query, ctx), subject=view)]


def _refresh(node: Any, v: int, ctx: Context) -> list[Match]:
    mv = relkey(node.relation, ctx.default_schema)
    src = tuple((Role.SOURCE, s) for s in ctx.view_sources(mv))
    return [m("refresh_materialized_view" + (".concurrently" if node.concurrent else ""), mv, *src)]


def _rename(node: Any, v: int, ctx: Context) -> list[Match]:
    kind = node.renameType
    if node.relation is not None:
        rel = relkey(node.relation, ctx.default_schema)
        if kind == OT.OBJECT_COLUMN:
            return [m("alter_table.rename_column", rel, subject=f"column {node.subname}")]
        if kind == OT.OBJECT_TABCONSTRAINT:
            return [m("alter_table.rename_constraint", rel, subject=f"constraint {node.subname}")]
        if kind == OT.OBJECT_INDEX:
            return [
                Match(entry("alter_index.rename"), ((Role.INDEX, rel),), subject=f"index {rel}")
            ]
        if kind in (
            OT.OBJECT_TABLE,
            OT.OBJECT_VIEW,
            OT.OBJECT_MATVIEW,
            OT.OBJECT_SEQUENCE,
            OT.OBJECT_FOREIGN_TABLE,
        ):
            return [m("alter_table.rename", rel, subject=rel)]
        if kind in (OT.OBJECT_TRIGGER, OT.OBJECT_POLICY):
            return [
                m(
                    "unknown",
                    rel,
                    conditions=(
                        f"RENAME of a {kind.name[7:].lower()} is not in the knowledge base",
                    ),
                )
            ]
    return [m("rename_object", "", subject=kind.name[7:].lower())]


def _comment(node: Any, v: int, ctx: Context) -> list[Match]:
    obj = node.object
    names = obj if isinstance(obj, tuple) else ()
    if node.objtype in (
        OT.OBJECT_TABLE,
        OT.OBJECT_VIEW,
        OT.OBJECT_MATVIEW,
        OT.OBJECT_INDEX,
        OT.OBJECT_SEQUENCE,
    ):
        return [m("comment", names_key(names, ctx.default_schema))]
    if node.objtype == OT.OBJECT_COLUMN:
        return [
            m(
                "comment",
                names_key(names[:-1], ctx.default_schema),
                subject=f"column {names[-1].sval}",
            )
        ]
    return [m("comment", "")]


def _vacuum(node: Any, v: int, ctx: Context) -> list[Match]:
    full = option_on(node.options, "full")
    id = "analyze" if not node.is_vacuumcmd else "vacuum_full" if full else "vacuum"
    rels = [relkey(r.relation, ctx.default_schema) for r in node.rels or ()] or ["(every table)"]
    return [m(id, r) for r in rels]


def _reindex(node: Any, v: int, ctx: Context) -> list[Match]:
    id = "reindex.concurrently" if option_on(node.params, "concurrently") else "reindex"
    kind = node.kind.name
    if kind == "REINDEX_OBJECT_INDEX":
        idx = relkey(node.relation, ctx.default_schema)
        return [m(id, _index_table(ctx, idx), (Role.INDEX, idx), subject=f"index {idx}")]
    if kind == "REINDEX_OBJECT_TABLE":
        t = relkey(node.relation, ctx.default_schema)
        idxs = ctx.table_indexes(t) if ctx.schema is not None else (f"(indexes of {t})",)
        return [m(id, t, *((Role.INDEX, i) for i in idxs))]
    return [m(id, f"(every table of the {kind[15:].lower()})", (Role.INDEX, "(their indexes)"))]


def _dml(id: str) -> Callable[[Any, int, Context], list[Match]]:
    def handler(node: Any, v: int, ctx: Context) -> list[Match]:
        t = relkey(node.relation, ctx.default_schema)
        parts = tuple(
            getattr(node, a, None)
            for a in ("selectStmt", "fromClause", "usingClause", "whereClause")
        )
        return [m(id, t, *_sources(parts, ctx, exclude=t))]

    return handler


def _merge(node: Any, v: int, ctx: Context) -> list[Match]:
    t = relkey(node.relation, ctx.default_schema)
    parts = (node.sourceRelation, node.joinCondition, node.mergeWhenClauses)
    return [m("merge", t, *_sources(parts, ctx, exclude=t))]


def _lock(node: Any, v: int, ctx: Context) -> list[Match]:
    mode = LockMode(node.mode)
    return [
        m(f"lock_table.{mode.name.lower()}", relkey(rv, ctx.default_schema))
        for rv in node.relations
    ]


def _alter_domain(node: Any, v: int, ctx: Context) -> list[Match]:
    domain = names_key(node.typeName, ctx.default_schema)
    users = (
        tuple((Role.DOMAIN_USER, t) for t in ctx.domain_users(domain))
        if ctx.schema is not None
        else ((Role.DOMAIN_USER, f"(tables using {domain})"),)
    )
    if node.subtype == "C":
        if node.def_.skip_validation:
            return [Match(entry("alter_domain.add_constraint.not_valid"), (), subject=domain)]
        return [Match(entry("alter_domain.add_constraint"), users, subject=domain)]
    if node.subtype == "V":
        return [Match(entry("alter_domain.validate_constraint"), users, subject=domain)]
    if node.subtype == "O":  # SET NOT NULL: every column of the domain is checked
        return [Match(entry("alter_domain.add_constraint"), users, subject=domain)]
    return [Match(entry("create_type"), (), subject=domain)]


def _alter_enum(node: Any, v: int, ctx: Context) -> list[Match]:
    id = "alter_type.rename_value" if node.oldVal else "alter_type.add_value"
    return [Match(entry(id), (), subject=node.newVal or "")]


def _grant(node: Any, v: int, ctx: Context) -> list[Match]:
    if node.objtype == OT.OBJECT_TABLE and node.targtype.name == "ACL_TARGET_OBJECT":
        return [m("grant", relkey(rv, ctx.default_schema)) for rv in node.objects or ()]
    return [Match(entry("grant"))]


def _plain(id: str) -> Callable[[Any, int, Context], list[Match]]:
    return lambda node, v, ctx: [Match(entry(id))]


def _on_relation(id: str, attr: str = "relation") -> Callable[[Any, int, Context], list[Match]]:
    return lambda node, v, ctx: [m(id, relkey(getattr(node, attr), ctx.default_schema))]


def _alter_sequence(node: Any, v: int, ctx: Context) -> list[Match]:
    seq = relkey(node.sequence, ctx.default_schema)
    options = node.options or ()
    if not options or any(o.defname != "owned_by" for o in options):
        return [m("alter_sequence", seq)]  # any other option gives the sequence new storage
    owners: list[tuple[Role, str]] = []
    for o in options:
        names = [n.sval for n in o.arg]
        if len(names) >= 2:  # [schema.]table.column; a lone NONE names no table
            owners.append((Role.SOURCE, names_key(o.arg[:-1], ctx.default_schema)))
    return [m("alter_sequence.owned_by", seq, *owners)]


def _object_schema(node: Any, v: int, ctx: Context) -> list[Match]:
    if node.relation is not None:
        return [m("alter_table.set_schema", relkey(node.relation, ctx.default_schema))]
    return [Match(entry("rename_object"))]


_HANDLERS: dict[type, Callable[[Any, int, Context], Iterable[Match]]] = {
    ast.AlterTableStmt: lambda n, v, c: alter_table(n, v, c),
    ast.IndexStmt: _index,
    ast.DropStmt: _drop,
    ast.TruncateStmt: _truncate,
    ast.CreateStmt: _create,
    ast.CreateTableAsStmt: _create_as,
    ast.ViewStmt: _view,
    ast.RefreshMatViewStmt: _refresh,
    ast.RenameStmt: _rename,
    ast.AlterObjectSchemaStmt: _object_schema,
    ast.CommentStmt: _comment,
    ast.VacuumStmt: _vacuum,
    ast.ClusterStmt: lambda n, v, c: [
        m(
            "cluster",
            relkey(n.relation, c.default_schema) if n.relation else "(every clustered table)",
        )
    ],
    ast.ReindexStmt: _reindex,
    ast.InsertStmt: _dml("insert"),
    ast.UpdateStmt: _dml("update"),
    ast.DeleteStmt: _dml("delete"),
    ast.MergeStmt: _merge,
    ast.CreateForeignTableStmt: lambda n, v, c: [
        Match(entry("create_foreign_table"), subject=relkey(n.base.relation, c.default_schema))
    ],
    ast.LockStmt: _lock,
    ast.CreateTrigStmt: _on_relation("create_trigger"),
    ast.RuleStmt: _on_relation("create_rule"),
    ast.CreateStatsStmt: lambda n, v, c: [
        m("create_statistics", relkey(n.relations[0], c.default_schema))
    ],
    ast.AlterStatsStmt: _plain("alter_statistics"),
    ast.CreatePolicyStmt: _on_relation("create_policy", "table"),
    ast.AlterPolicyStmt: _on_relation("alter_policy", "table"),
    ast.CreateSeqStmt: _plain("create_sequence"),
    ast.AlterSeqStmt: _alter_sequence,
    ast.GrantStmt: _grant,
    ast.GrantRoleStmt: _plain("session"),
    ast.AlterEnumStmt: _alter_enum,
    ast.CreateEnumStmt: _plain("create_type"),
    ast.CompositeTypeStmt: _plain("create_type"),
    ast.CreateDomainStmt: _plain("create_type"),
    ast.CreateRangeStmt: _plain("create_type"),
    ast.DefineStmt: _plain("create_type"),
    # casts, operator families and classes and text search objects lock no table
    ast.CreateCastStmt: _plain("create_type"),
    ast.CreateOpClassStmt: _plain("create_type"),
    ast.CreateOpFamilyStmt: _plain("create_type"),
    ast.AlterOpFamilyStmt: _plain("create_type"),
    ast.AlterTSConfigurationStmt: _plain("create_type"),
    ast.AlterTSDictionaryStmt: _plain("create_type"),
    ast.AlterDomainStmt: _alter_domain,
    ast.CreateFunctionStmt: _plain("create_function"),
    ast.AlterFunctionStmt: _plain("create_function"),
    ast.CreateSchemaStmt: _plain("create_schema"),
    ast.CreateExtensionStmt: _plain("create_extension"),
    ast.AlterExtensionStmt: _plain("create_extension"),
    ast.AlterOwnerStmt: _plain("rename_object"),
    ast.DropdbStmt: _plain("drop_database"),
    ast.CreatedbStmt: _plain("drop_database"),
    ast.VariableSetStmt: _plain("session"),
    ast.TransactionStmt: _plain("session"),
    ast.DiscardStmt: _plain("session"),
    ast.CreateRoleStmt: _plain("session"),
    ast.AlterRoleStmt: _plain("session"),
    ast.DropRoleStmt: _plain("session"),
    ast.SelectStmt: lambda n, v, c: [Match(entry("select"), _sources(n, c))],
}


def classify(node: Any, server_version: int, context: Context | None = None) -> tuple[Match, ...]:
    """The knowledge-base entries a parsed statement is, with the relations each touches."""
    ctx = context or NO_CONTEXT
    handler = _HANDLERS.get(type(node))
    if handler is None:
        what = type(node).__name__.removesuffix("Stmt")
        return (
            Match(
                entry("unknown"),
                ((Role.TABLE, "(unknown)"),),
                (f"{what} is not in the knowledge base",),
            ),
        )
    return tuple(handler(node, version_num(server_version), ctx))


def facts_of(matches: Iterable[Match], server_version: int) -> tuple[LockFact, ...]:
    """The lock facts of matched entries on a server version, merged per relation."""
    v = version_num(server_version)
    facts: list[LockFact] = []
    for match in matches:
        for rule in match.entry.rules_for(v):
            for role, rel in match.relations:
                if role is rule.role:
                    conds = tuple(c for c in (rule.note, *match.conditions) if c)
                    facts.append(
                        LockFact(
                            rel,
                            rule.mode,
                            rule.effect,
                            conds,
                            match.entry.id,
                            role,
                            _via(match, role),
                        )
                    )
    return merge(facts)


def _via(match: Match, role: Role) -> str | None:
    """The table whose queries also lock a relation in `role` (see `LockFact.via`)."""
    # a partition being attached, or detached concurrently,
    # is not part of the parent for new queries
    attached = role is Role.PARTITION and not match.entry.id.startswith(
        ("alter_table.attach_partition", "alter_table.detach_partition.concurrently")
    )
    if role is Role.INDEX or role is Role.DEFAULT_PARTITION or attached:
        return next((r for ro, r in match.relations if ro is Role.TABLE), None)
    return None


def merge(facts: Iterable[LockFact]) -> tuple[LockFact, ...]:
    """One fact per relation: the strongest mode and the costliest effect.

    The strongest mode as PostgreSQL's ALTER TABLE takes it.
    """
    out: dict[str, LockFact] = {}
    for f in facts:
        old = out.get(f.relation)
        if old is None:
            out[f.relation] = f
            continue
        stronger = f if f.mode > old.mode else old
        effect = f.effect if f.effect.rank > old.effect.rank else old.effect
        conds = tuple(dict.fromkeys(old.conditions + f.conditions))
        entries = old.entry if f.entry in old.entry.split("+") else f"{old.entry}+{f.entry}"
        out[f.relation] = LockFact(
            f.relation, stronger.mode, effect, conds, entries, stronger.role, old.via or f.via
        )
    return tuple(out.values())


def facts_for_statement(
    sql_or_tree: str | ast.Node, server_version: int, context: Context | None = None
) -> tuple[LockFact, ...]:
    """The locks a statement takes (every statement of `sql_or_tree`, merged per relation)."""
    nodes: list[Any] = (
        [s.node for s in parse_statements(sql_or_tree)]
        if isinstance(sql_or_tree, str)
        else [sql_or_tree]
    )
    nodes = [n.stmt if isinstance(n, ast.RawStmt) else n for n in nodes]
    return facts_of(
        (mt for n in nodes for mt in classify(n, server_version, context)), server_version
    )


__all__ = ["Effect", "Match", "classify", "facts_for_statement", "facts_of", "merge"]
