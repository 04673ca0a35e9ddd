"""Applying rename hints to the old schema: names, the references to them, and the
definitions PostgreSQL will print once the renames ran (see studio.diff.renames)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from studio.diff.refs import (
    pin_not_null_names,
    rename_in_view,
    replace_ident,
    replace_qualified,
)
from studio.errors import UsageError
from studio.model import (
    CatalogObject,
    Column,
    Constraint,
    Privilege,
    Schema,
    Table,
    View,
    qualname,
    quote_ident,
)
from studio.model.changes import Change, RenameColumn, RenameConstraint, RenameIndex, RenameTable
from studio.model.changes.base import rel_key, schema_of, split_qualified

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from studio.diff.renames import Rename

# tables first: a column, constraint or index hint may name its table by the new name
_ORDER = ("table", "column", "constraint", "index")


def _member(name: str) -> tuple[str, str]:
    """`schema.table.x` -> (`schema.table`, `x`)."""
    *table, member = split_qualified(name)
    if len(table) != 2:
        raise UsageError(f"rename of {name!r}: expected schema.table.name")
    return qualname(*table), member


def _map_tables(schema: Schema, fn: Callable[[Table], Table]) -> dict[str, Table]:
    return {t.key: t for t in (fn(t) for t in schema.tables.values())}


def _rename_table(schema: Schema, old: str, new: str) -> Schema:
    if old not in schema.tables:
        raise UsageError(f"rename: no table {old} in the old schema")
    new_schema, new_name = split_qualified(new)

    def text(s: str | None) -> str | None:
        return replace_qualified(s, old, new)

    def fix(t: Table) -> Table:
        if t.key == old:
            t = replace(
                t, schema=new_schema, name=new_name, columns=_move_identities(t, new_schema)
            )
        return replace(
            t,
            constraints=tuple(
                replace(
                    c,
                    definition=text(c.definition) or "",
                    ref_table=new if c.ref_table == old else c.ref_table,
                )
                for c in t.constraints
            ),
            indexes=tuple(replace(i, definition=text(i.definition) or "") for i in t.indexes),
            triggers=tuple(replace(g, definition=text(g.definition) or "") for g in t.triggers),
            partition_of=new if t.partition_of == old else t.partition_of,
            inherits=tuple(new if p == old else p for p in t.inherits),
        )

    old_name = split_qualified(old)[1]
    # PostgreSQL 15 qualifies a view's columns with the table's name: `orders.id`
    qualifier = re.compile(
        rf'(?<![A-Za-z0-9_$".]){re.escape(quote_ident(old_name))}\.(?=[A-Za-z_"])'
    )

    def fix_view(v: View) -> View:
        definition = text(v.definition) or ""
        if old in v.depends_on and old_name != new_name:
            definition = qualifier.sub(
                quote_ident(new_name).replace("\\", "\\\\") + ".", definition
            )
        return replace(
            v,
            definition=definition,
            depends_on=tuple(sorted(new if r == old else r for r in v.depends_on)),
            depends_on_columns=tuple(sorted(text(c) or "" for c in v.depends_on_columns)),
            indexes=tuple(replace(i, definition=text(i.definition) or "") for i in v.indexes),
            triggers=tuple(replace(g, definition=text(g.definition) or "") for g in v.triggers),
        )

    def fix_statistics(o: CatalogObject) -> CatalogObject:
        statements = tuple(text(x) or "" for x in o.statements)
        return replace(o, statements=statements, relations=(new,))

    # SET SCHEMA takes the sequences the table's columns own along
    old_schema = split_qualified(old)[0]
    moved = {}
    if old_schema != new_schema:
        moved = {
            k: qualname(new_schema, s.name)
            for k, s in schema.sequences.items()
            if s.owned_by and s.owned_by.startswith(old + ".")
        }
    sequences = {}
    for k, s in schema.sequences.items():
        s = replace(s, owned_by=text(s.owned_by)) if s.owned_by else s
        if k in moved:
            s = replace(s, schema=new_schema)
        sequences[s.key] = s
    if moved:
        schema = _move_sequences(schema, moved)
    return replace(
        schema,
        tables=_map_tables(schema, fix),
        views={k: fix_view(v) for k, v in schema.views.items()},
        sequences=sequences,
        privileges=tuple(
            replace(p, object=new if p.object == old else p.object) for p in schema.privileges
        ),
        owners={(new if k == old else k): v for k, v in schema.owners.items()},
        objects=_map_statistics(schema, {old}, fix_statistics),
    )


def _map_statistics(
    schema: Schema, tables: set[str], fn: Callable[[CatalogObject], CatalogObject]
) -> dict[str, CatalogObject]:
    """The catalog objects, `fn` applied to the extended statistics on `tables` (they follow
    the renames of a table and its columns: no statement is needed)."""
    return {
        k: fn(o) if o.kind == "statistics" and tables.intersection(o.relations) else o
        for k, o in schema.objects.items()
    }


def _move_identities(t: Table, schema: str) -> tuple[Column, ...]:
    """The table's columns, their identity sequences in `schema` (SET SCHEMA takes them along)."""
    return tuple(
        replace(c, identity=replace(c.identity, sequence=qualname(schema, seq[-1])))
        if c.identity and c.identity.sequence and (seq := split_qualified(c.identity.sequence))
        else c
        for c in t.columns
    )


def _move_sequences(schema: Schema, moved: dict[str, str]) -> Schema:
    """Rewrite `nextval('old'::regclass)` defaults for sequences that changed schema."""

    def fix_default(text: str | None) -> str | None:
        if not text or "::regclass" not in text:
            return text
        for a, b in moved.items():
            text = text.replace(f"'{a}'::regclass", f"'{b}'::regclass")
        return text

    def fix(t: Table) -> Table:
        return replace(
            t, columns=tuple(replace(c, default=fix_default(c.default)) for c in t.columns)
        )

    return replace(schema, tables=_map_tables(schema, fix))


_REFERENCES = re.compile(r'(REFERENCES (?:"(?:[^"]|"")*"|[^\s("])+\()([^)]*)(\))')


def _children(schema: Schema, table: str) -> list[str]:
    out = []
    for t in schema.tables.values():
        if t.partition_of == table or table in t.inherits:
            out += [t.key, *_children(schema, t.key)]
    return out


def _rename_column(schema: Schema, table: str, old: str, new: str) -> Schema:
    t0 = schema.tables.get(table)
    if t0 is None or t0.column(old) is None:
        raise UsageError(f"rename: no column {old!r} in table {table} of the old schema")
    # PostgreSQL renames the column in every partition and inheritance child too
    affected = {table, *_children(schema, table)}

    def ident(s: str | None) -> str | None:
        return replace_ident(s, old, new)

    def tail(s: str, marker: str) -> str:
        i = s.find(marker)
        return s if i < 0 else s[: i + len(marker)] + (ident(s[i + len(marker) :]) or "")

    def fix_constraint(c: Constraint, local: bool) -> Constraint:
        d = c.definition
        ref_columns = c.ref_columns
        if c.ref_table in affected:
            d = _REFERENCES.sub(lambda m: m[1] + (ident(m[2]) or "") + m[3], d)
            ref_columns = tuple(new if n == old else n for n in ref_columns)
        columns = c.columns
        if local:
            # FOREIGN KEY (a) REFERENCES t(x): only the part before REFERENCES is this table's
            head, sep, rest = d.partition(" REFERENCES ")
            d = (ident(head) or "") + sep + rest
            columns = tuple(new if n == old else n for n in columns)
        return replace(c, definition=d, columns=columns, ref_columns=ref_columns)

    def fix(t: Table) -> Table:
        local = t.key in affected
        t = replace(t, constraints=tuple(fix_constraint(c, local) for c in t.constraints))
        if not local:
            return t
        cols = tuple(
            replace(c, name=new if c.name == old else c.name, generated=ident(c.generated))
            for c in t.columns
        )
        on = (f" ON {t.key} ", f" ON ONLY {t.key} ")
        return replace(
            t,
            columns=tuple(sorted(cols, key=lambda c: c.name)),
            indexes=tuple(
                replace(
                    i,
                    keys=tuple(ident(k) or "" for k in i.keys),
                    include=tuple(ident(k) or "" for k in i.include),
                    predicate=ident(i.predicate),
                    definition=_after(i.definition, on, ident),
                )
                for i in t.indexes
            ),
            triggers=tuple(
                replace(g, definition=_after(g.definition, (f"{quote_ident(g.name)} ",), ident))
                for g in t.triggers
            ),
            policies=tuple(
                replace(p, using=ident(p.using), with_check=ident(p.with_check)) for p in t.policies
            ),
            partition_key=ident(t.partition_key),
        )

    old_col, new_col = f"{table}.{quote_ident(old)}", f"{table}.{quote_ident(new)}"

    def fix_view(v: View) -> View:
        if not affected & set(v.depends_on):
            return v
        return replace(
            v,
            definition=rename_in_view(v.definition, old, new),
            depends_on_columns=tuple(
                sorted(new_col if c == old_col else c for c in v.depends_on_columns)
            ),
        )

    def fix_privilege(p: Privilege) -> Privilege:
        return replace(p, column=new) if p.object == table and p.column == old else p

    def fix_statistics(o: CatalogObject) -> CatalogObject:
        # CREATE STATISTICS name [(kinds)] ON columns, (expressions) FROM table
        create, *rest = o.statements
        head, sep, source = create.rpartition(" FROM ")
        name, on, columns = head.partition(" ON ")
        return replace(o, statements=(name + on + (ident(columns) or "") + sep + source, *rest))

    return replace(
        schema,
        tables=_map_tables(schema, fix),
        views={k: fix_view(v) for k, v in schema.views.items()},
        sequences={
            k: replace(s, owned_by=new_col) if s.owned_by == old_col else s
            for k, s in schema.sequences.items()
        },
        privileges=tuple(fix_privilege(p) for p in schema.privileges),
        objects=_map_statistics(schema, affected, fix_statistics),
    )


def _after(text: str, markers: tuple[str, ...], fn: Callable[[str | None], str | None]) -> str:
    """Apply `fn` to what follows the first marker found (the whole text when none is)."""
    for marker in markers:
        i = text.find(marker)
        if i >= 0:
            return text[: i + len(marker)] + (fn(text[i + len(marker) :]) or "")
    return fn(text) or ""


def _rename_constraint(schema: Schema, table: str, old: str, new: str) -> Schema:
    t = schema.tables.get(table)
    if t is None or t.constraint(old) is None:
        raise UsageError(f"rename: no constraint {old!r} on table {table} of the old schema")
    cons = tuple(
        replace(c, name=new, index=new if c.index == old else c.index) if c.name == old else c
        for c in t.constraints
    )
    t = replace(t, constraints=tuple(sorted(cons, key=lambda c: c.name)))
    return replace(schema, tables={**schema.tables, table: t})


def _rename_index(schema: Schema, table: str, old: str, new: str) -> Schema:
    t = schema.tables.get(table)
    if t is None or t.index(old) is None:
        raise UsageError(f"rename: no index {old!r} on table {table} of the old schema")
    head = f"INDEX {quote_ident(old)} ON "
    ixs = tuple(
        replace(
            i, name=new, definition=i.definition.replace(head, f"INDEX {quote_ident(new)} ON ", 1)
        )
        if i.name == old
        else i
        for i in t.indexes
    )
    t = replace(t, indexes=tuple(sorted(ixs, key=lambda i: i.name)))
    return replace(schema, tables={**schema.tables, table: t})


def _rekey(
    schema: Schema, exact: dict[str, str], prefixes: tuple[tuple[str, str], ...] = ()
) -> Schema:
    """The dependency edges under the new names: keys in `exact`, and keys by prefix."""
    if not schema.dependencies:
        return schema

    def fix(k: str) -> str:
        if k in exact:
            return exact[k]
        for a, b in prefixes:
            if k.startswith(a):
                return b + k[len(a) :]
        return k

    edges = {fix(k): tuple(sorted({fix(r) for r in v})) for k, v in schema.dependencies.items()}
    return replace(schema, dependencies=edges)


def _table_keys(old: str, new: str, moved: dict[str, str]) -> Callable[[Schema], Schema]:
    """Rename the keys of a table, of its parts, and of the relations `moved` with it."""
    parts = tuple(
        (f"{kind}:{old}.", f"{kind}:{new}.") for kind in ("col", "def", "con", "trg", "pol", "rule")
    )
    exact = {rel_key(old): rel_key(new)} | {rel_key(a): rel_key(b) for a, b in moved.items()}
    return lambda s: _rekey(s, exact, parts)


def _moved_with(schema: Schema, old: str, new: str) -> dict[str, str]:
    """The relations SET SCHEMA takes along with table `old` (qualified old -> new names):
    its indexes (a key's too) and the sequences its columns own or generate."""
    old_schema, new_schema = split_qualified(old)[0], split_qualified(new)[0]
    t = schema.tables.get(old)
    if t is None or old_schema == new_schema:
        return {}
    names = {i.name for i in t.indexes} | {c.index for c in t.constraints if c.index}
    out = {qualname(old_schema, n): qualname(new_schema, n) for n in names}
    owned = (
        k for k, s in schema.sequences.items() if s.owned_by and s.owned_by.startswith(old + ".")
    )
    identities = (c.identity.sequence for c in t.columns if c.identity and c.identity.sequence)
    for seq in (*owned, *identities):
        out[seq] = qualname(new_schema, split_qualified(seq)[-1])
    return out


def _member_keys(
    kinds: tuple[str, ...], tables: list[str], old: str, new: str
) -> Callable[[Schema], Schema]:
    """Rename the keys of a member (column, constraint) of some tables."""
    exact = {
        f"{kind}:{t}.{quote_ident(old)}": f"{kind}:{t}.{quote_ident(new)}"
        for kind in kinds
        for t in tables
    }
    return lambda s: _rekey(s, exact)


def _pin(schema: Schema, table: str, columns: Sequence[str] | None = None) -> Schema:
    t = schema.tables.get(table)
    if t is None:
        return schema
    return replace(schema, tables={**schema.tables, table: pin_not_null_names(t, columns)})


def apply_renames(
    old: Schema, renames: Sequence[Rename], *, server_version: int | None = None
) -> tuple[Schema, list[Change]]:
    """The old schema with the renames applied, and the rename changes themselves.

    Table renames go first; a column, constraint or index hint names its table
    by its old name (or its new one: both are understood). On PostgreSQL 18
    (`server_version`), NOT NULL constraints keep their names through renames.
    """
    named_not_null = (server_version or 0) >= 180000
    table_map: dict[str, str] = {}
    changes: list[Change] = []
    schema = old
    for r in sorted(renames, key=lambda r: _ORDER.index(r.kind)):
        if r.kind == "table":
            if named_not_null:
                schema = _pin(schema, r.old)
            moved = _moved_with(schema, r.old, r.new)
            schema = _table_keys(r.old, r.new, moved)(_rename_table(schema, r.old, r.new))
            table_map[r.old] = r.new
            changes.append(RenameTable(r.old, r.new))
            continue
        table, member = _member(r.old)
        table = table_map.get(table, table)
        _, new_member = _member(r.new)
        if r.kind == "column":
            if named_not_null:
                schema = _pin(schema, table, [member])
            tables = [table, *_children(schema, table)]
            schema = _rename_column(schema, table, member, new_member)
            schema = _member_keys(("col", "def"), tables, member, new_member)(schema)
            changes.append(RenameColumn(table, member, new_member))
        elif r.kind == "constraint":
            schema = _rename_constraint(schema, table, member, new_member)
            schema = _member_keys(("con",), [table], member, new_member)(schema)
            changes.append(RenameConstraint(table, member, new_member))
        else:
            schema = _rename_index(schema, table, member, new_member)
            at = schema_of(table)
            schema = _rekey(
                schema, {rel_key(qualname(at, member)): rel_key(qualname(at, new_member))}
            )
            changes.append(RenameIndex(table, member, new_member))
    return schema, changes
