"""The zero-setup demo: an embedded cluster, a scratch project and a database with data.

`schema-studio demo` works from any folder after `pip install`: it starts the
embedded PostgreSQL, writes a scratch workspace (a temp folder holding the
first of the demo's migrations and a config declaring the full demo schema,
so there is something to review), creates a database at that first
migration, fills it with enough rows for sizes and estimates to mean
something, and starts a small writer that plays the application.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio import config
from studio.catalog import connect as db
from studio.commands.migrate import migrate
from studio.errors import translate
from studio.migrations import files as migrations
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster

if TYPE_CHECKING:
    from studio.sources.devdb.cluster import Cluster

DEMO_MIGRATIONS = Path(__file__).parent / "migrations"
DEMO_SCHEMA = "studio.demo.models:metadata"
CLUSTER = "demo"
DATABASE = "schema_studio_demo"
USERS = 10_000
ORDERS = 120_000

_PYPROJECT = """\
# A scratch project made by `schema-studio demo`; deleted when the demo ends.
[tool.schema-studio]
schema = "{schema}"
migrations = "migrations"
"""

# The quick-start shape at its first migration, with data.
SEED_SQL = f"""
INSERT INTO public.users (email, name, created_at)
SELECT 'user' || g || '@example.com', 'User ' || g, now() - g * interval '7 minutes'
FROM generate_series(1, {USERS}) AS g;
INSERT INTO public.orders (user_id, total, status, created_at)
SELECT 1 + (g * 7919) % {USERS}, (g * 37) % 50000,
       (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       now() - g * interval '13 seconds'
FROM generate_series(1, {ORDERS}) AS g;
ANALYZE public.users;
ANALYZE public.orders;
"""


@dataclass(frozen=True, slots=True)
class Demo:
    """A running demo: where its project lives and which database it targets."""

    workspace: Path
    url: str
    settings: config.Settings
    cluster: Cluster


def first_migration() -> migrations.Migration:
    """The oldest of the demo's migrations: the state the demo database starts at."""
    return migrations.load_directory(DEMO_MIGRATIONS)[0]


def make_workspace(parent: Path | None = None) -> Path:
    """A scratch project: the first demo migration and a config declaring the full demo schema."""
    workspace = Path(tempfile.mkdtemp(prefix="schema-studio-demo-", dir=parent))
    target = workspace / "migrations"
    target.mkdir()
    first = first_migration()
    for path in (first.path, first.down_path):
        if path is not None and path.exists():
            shutil.copy2(path, target / path.name)
    migrations.write_sum(target)
    (workspace / "pyproject.toml").write_text(_PYPROJECT.format(schema=DEMO_SCHEMA))
    return workspace


async def create_database(cluster: Cluster, settings: config.Settings, name: str = DATABASE) -> str:
    """A fresh demo database at the first migration, filled with users and orders."""
    await cluster.drop_database(name)
    url = await cluster.create_database(name)
    # the migrate use case, up to the first migration: the rest is left for the studio to apply
    await migrate(config.with_overrides(settings, db_override=url), to=first_migration().version)
    conn = await db.connect(url)
    try:
        with translate("demo database"):
            await conn.execute(SEED_SQL)
    finally:
        await conn.close()
    return url


async def ensure_database(cluster: Cluster, settings: config.Settings, name: str = DATABASE) -> str:
    """The persistent demo database of a repository clone: created once, then reused as it is."""
    conn = await cluster.connect()
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await conn.close()
    if exists:
        return cluster.url(name)
    return await create_database(cluster, settings, name)


async def start(*, rows: bool = True) -> Demo:
    """Start the embedded cluster, write the scratch project and create the demo database."""

    binaries = find_binaries(None)
    cluster = await asyncio.to_thread(Cluster.ensure, f"{CLUSTER}-pg{binaries.major}", binaries)
    workspace = make_workspace()
    try:
        settings = config.load(workspace)
        url = await create_database(cluster, settings)
    except BaseException:
        stop(Demo(workspace, "", config.Settings(), cluster), keep=False)
        raise
    return Demo(workspace, url, config.with_overrides(settings, db_override=url), cluster)


def stop(demo: Demo, *, keep: bool) -> None:
    """Delete the scratch project and stop the cluster (unless `keep`)."""
    shutil.rmtree(demo.workspace, ignore_errors=True)
    if not keep:
        demo.cluster.stop()
