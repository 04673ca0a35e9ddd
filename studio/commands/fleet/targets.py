"""The fleet's targets: found from `[tool.schema-studio.fleet]`, each with its own settings.

`targets` names environment variables holding URLs; `discover` is a query
run on the configured database, returning database names on that server
(the configured URL pointed at each) or URLs; `schemas` is a query returning
schema names, for a schema-per-tenant layout. A tenant schema is migrated on
the configured database with `search_path` set to the tenant (then
`public`), so the migrations' unqualified names land in it, and it keeps its
own history (and migration lock) in the schema `<history schema>_<tenant>`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from studio.catalog import connect as db
from studio.config import mask_dsn, split_table_name, with_overrides
from studio.errors import DatabaseError, UsageError, translate
from studio.model import NAMEDATALEN, quote_ident

if TYPE_CHECKING:
    from studio.config import FleetConfig, Settings

# where the migrations' replay builds what they create without naming a schema
TEMPLATE_SCHEMA = "public"


@dataclass(frozen=True, slots=True)
class FleetTarget:
    """One database (or tenant schema) of the fleet."""

    # the environment variable's name, the database's name, or the tenant schema's name
    name: str
    # never shown as it is: `where` masks it
    url: str = dataclasses.field(repr=False)
    # schema-per-tenant: the tenant's schema (None: the whole database)
    schema: str | None = None

    @property
    def where(self) -> str:
        """The target's URL, masked (for messages)."""
        return mask_dsn(self.url)


def fleet_of(settings: Settings) -> FleetConfig:
    """The fleet configuration; a UsageError when the project has none."""
    if settings.fleet is None:
        raise UsageError(
            "no fleet configured: --fleet needs [tool.schema-studio.fleet] in pyproject.toml",
            'name the targets: targets = ["TENANT_A_URL", ...] (environment variables),'
            ' discover = "SELECT datname FROM pg_database WHERE ...", or schemas = "SELECT ..."',
        )
    return settings.fleet


async def fleet_targets(settings: Settings) -> tuple[FleetTarget, ...]:
    """The fleet's targets, in the order configured (or returned by the query)."""
    fleet = fleet_of(settings)
    if fleet.targets:
        found = tuple(FleetTarget(name, _from_environment(name)) for name in fleet.targets)
    else:
        base = settings.database_url()
        assert base is not None
        query = fleet.discover or fleet.schemas
        assert query is not None
        values = await _query(settings, base, query, fleet.mode)
        if fleet.schemas:
            found = tuple(_tenant(settings, base, name) for name in values)
        else:
            found = tuple(_discovered(base, value) for value in values)
    _refuse_duplicates(found)
    return found


def target_settings(settings: Settings, target: FleetTarget) -> Settings:
    """`settings` pointed at one target: its URL; a tenant's schema and own history table."""
    if target.schema is None:
        return with_overrides(settings, db_override=target.url)
    return with_overrides(
        settings,
        db_override=target.url,
        schemas=(target.schema,),
        exclude_schemas=(),
        history_table=tenant_history(settings, target.schema),
    )


def tenant_history(settings: Settings, tenant: str) -> str:
    """A tenant's own history table: `<history schema>_<tenant>.<history table>`."""
    schema, table = split_table_name(settings.history_table)
    return f"{schema}_{tenant}.{table}"


def _from_environment(name: str) -> str:
    url = os.environ.get(name, "").strip()
    if not url:
        raise UsageError(
            f"fleet target {name} is not set: export {name}=postgresql://user@host/dbname",
            "each name in [tool.schema-studio.fleet] targets is an environment variable"
            " holding that target's URL",
        )
    return url


async def _query(settings: Settings, url: str, query: str, mode: str) -> list[str]:
    """The first column of each row the fleet's query returns on the configured database."""
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            rows = await conn.fetch(query)
    except DatabaseError as e:
        raise UsageError(
            f"the fleet's {mode} query failed: {e.message}",
            f"fix `{mode}` in [tool.schema-studio.fleet]",
        ) from None
    finally:
        await conn.close()
    values = [str(r[0]).strip() for r in rows if len(r) and r[0] is not None]
    values = [v for v in values if v]
    if not values:
        raise UsageError(
            f"the fleet's {mode} query returned no target on {mask_dsn(url)}",
            f"check `{mode}` in [tool.schema-studio.fleet]",
        )
    return list(dict.fromkeys(values))


def _discovered(base: str, value: str) -> FleetTarget:
    """A database name (on the configured server) or a URL the discover query returned."""
    if value.startswith(("postgresql://", "postgres://")):
        path = value.partition("://")[2].partition("/")[2]
        name = path.partition("?")[0] or mask_dsn(value)
        return FleetTarget(name, value)
    return FleetTarget(value, with_database(base, value))


def _tenant(settings: Settings, base: str, schema: str) -> FleetTarget:
    """A tenant schema of the configured database, its search_path set to it."""
    if "." in schema:
        raise UsageError(
            f"tenant schema {schema!r} holds a dot: its history table could not be named",
            "schema-per-tenant fleets need schema names without dots",
        )
    history_schema = tenant_history(settings, schema).rpartition(".")[0]
    if len(history_schema.encode()) >= NAMEDATALEN:
        raise UsageError(
            f"tenant schema {schema!r} is too long for its history schema"
            f" {history_schema!r} ({NAMEDATALEN - 1} bytes at most)",
            "shorten history_table's schema name, or the tenant's",
        )
    path = quote(f"{quote_ident(schema)}, {TEMPLATE_SCHEMA}", safe="")
    sep = "&" if "?" in base else "?"
    return FleetTarget(schema, f"{base}{sep}search_path={path}", schema)


def with_database(url: str, name: str) -> str:
    """`url` pointed at database `name` on the same server: user, host, port, parameters kept."""
    head, sep, rest = url.partition("://")
    at = rest.rfind("@")
    userinfo, server = rest[: at + 1], rest[at + 1 :]
    server, _, query = server.partition("?")
    host = server.partition("/")[0]
    return f"{head}{sep}{userinfo}{host}/{quote(name, safe='')}" + (f"?{query}" if query else "")


def _refuse_duplicates(targets: tuple[FleetTarget, ...]) -> None:
    """Two targets on one database (or tenant): they would take each other's migration lock."""
    seen: dict[str, str] = {}
    for t in targets:
        if (first := seen.get(t.url)) is not None:
            raise UsageError(
                f"fleet targets {first} and {t.name} are the same target ({t.where})",
                "list each database (or schema) once",
            )
        seen[t.url] = t.name
