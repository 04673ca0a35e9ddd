"""Which objects a stretch of DDL made: the highest oid so far, and every object by oid.

PostgreSQL hands out oids from one counter that only grows (until it wraps
around at 2^32, which a dev database does not live to see), so an object
made after a mark has an oid above it. `last_oid` marks where one part of a
composite declared schema ends; `object_oids` names every object by its
dependency key (studio.model.keys) with its oid, to sort them into parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from studio.catalog import queries
from studio.model import qualname
from studio.model.keys import con_key, ext_key, fn_key, nsp_key, pol_key, rel_key, trg_key, type_key

if TYPE_CHECKING:
    import asyncpg

# the highest oid of each catalog whose rows the model names (each read by index)
_LAST_OID = "SELECT GREATEST({})".format(
    ", ".join(
        f"(SELECT max(oid) FROM pg_catalog.{c})"
        for c in (
            "pg_class",
            "pg_proc",
            "pg_type",
            "pg_trigger",
            "pg_policy",
            "pg_constraint",
            "pg_namespace",
            "pg_extension",
        )
    )
)


async def last_oid(conn: asyncpg.Connection) -> int:
    """The highest oid of an object the model names, in the database `conn` is connected to."""
    return int(await conn.fetchval(_LAST_OID) or 0)


class Made(NamedTuple):
    """An object of the database: its dependency key, oid and schema (None: database-wide)."""

    key: str
    oid: int
    schema: str | None


async def object_oids(conn: asyncpg.Connection) -> list[Made]:
    """Every object of the database that its own DDL made (oid 16384 and above)."""
    async with conn.transaction(readonly=True):
        # function arguments print as functions.sql prints them: every type qualified
        await conn.execute("SELECT pg_catalog.set_config('search_path', '', true)")
        rows = await conn.fetch(queries.get("object_oids"))
    return [Made(_key(r), int(r["oid"]), _schema(r)) for r in rows]


def _schema(r: asyncpg.Record) -> str | None:
    """The schema an object lives in; an extension's is where it put its objects, not its own."""
    if r["class"] == "e":
        return None
    if r["class"] == "n":
        return str(r["name"])
    return str(r["schema"] or r["tschema"])


def _key(r: asyncpg.Record) -> str:
    cls = r["class"]
    if cls == "c":
        return rel_key(qualname(r["schema"], r["name"]))
    if cls == "y":
        return type_key(qualname(r["schema"], r["name"]))
    if cls == "f":
        return fn_key(f"{qualname(r['schema'], r['name'])}({r['arguments']})")
    if cls == "n":
        return nsp_key(r["name"])
    if cls == "e":
        return ext_key(r["name"])
    table = qualname(r["tschema"], r["tname"])
    return {"t": trg_key, "p": pol_key, "k": con_key}[cls](table, r["name"])
