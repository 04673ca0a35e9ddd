"""Renames: the hints that turn a drop and an add into a rename, and the candidates for them.

Renames are never guessed. `rename_candidates` reports a dropped and an added
table (or column) of compatible shape; a `Rename` hint, parsed from the CLI's
`A=B` by `parse_rename`, makes the differ emit a RENAME. `apply_renames`
returns the old schema as it will look once the renames ran (names, the
references to them in other objects, the definitions PostgreSQL will print),
so the rest of the diff compares like with like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from studio.changes import Change, RenameColumn, RenameConstraint, RenameIndex, RenameTable
from studio.changes.base import split_qualified
from studio.changes.casts import parse_type
from studio.diff.refs import (
    pin_not_null_names,
    rename_in_view,
    replace_ident,
    replace_qualified,
)
from studio.errors import UsageError
from studio.model import Column, Constraint, Privilege, Schema, Table, View, qualname, quote_ident

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

RenameKind = Literal["table", "column", "constraint", "index"]
_KINDS: tuple[RenameKind, ...] = ("table", "column", "constraint", "index")


@dataclass(frozen=True, slots=True)
class Rename:
    """A rename hint. `old`/`new` are `schema.table` for a table, `schema.table.name` otherwise."""

    kind: RenameKind
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.old}={self.new}"


@dataclass(frozen=True, slots=True)
class RenameCandidate:
    """A dropped and an added table or column that may be one object renamed."""

    kind: Literal["table", "column"]
    old: str
    new: str
    # share of the old table's columns found (same name and type) in the new one; 1.0 for columns
    score: float = 1.0

    @property
    def hint(self) -> str:
        """The `--rename` argument that accepts this candidate."""
        return f"{self.old}={self.new}"

    def rename(self) -> Rename:
        """The hint as a `Rename`."""
        return Rename(self.kind, self.old, self.new)


# --- parsing the CLI form ------------------------------------------------------


def _split_name(text: str) -> list[str]:
    """`a."B c".d` -> ['a', 'B c', 'd']: unquoted parts fold to lower case, as PostgreSQL does."""
    raw = text.strip()
    if not raw:
        raise UsageError(
            "empty name in --rename", "use --rename OLD=NEW, e.g. orders.status=orders.order_status"
        )
    parts = []
    for piece, value in zip(re.findall(r'"(?:[^"]|"")*"|[^."]+', raw), split_qualified(raw)):
        parts.append(value if piece.startswith('"') else value.strip().lower())
    if any(not p for p in parts) or len(parts) != raw.count(".") - _quoted_dots(raw) + 1:
        raise UsageError(
            f"malformed name {text!r} in --rename", "write [schema.]table or [schema.]table.column"
        )
    return parts


def _quoted_dots(raw: str) -> int:
    return sum(q.count(".") for q in re.findall(r'"(?:[^"]|"")*"', raw))


def _split_hint(text: str) -> tuple[str | None, str, str]:
    kind = None
    m = re.match(r"^(table|column|constraint|index):", text.strip())
    body = text.strip()
    if m:
        kind, body = m[1], body[m.end() :]
    # the first '=' outside double quotes
    in_quote = False
    for i, ch in enumerate(body):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "=" and not in_quote:
            return kind, body[:i], body[i + 1 :]
    raise UsageError(
        f"--rename {text!r} has no '='",
        "use --rename OLD=NEW, e.g. orders.status=orders.order_status",
    )


def _find(schema: Schema, parts: list[str], kinds: Sequence[str]) -> list[tuple[RenameKind, str]]:
    """Every object `parts` may name in `schema`: (kind, canonical name)."""
    found: list[tuple[RenameKind, str]] = []

    def tables_named(name: str, in_schema: str | None) -> list[Table]:
        return [
            t
            for t in schema.tables.values()
            if t.name == name and (in_schema is None or t.schema == in_schema)
        ]

    if len(parts) in (1, 2) and "table" in kinds:
        s, n = (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        found += [("table", t.key) for t in tables_named(n, s)]
    if len(parts) in (2, 3):
        s, tn, x = (None, parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[1], parts[2])
        for t in tables_named(tn, s):
            member = f"{t.key}.{quote_ident(x)}"
            if "column" in kinds and t.column(x):
                found.append(("column", member))
            if "constraint" in kinds and t.constraint(x):
                found.append(("constraint", member))
            if "index" in kinds and t.index(x):
                found.append(("index", member))
    return found


def parse_rename(text: str, old: Schema, new: Schema) -> Rename:
    """Parse `A=B` (`[schema.]table[.column]`, optionally prefixed `table:`, `column:`...).

    Raises:
        UsageError: A names nothing in the old schema, or more than one object;
            B names nothing in the new schema, or a different kind of object.
    """
    kind, a_text, b_text = _split_hint(text)
    kinds = (kind,) if kind else _KINDS
    a_parts = _split_name(a_text)
    matches = _find(old, a_parts, kinds)
    if not matches:
        raise UsageError(
            f"--rename {text}: {a_text.strip()!r} is not a table or column of the old schema",
            "name a table as [schema.]table and a column as [schema.]table.column",
        )
    if len(matches) > 1:
        options = ", ".join(f"{k} {n}" for k, n in matches)
        raise UsageError(
            f"--rename {text}: {a_text.strip()!r} is ambiguous ({options})",
            "write the fully qualified name (schema.table.column), or prefix the kind: column:A=B",
        )
    (found_kind, a_name) = matches[0]
    a_split = split_qualified(a_name)
    b_parts = _split_name(b_text)
    if found_kind == "table":
        if len(b_parts) > 2:
            raise UsageError(f"--rename {text}: a table's new name is [schema.]table")
        b_name = qualname(*(b_parts if len(b_parts) == 2 else [a_split[0], b_parts[0]]))
        exists = b_name in new.tables
    else:
        if len(b_parts) > 3:
            raise UsageError(f"--rename {text}: the new name is [schema.]table.{found_kind}")
        if len(b_parts) == 1:
            b_split = [*a_split[:2], b_parts[0]]
        elif len(b_parts) == 2:
            b_split = [a_split[0], *b_parts]
        else:
            b_split = b_parts
        table = new.tables.get(qualname(b_split[0], b_split[1]))
        b_name = f"{qualname(b_split[0], b_split[1])}.{quote_ident(b_split[2])}"
        getter = {"column": Table.column, "constraint": Table.constraint, "index": Table.index}[
            found_kind
        ]
        exists = table is not None and getter(table, b_split[2]) is not None
    if not exists:
        raise UsageError(
            f"--rename {text}: there is no {found_kind} {b_name} in the new schema",
            "B names the object in the new schema, in the same form as A",
        )
    if b_name == a_name:
        raise UsageError(f"--rename {text}: old and new names are the same")
    return Rename(found_kind, a_name, b_name)


# --- applying renames to the old schema ----------------------------------------


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
            t = replace(t, schema=new_schema, name=new_name)
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

    def fix_view(v: View) -> View:
        return replace(
            v,
            definition=text(v.definition) or "",
            depends_on=tuple(sorted(new if r == old else r for r in v.depends_on)),
            depends_on_columns=tuple(sorted(text(c) or "" for c in v.depends_on_columns)),
            indexes=tuple(replace(i, definition=text(i.definition) or "") for i in v.indexes),
            triggers=tuple(replace(g, definition=text(g.definition) or "") for g in v.triggers),
        )

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

    return replace(
        schema,
        tables=_map_tables(schema, fix),
        views={k: fix_view(v) for k, v in schema.views.items()},
        sequences={
            k: replace(s, owned_by=new_col) if s.owned_by == old_col else s
            for k, s in schema.sequences.items()
        },
        privileges=tuple(fix_privilege(p) for p in schema.privileges),
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
    for r in sorted(renames, key=lambda r: _KINDS.index(r.kind)):
        if r.kind == "table":
            if named_not_null:
                schema = _pin(schema, r.old)
            schema = _rename_table(schema, r.old, r.new)
            table_map[r.old] = r.new
            changes.append(RenameTable(r.old, r.new))
            continue
        table, member = _member(r.old)
        table = table_map.get(table, table)
        _, new_member = _member(r.new)
        if r.kind == "column":
            if named_not_null:
                schema = _pin(schema, table, [member])
            schema = _rename_column(schema, table, member, new_member)
            changes.append(RenameColumn(table, member, new_member))
        elif r.kind == "constraint":
            schema = _rename_constraint(schema, table, member, new_member)
            changes.append(RenameConstraint(table, member, new_member))
        else:
            schema = _rename_index(schema, table, member, new_member)
            changes.append(RenameIndex(table, member, new_member))
    return schema, changes


# --- candidates ------------------------------------------------------------------

_TEXTISH = {"character varying", "text", "character", "citext"}
_NUMERIC = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}
_TIME = {"timestamp without time zone", "timestamp with time zone", "date"}


def compatible_types(a: str, b: str, enums: set[str] | None = None) -> bool:
    """True when a column of type `a` could plausibly have become one of type `b`."""
    if a == b:
        return True
    ta, tb = parse_type(a), parse_type(b)
    if ta.dims != tb.dims:
        return False
    text_like = _TEXTISH | (enums or set())
    for family in (text_like, _NUMERIC, _TIME, {"json", "jsonb"}):
        if ta.base in family and tb.base in family:
            return True
    return ta.base == tb.base


def _signature(c: Column) -> tuple[str, str]:
    return (c.name, c.type)


def rename_candidates(
    old: Schema, new: Schema, renames: Sequence[Rename] = ()
) -> list[RenameCandidate]:
    """Dropped/added pairs that look like renames: tables sharing most columns, columns of compatible type."""
    base, _ = apply_renames(old, renames)
    out: list[RenameCandidate] = []
    dropped = [t for k, t in sorted(base.tables.items()) if k not in new.tables]
    added = [t for k, t in sorted(new.tables.items()) if k not in base.tables]
    for d in dropped:
        sig = {_signature(c) for c in d.columns}
        for a in added:
            if not sig:
                continue
            score = len(sig & {_signature(c) for c in a.columns}) / max(len(sig), len(a.columns))
            if score >= 0.5:
                out.append(RenameCandidate("table", d.key, a.key, round(score, 2)))
    enums = set(base.enums) | set(new.enums)
    for key in sorted(set(base.tables) & set(new.tables)):
        t_old, t_new = base.tables[key], new.tables[key]
        gone = [c for c in t_old.columns if t_new.column(c.name) is None]
        came = [c for c in t_new.columns if t_old.column(c.name) is None]
        for g in gone:
            for c in came:
                if compatible_types(g.type, c.type, enums):
                    out.append(
                        RenameCandidate(
                            "column", f"{key}.{quote_ident(g.name)}", f"{key}.{quote_ident(c.name)}"
                        )
                    )
    return out


__all__ = [
    "Rename",
    "RenameCandidate",
    "apply_renames",
    "compatible_types",
    "parse_rename",
    "rename_candidates",
]
