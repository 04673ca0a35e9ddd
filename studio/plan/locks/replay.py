"""Build a lint `Context` statement by statement, without a database.

Linting a migrations directory replays every migration's statements in order
(the applied ones too, for what they created), so that a later ALTER COLUMN
TYPE knows the column's type, a SET NOT NULL knows of a validated CHECK, a
DROP INDEX knows its table and a CREATE INDEX knows whether its table was
created by the same migration. Only what lock analysis asks is tracked;
anything else leaves the context as it was (the analysis then gives its
conservative answer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, TypeVar

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType as CT
from pglast.enums import ObjectType as OT

from studio.model import (
    Column,
    Constraint,
    ConstraintKind,
    Domain,
    DomainConstraint,
    EnumType,
    Function,
    Index,
    Schema,
    Table,
    View,
    qualname,
)
from studio.model import quote_ident as qi
from studio.model.keys import split_qualified
from studio.plan.locks.context import Context, _volatility
from studio.plan.locks.parse import deparse, format_type, is_serial, names_key, range_vars, relkey
from studio.plan.locks.timeline import Timeline, TimelineView

V = TypeVar("V")

# the mappings of a Schema that statements change
_SCHEMA_MAPPINGS = ("tables", "views", "enums", "domains", "functions")

_KINDS = {
    CT.CONSTR_PRIMARY: ConstraintKind.PRIMARY_KEY,
    CT.CONSTR_UNIQUE: ConstraintKind.UNIQUE,
    CT.CONSTR_CHECK: ConstraintKind.CHECK,
    CT.CONSTR_FOREIGN: ConstraintKind.FOREIGN_KEY,
    CT.CONSTR_EXCLUSION: ConstraintKind.EXCLUSION,
}
_SUFFIX = {
    ConstraintKind.PRIMARY_KEY: "pkey",
    ConstraintKind.UNIQUE: "key",
    ConstraintKind.CHECK: "check",
    ConstraintKind.FOREIGN_KEY: "fkey",
    ConstraintKind.EXCLUSION: "excl",
}


def _as_dict(view: TimelineView[str, V]) -> dict[str, V]:
    """A view where a Schema says dict.

    Only `Context` reads these schemas, through the Mapping API.
    """
    return view  # type: ignore[return-value]


class Replay:
    """A context that learns from each statement applied to it."""

    def __init__(self, context: Context | None = None) -> None:
        self.context = context or Context.of(Schema())
        if self.context.schema is None:
            self.context = dataclasses.replace(self.context, schema=Schema())
        # Each statement's unit keeps the context it ran against: the mappings
        # statements change are timelines, and a context holds views of them,
        # not copies (a copy per statement is O(N^2) time and memory over a
        # migration of N tables).
        s = self.schema
        self._lines: dict[str, Timeline[str, Any]] = {
            kind: Timeline(getattr(s, kind).items()) for kind in _SCHEMA_MAPPINGS
        }
        self._index_tables = Timeline(self.context.index_tables.items())
        self._volatility = Timeline(self.context.volatility.items())
        self._new_tables: Timeline[str, bool] = Timeline((t, True) for t in self.context.new_tables)
        self._new_constraints: Timeline[tuple[str, str], bool] = Timeline(
            (c, True) for c in self.context.new_constraints
        )
        # table key -> index keys once mapped to it (some since dropped or moved):
        # a DROP TABLE finds its indexes without reading every index of the schema
        self._indexes_of: dict[str, list[str]] = {}
        for index, table in self.context.index_tables.items():
            self._indexes_of.setdefault(table, []).append(index)

    # --- the schema being built -------------------------------------------------------

    @property
    def schema(self) -> Schema:
        assert self.context.schema is not None
        return self.context.schema

    def _set(self, **changes: Any) -> None:
        self.context = dataclasses.replace(self.context, **changes)

    def _put(self, kind: str, key: str, value: Any) -> None:
        """`schema.<kind>[key] = value` (kind: one of _SCHEMA_MAPPINGS)."""
        line = self._lines[kind]
        line.put(key, value)
        change: dict[str, Any] = {kind: _as_dict(line.view())}
        self._set(schema=dataclasses.replace(self.schema, **change))

    def _put_table(self, table: Table) -> None:
        self._put("tables", table.key, table)

    def _drop_table(self, key: str) -> None:
        tables = self._lines["tables"]
        tables.remove(key)
        current = self.context.index_tables
        for index in self._indexes_of.pop(key, ()):
            if current.get(index) == key:
                self._index_tables.remove(index)
        self._set(
            schema=dataclasses.replace(self.schema, tables=_as_dict(tables.view())),
            index_tables=self._index_tables.view(),
        )

    def _drop_index(self, key: str) -> None:
        self._index_tables.remove(key)
        self._set(index_tables=self._index_tables.view())

    def _index(self, index: str, table: str) -> None:
        self._indexes_of.setdefault(table, []).append(index)
        self._index_tables.put(index, table)
        self._set(index_tables=self._index_tables.view())

    def _new_table(self, key: str) -> None:
        self._new_tables.put(key, True)
        self._set(new_tables=self._new_tables.view().keys())

    def _new_constraint(self, table: str, name: str) -> None:
        self._new_constraints.put((table, name), True)
        self._set(new_constraints=self._new_constraints.view().keys())

    def start_unit(self) -> None:
        """A new migration (or file) begins: what it creates is new to it, not to the next."""
        self._new_tables = Timeline()
        self._new_constraints = Timeline()
        self._set(new_tables=frozenset(), new_constraints=frozenset())

    # --- statements -------------------------------------------------------------------

    def apply(self, node: Any) -> None:
        """Learn what `node` (a parsed statement) changes."""
        handler = getattr(self, f"_on_{type(node).__name__}", None)
        if handler is not None:
            handler(node)

    def _on_CreateStmt(self, node: Any) -> None:
        key = relkey(node.relation, self.context.default_schema)
        schema, name = split_qualified(key)
        cols: list[Column] = []
        cons: list[Constraint] = []
        for el in node.tableElts or ():
            if isinstance(el, ast.ColumnDef):
                if el.typeName is not None:  # `col WITH OPTIONS ...` of a partition or typed table
                    cols.append(_column(el))
                for c in el.constraints or ():
                    if c.contype in _KINDS:
                        cons.append(self._constraint(key, c, (str(el.colname),)))
            elif isinstance(el, ast.Constraint) and el.contype in _KINDS:
                cons.append(self._constraint(key, el, ()))
        pk_cols = {n for c in cons if c.kind is ConstraintKind.PRIMARY_KEY for n in c.columns}
        cols = [dataclasses.replace(c, not_null=c.not_null or c.name in pk_cols) for c in cols]
        parent = (
            relkey(node.inhRelations[0], self.context.default_schema) if node.inhRelations else None
        )
        bound = None
        if node.partbound is not None:
            bound = "DEFAULT" if node.partbound.is_default else deparse(node.partbound)
            if (p := self.context.table(parent or "")) is not None and not cols:
                cols = list(p.columns)
        table = Table(
            schema,
            name,
            columns=tuple(cols),
            constraints=tuple(cons),
            partition_key=deparse(node.partspec) if node.partspec is not None else None,
            partition_of=parent if node.partbound is not None else None,
            partition_bound=bound,
            inherits=(parent,) if parent and node.partbound is None else (),
        )
        self._put_table(table)
        for c in cons:
            if c.index:
                self._index(qualname(schema, c.index), key)
        self._new_table(key)

    def _on_CreateTableAsStmt(self, node: Any) -> None:
        key = relkey(node.into.rel, self.context.default_schema)
        schema, name = split_qualified(key)
        if node.objtype == OT.OBJECT_MATVIEW:
            deps = tuple(
                dict.fromkeys(
                    relkey(rv, self.context.default_schema) for rv in range_vars(node.query)
                )
            )
            view = View(schema, name, deparse(node.query), materialized=True, depends_on=deps)
            self._put("views", key, view)
            return
        self._put_table(Table(schema, name))
        self._new_table(key)

    def _on_CreateSeqStmt(self, node: Any) -> None:
        self._new_table(relkey(node.sequence, self.context.default_schema))

    def _on_ViewStmt(self, node: Any) -> None:
        key = relkey(node.view, self.context.default_schema)
        schema, name = split_qualified(key)
        deps = tuple(
            dict.fromkeys(relkey(rv, self.context.default_schema) for rv in range_vars(node.query))
        )
        self._put("views", key, View(schema, name, deparse(node.query), depends_on=deps))

    def _on_IndexStmt(self, node: Any) -> None:
        table = relkey(node.relation, self.context.default_schema)
        schema, _ = split_qualified(table)
        name = node.idxname or f"{split_qualified(table)[1]}_idx"
        keys = tuple(qi(e.name) if e.name else deparse(e.expr) for e in node.indexParams or ())
        self._index(qualname(schema, name), table)
        t = self._known(table)
        idx = Index(name, "", unique=bool(node.unique), keys=keys)
        self._put_table(dataclasses.replace(t, indexes=(*t.indexes, idx)))

    def _on_DropStmt(self, node: Any) -> None:
        if node.removeType == OT.OBJECT_PUBLICATION:
            for obj in node.objects or ():
                self._unpublish(str(obj.sval))
            return
        if node.removeType not in (OT.OBJECT_TABLE, OT.OBJECT_INDEX):
            # a function's or type's name is not a list of strings (ObjectWithArgs, TypeName)
            return
        for obj in node.objects or ():
            names = obj if isinstance(obj, tuple) else (obj,)
            key = names_key(names, self.context.default_schema)
            if node.removeType == OT.OBJECT_TABLE:
                self._drop_table(key)
                self._move_publications(key, None)
            elif node.removeType == OT.OBJECT_INDEX:
                table = self.context.index_table(key)
                self._drop_index(key)
                if table and (t := self.context.table(table)) is not None:
                    name = split_qualified(key)[1]
                    self._put_table(
                        dataclasses.replace(
                            t, indexes=tuple(i for i in t.indexes if i.name != name)
                        )
                    )

    def _on_RenameStmt(self, node: Any) -> None:
        if node.renameType == OT.OBJECT_COLLATION:
            self._rename_collation(node)
            return
        if node.relation is None:
            return
        key = relkey(node.relation, self.context.default_schema)
        t = self.context.table(key)
        if node.renameType == OT.OBJECT_TABLE:
            # a table's publications follow it, known or not
            self._move_publications(key, qualname(split_qualified(key)[0], node.newname))
        if node.renameType == OT.OBJECT_TABLE and t is not None:
            self._drop_table(key)
            self._put_table(dataclasses.replace(t, name=node.newname))
        elif node.renameType == OT.OBJECT_COLUMN and t is not None:
            cols = tuple(
                dataclasses.replace(c, name=node.newname) if c.name == node.subname else c
                for c in t.columns
            )
            self._put_table(dataclasses.replace(t, columns=cols))
        elif node.renameType == OT.OBJECT_TABCONSTRAINT and t is not None:
            cons = tuple(
                dataclasses.replace(c, name=node.newname) if c.name == node.subname else c
                for c in t.constraints
            )
            self._put_table(dataclasses.replace(t, constraints=cons))

    def _rename_collation(self, node: Any) -> None:
        """The columns using a renamed collation name it by its new name.

        What the diff writes for a redefined collation (RecreateCollation): moving a
        column to the new one of the old name then reads as the collation change it
        is, which rebuilds the column's indexes.
        """
        names = [n.sval for n in node.object]
        old = {".".join(names)} | (
            {f"{self.context.default_schema}.{names[0]}"} if len(names) == 1 else set()
        )
        new = ".".join([*names[:-1], node.newname])
        for table in list(self.schema.tables.values()):
            if not any(c.collation in old for c in table.columns):
                continue
            cols = tuple(
                dataclasses.replace(c, collation=new) if c.collation in old else c
                for c in table.columns
            )
            self._put_table(dataclasses.replace(table, columns=cols))

    # --- publications (what logical subscribers receive) ------------------------------

    def _publications(self, change: Callable[[dict[str, tuple[str, ...]]], None]) -> None:
        current = dict(self.context.publications)
        change(current)
        self._set(publications=MappingProxyType({k: v for k, v in current.items() if v}))

    def _publish(self, keys: list[str], pub: str, *, add: bool = True) -> None:
        def change(current: dict[str, tuple[str, ...]]) -> None:
            for key in keys:
                names = tuple(n for n in current.get(key, ()) if n != pub)
                current[key] = (*names, pub) if add else names

        self._publications(change)

    def _unpublish(self, pub: str) -> None:
        def change(current: dict[str, tuple[str, ...]]) -> None:
            for key, names in list(current.items()):
                current[key] = tuple(n for n in names if n != pub)

        self._publications(change)

    def _move_publications(self, key: str, to: str | None) -> None:
        if key not in self.context.publications:
            return

        def change(current: dict[str, tuple[str, ...]]) -> None:
            names = current.pop(key)
            if to is not None:
                current[to] = names

        self._publications(change)

    def _published_objects(self, node: Any) -> list[str]:
        """The tables (`schema.name`) and schemas (`schema.*`) a publication statement names."""
        keys: list[str] = []
        for spec in node.pubobjects or ():
            if spec.pubtable is not None:
                keys.append(relkey(spec.pubtable.relation, self.context.default_schema))
            elif spec.pubobjtype.name == "PUBLICATIONOBJ_TABLES_IN_CUR_SCHEMA":
                keys.append(f"{qi(self.context.default_schema)}.*")
            elif spec.name:
                keys.append(f"{qi(spec.name)}.*")
        return keys

    def _on_CreatePublicationStmt(self, node: Any) -> None:
        keys = ["*"] if node.for_all_tables else self._published_objects(node)
        self._publish(keys, str(node.pubname))

    def _on_AlterPublicationStmt(self, node: Any) -> None:
        pub, action = str(node.pubname), node.action.name
        if action == "AP_SetObjects":
            self._unpublish(pub)
        self._publish(self._published_objects(node), pub, add=action != "AP_DropObjects")

    def _on_CreateEnumStmt(self, node: Any) -> None:
        key = names_key(node.typeName, self.context.default_schema)
        schema, name = split_qualified(key)
        labels = tuple(v.sval for v in node.vals or ())
        self._put("enums", key, EnumType(schema, name, labels))

    def _on_CreateDomainStmt(self, node: Any) -> None:
        key = names_key(node.domainname, self.context.default_schema)
        schema, name = split_qualified(key)
        cons = tuple(
            DomainConstraint(c.conname or f"{name}_check", deparse(c), not c.skip_validation)
            for c in node.constraints or ()
            if c.contype in (CT.CONSTR_CHECK, CT.CONSTR_NOTNULL)
        )
        domain = Domain(schema, name, format_type(node.typeName), constraints=cons)
        self._put("domains", key, domain)

    def _on_AlterDomainStmt(self, node: Any) -> None:
        key = names_key(node.typeName, self.context.default_schema)
        d = self.schema.domains.get(key)
        if d is not None and node.subtype == "C":
            c = node.def_
            con = DomainConstraint(
                c.conname or f"{d.name}_check", deparse(c), not c.skip_validation
            )
            self._put("domains", key, dataclasses.replace(d, constraints=(*d.constraints, con)))

    def _on_CreateFunctionStmt(self, node: Any) -> None:
        key = names_key(node.funcname, self.context.default_schema)
        schema, name = split_qualified(key)
        text = deparse(node)
        self._volatility.put(name.lower(), _volatility(text))
        self._set(volatility=self._volatility.view())
        self._put("functions", key, Function(schema, name, "", "f", text))

    def _on_AlterTableStmt(self, node: Any) -> None:
        key = relkey(node.relation, self.context.default_schema)
        if node.objtype != OT.OBJECT_TABLE:
            return
        for cmd in node.cmds or ():
            self._alter(key, self._known(key), cmd)

    def _known(self, key: str) -> Table:
        """The table `key`, or a stub of it.

        A table of an earlier migration not seen: it exists.
        """
        t = self.context.table(key)
        if t is None:
            schema, name = split_qualified(key)
            t = Table(schema, name)
            self._put_table(t)
        return t

    def _alter(self, key: str, t: Table, cmd: Any) -> None:
        st = cmd.subtype
        cols = t.columns
        if st == AT.AT_AddColumn:
            col = _column(cmd.def_)
            cons = tuple(
                self._constraint(key, c, (col.name,))
                for c in cmd.def_.constraints or ()
                if c.contype in _KINDS
            )
            self._put_table(
                dataclasses.replace(t, columns=(*cols, col), constraints=(*t.constraints, *cons))
            )
        elif st == AT.AT_DropColumn:
            self._put_table(
                dataclasses.replace(t, columns=tuple(c for c in cols if c.name != cmd.name))
            )
        elif st == AT.AT_AlterColumnType:
            new = format_type(cmd.def_.typeName)
            self._put_table(dataclasses.replace(t, columns=_replace_col(cols, cmd.name, type=new)))
        elif st in (AT.AT_SetNotNull, AT.AT_DropNotNull):
            self._put_table(
                dataclasses.replace(
                    t, columns=_replace_col(cols, cmd.name, not_null=st == AT.AT_SetNotNull)
                )
            )
        elif st == AT.AT_AddConstraint and cmd.def_.contype == CT.CONSTR_NOTNULL:
            col = cmd.def_.keys[0].sval
            valid = not cmd.def_.skip_validation
            named = cmd.def_.conname
            self._put_table(
                dataclasses.replace(
                    t,
                    columns=_replace_col(
                        cols, col, not_null=True, not_null_valid=valid, not_null_name=named
                    ),
                )
            )
        elif st == AT.AT_AddConstraint and cmd.def_.contype in _KINDS:
            con = self._constraint(key, cmd.def_, ())
            self._put_table(dataclasses.replace(t, constraints=(*t.constraints, con)))
            self._new_constraint(key, qi(con.name))
            if con.index:
                self._index(qualname(t.schema, con.index), key)
        elif st == AT.AT_ValidateConstraint:
            cons = tuple(
                dataclasses.replace(c, validated=True) if c.name == cmd.name else c
                for c in t.constraints
            )
            cols = tuple(
                dataclasses.replace(c, not_null_valid=True) if c.not_null_name == cmd.name else c
                for c in cols
            )
            self._put_table(dataclasses.replace(t, constraints=cons, columns=cols))
        elif st == AT.AT_DropConstraint:
            self._put_table(
                dataclasses.replace(
                    t, constraints=tuple(c for c in t.constraints if c.name != cmd.name)
                )
            )
        elif st == AT.AT_AttachPartition:
            part = relkey(cmd.def_.name, self.context.default_schema)
            if (p := self.context.table(part)) is not None:
                bound = "DEFAULT" if cmd.def_.bound.is_default else deparse(cmd.def_.bound)
                self._put_table(dataclasses.replace(p, partition_of=key, partition_bound=bound))
        elif st == AT.AT_DetachPartition:
            part = relkey(cmd.def_.name, self.context.default_schema)
            if (p := self.context.table(part)) is not None:
                self._put_table(dataclasses.replace(p, partition_of=None, partition_bound=None))

    def _constraint(self, table: str, c: Any, columns: tuple[str, ...]) -> Constraint:
        kind = _KINDS[c.contype]
        cols = (
            tuple(k.sval for k in c.keys or ())
            or tuple(k.sval for k in c.fk_attrs or ())
            or columns
        )
        tname = split_qualified(table)[1]
        name = c.conname or "_".join(
            (tname, *cols[:1], _SUFFIX[kind])
            if kind is not ConstraintKind.PRIMARY_KEY
            else (tname, "pkey")
        )
        definition = (
            f"CHECK ({deparse(c.raw_expr)})" if kind is ConstraintKind.CHECK else deparse(c)
        )
        ref = relkey(c.pktable, self.context.default_schema) if c.pktable is not None else None
        index = (
            (c.indexname or name)
            if kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE, ConstraintKind.EXCLUSION)
            else None
        )
        return Constraint(
            name,
            kind,
            definition,
            cols,
            validated=not c.skip_validation,
            ref_table=ref,
            index=index,
        )


def _column(el: Any) -> Column:
    cons = el.constraints or ()
    not_null = any(
        c.contype in (CT.CONSTR_NOTNULL, CT.CONSTR_PRIMARY, CT.CONSTR_IDENTITY) for c in cons
    )
    default = next((deparse(c.raw_expr) for c in cons if c.contype == CT.CONSTR_DEFAULT), None)
    return Column(
        el.colname,
        format_type(el.typeName),
        not_null=not_null or is_serial(el.typeName),
        default=default,
    )


def _replace_col(cols: tuple[Column, ...], name: str, **changes: Any) -> tuple[Column, ...]:
    return tuple(dataclasses.replace(c, **changes) if c.name == name else c for c in cols)
