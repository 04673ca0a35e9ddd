"""Representative rows for a lock trace: N synthetic rows in each table the traced steps touch.

Values come from each column's type with `generate_series` (`g` = 1..N): an
integer column gets `g`, a text column `'v' || g`, a uuid `md5(g)`, and so on,
so keys are unique and a foreign key column (same function of `g` on both
sides) always finds its referenced row, once the referenced table is filled
too (the tables foreign keys reference are filled with the others). Only in
the throwaway database: foreign-key and user triggers are turned off for the
load when the role may (`session_replication_role = replica`); otherwise
tables are filled again until every one that can be is (a referenced table
first). A table that already has rows is left as it is; a column whose type
has no generator is left to its default (or NULL), and a NOT NULL column
without one leaves its table empty, said in a note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from studio.catalog import queries


@dataclass(frozen=True, slots=True)
class Column:
    """What a generator needs to know of a column."""

    name: str  # quoted
    type: str  # format_type, the domain itself for a domain column
    base_type: str  # a domain's base type, else the type
    typtype: str  # pg_type.typtype of the base type ('e': enum)
    category: str  # pg_type.typcategory of the base type ('A': array)
    not_null: bool = False
    has_default: bool = False
    identity: str = ""
    generated: str = ""
    sequence: str | None = None


_FIXED = {
    "smallint": "(g % 32767)::smallint",
    "integer": "g::integer",
    "bigint": "g",
    "real": "g::real",
    "double precision": "g::double precision",
    "boolean": "(g % 2 = 0)",
    "uuid": "md5(g::text)::uuid",
    "date": "(DATE '2000-01-01' + (g % 36500)::integer)",
    "timestamp without time zone": "(TIMESTAMP '2000-01-01' + make_interval(secs => g))",
    "timestamp with time zone": "(TIMESTAMPTZ '2000-01-01 00:00+00' + make_interval(secs => g))",
    "time without time zone": "(TIME '00:00' + make_interval(secs => g % 86400))",
    "interval": "make_interval(secs => g)",
    "json": "'{}'::json",
    "jsonb": "'{}'::jsonb",
    "bytea": "'\\x00'::bytea",
    "inet": "'10.0.0.1'::inet",
    "cidr": "'10.0.0.0/8'::cidr",
    "money": "g::numeric::money",
    "text": "('v' || g)",
    '"char"': "'v'::\"char\"",
}
_MODS = re.compile(r"\(([0-9, ]+)\)")


def value_sql(col: Column) -> str | None:
    """An expression of `g` giving this column a valid, distinct value, or None if none does."""
    if col.typtype == "e":
        return f"(enum_range(NULL::{col.type}))[1]"
    if col.category == "A":
        return f"'{{}}'::{col.type}"
    m = _MODS.search(col.base_type)
    mods = [int(x) for x in m[1].replace(" ", "").split(",")] if m else []
    plain = _MODS.sub("", col.base_type)  # timestamp(3) with time zone -> timestamp with time zone
    if plain in ("character varying", "character"):
        expr: str | None = f"left('v' || g, {mods[0]})" if mods else "('v' || g)"
    elif plain == "numeric":
        digits = mods[0] - (mods[1] if len(mods) > 1 else 0) if mods else 18
        expr = f"(g % {10**digits})" if digits > 0 else "0"
    else:
        expr = _FIXED.get(plain)
    return None if expr is None else f"({expr})::{col.type}"


def insert_sql(table: str, columns: Sequence[Column]) -> tuple[str, str | None]:
    """The INSERT of `$1` synthetic rows into `table`, or why there is none."""
    names, values = [], []
    for col in columns:
        if col.generated:
            continue
        expr = value_sql(col)
        if expr is None:
            if col.not_null and not col.has_default:
                return "", f"no generator for NOT NULL column {col.name} ({col.type})"
            continue
        names.append(col.name)
        values.append(expr)
    if not names:
        return f"INSERT INTO {table} SELECT FROM generate_series(1, $1::bigint) AS s(g)", None
    overriding = " OVERRIDING SYSTEM VALUE" if any(c.identity for c in columns) else ""
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}){overriding} "
        f"SELECT {', '.join(values)} FROM generate_series(1, $1::bigint) AS s(g)"
    )
    return sql, None


async def fill(conn: asyncpg.Connection, tables: Sequence[str], rows: int) -> list[str]:
    """Put `rows` synthetic rows in each of `tables` (and those they reference); notes on it."""
    oids = [o for o in [await conn.fetchval("SELECT to_regclass($1)::oid", t) for t in tables] if o]
    if not oids or rows <= 0:
        return []
    by_table: dict[str, list[Column]] = {}
    for r in await conn.fetch(queries.get("trace_columns"), oids):
        col = Column(
            r["column_name"], r["type"], r["base_type"], r["typtype"], r["category"],
            r["not_null"], r["has_default"], r["identity"], r["generated"], r["sequence"],
        )  # fmt: skip
        by_table.setdefault(r["table_name"], []).append(col)
    notes: list[str] = []
    todo: dict[str, str] = {}
    for table, cols in by_table.items():
        if await conn.fetchval(f"SELECT EXISTS (SELECT FROM {table})"):
            notes.append(f"{table} already has rows: left as it is")
            continue
        sql, why = insert_sql(table, cols)
        if why is not None:
            notes.append(f"{table} left empty: {why}")
        else:
            todo[table] = sql
    replica = await _replica(conn)
    errors: dict[str, str] = {}
    done: list[str] = []
    while todo:
        progress = False
        for table, sql in list(todo.items()):
            try:
                async with conn.transaction():
                    await conn.execute(sql, rows)
            except asyncpg.PostgresError as e:
                errors[table] = str(e).splitlines()[0]
                continue
            del todo[table]
            done.append(table)
            progress = True
        if not progress or replica:
            break
    if replica:
        await conn.execute("SET session_replication_role = DEFAULT")
    for table in done:
        for col in by_table[table]:
            if col.sequence:
                await conn.execute("SELECT setval($1::regclass, $2)", col.sequence, rows)
        await conn.execute(f"ANALYZE {table}")
    if done:
        notes.insert(0, f"{rows:,} synthetic rows in {', '.join(done)}")
    notes += [f"{t} left empty: {errors.get(t, 'not filled')}" for t in todo]
    return notes


async def _replica(conn: asyncpg.Connection) -> bool:
    """Turn off foreign-key and user triggers for this session, if the role may."""
    try:
        await conn.execute("SET session_replication_role = replica")
    except asyncpg.PostgresError:
        return False
    return True
