"""Renames: the hints that turn a drop and an add into a rename, and the candidates for them.

Renames are never guessed. `rename_candidates` reports a dropped and an added
table (or column) of compatible shape; a `Rename` hint, parsed from the CLI's
`A=B` by `parse_rename`, makes the differ emit a RENAME; `studio.diff.renaming`
then rewrites the old schema as it will look once the renames ran, so the rest
of the diff compares like with like.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from studio.diff.renaming import apply_renames
from studio.errors import UsageError
from studio.model import Column, Schema, Table, qualname, quote_ident
from studio.model.changes.base import split_qualified
from studio.model.changes.casts import parse_type

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    # tables: the share of the old table's columns found (same name and type) in the new one;
    # columns: how alike the two are (type, default, nullability, name), to rank them
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
    pieces = re.findall(r'"(?:[^"]|"")*"|[^."]+', raw)
    # not strict: on a malformed name (`a..b`) the counts differ, and the check below says so
    for piece, value in zip(pieces, split_qualified(raw), strict=False):
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
    """Dropped/added pairs that look like renames.

    Tables sharing most columns, columns of compatible type.
    """

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
        old_names = {c.name for c in t_old.columns}
        new_names = {c.name for c in t_new.columns}
        if old_names == new_names:
            continue  # no column dropped or added: the common case, kept to set lookups
        gone = [c for c in t_old.columns if c.name not in new_names]
        came = [c for c in t_new.columns if c.name not in old_names]
        for g in gone:
            found = [
                RenameCandidate(
                    "column",
                    f"{key}.{quote_ident(g.name)}",
                    f"{key}.{quote_ident(c.name)}",
                    _column_likeness(g, c),
                )
                for c in came
                if compatible_types(g.type, c.type, enums)
            ]
            out += sorted(found, key=lambda r: -r.score)  # the likeliest first (stable on ties)
    return out


def _column_likeness(old: Column, new: Column) -> float:
    """How alike a dropped and an added column are, 0..1: type, default, nullability, name."""
    name = difflib.SequenceMatcher(None, old.name, new.name).ratio()
    score = (
        0.4 * (old.type == new.type)
        + 0.2 * (old.default == new.default)
        + 0.1 * (old.not_null == new.not_null)
        + 0.3 * name
    )
    return round(score, 2)


__all__ = [
    "Rename",
    "RenameCandidate",
    "compatible_types",
    "parse_rename",
    "rename_candidates",
]
