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
import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio import config
from studio.catalog import connect as db
from studio.commands.migrate import migrate
from studio.errors import DevDbError, translate
from studio.migrations import files as migrations
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster, discard
from studio.sources.devdb.lease import dev_cluster_home, discard_dev_cluster
from studio.sources.devdb.placement import clusters_root

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
    # the dev cluster's folder when the demo made it (it was not there before): the demo's
    # to delete when it ends
    made_dev_cluster: Path | None = None


@dataclass(frozen=True, slots=True)
class Cleanup:
    """What `stop` deleted (what each was, and where), and what it left and why (one line each)."""

    deleted: tuple[tuple[str, Path], ...]
    left: tuple[str, ...] = ()


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


async def create_database(
    cluster: Cluster, settings: config.Settings, name: str = DATABASE, *, rows: bool = True
) -> str:
    """A fresh demo database at the first migration, filled with users and orders (`rows`)."""
    await cluster.drop_database(name)
    url = await cluster.create_database(name)
    # the migrate use case, up to the first migration: the rest is left for the studio to apply
    await migrate(config.with_overrides(settings, db_override=url), to=first_migration().version)
    if not rows:
        return url
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


def run_cluster_name(major: int, pid: int | None = None) -> str:
    """The cluster of one `schema-studio demo` run: its own, so it can be deleted at the end.

    (`demo-pg<major>` is the persistent one a repository clone's studio opens.)
    """
    return f"{CLUSTER}-run{pid or os.getpid()}-pg{major}"


_RUN_CLUSTER = re.compile(rf"^{CLUSTER}-run(?P<pid>\d+)-pg\d+$")


def _sweep_abandoned() -> None:
    """Delete the clusters of demo runs whose process is gone (killed before cleaning up)."""
    for home in clusters_root().glob(f"{CLUSTER}-run*-pg*"):
        m = _RUN_CLUSTER.match(home.name)
        if m is None or not home.is_dir() or _alive(int(m["pid"])):
            continue
        with contextlib.suppress(DevDbError):
            discard(home.name, home.parent)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's
    return True


async def start(*, rows: bool = True) -> Demo:
    """Start the demo's own embedded cluster, write the scratch project, create the database.

    `rows`: fill it with users and orders (tests of the demo's setup go without).
    """
    binaries = find_binaries(None)
    await asyncio.to_thread(_sweep_abandoned)
    dev_home = dev_cluster_home(binaries.major)
    made_dev = None if (dev_home / "cluster.json").exists() else dev_home
    name = run_cluster_name(binaries.major)
    cluster = await asyncio.to_thread(Cluster.ensure, name, binaries)
    workspace = make_workspace()
    try:
        settings = config.load(workspace)
        url = await create_database(cluster, settings, rows=rows)
    except BaseException:
        stop(Demo(workspace, "", config.Settings(), cluster, made_dev), keep=False)
        raise
    settings = config.with_overrides(settings, db_override=url)
    return Demo(workspace, url, settings, cluster, made_dev)


def stop(demo: Demo, *, keep: bool) -> Cleanup:
    """Delete what the demo made: the scratch project, and unless `keep` its cluster (stopped
    and deleted) and the dev cluster when the demo made it and no other process uses it."""
    deleted = [("the scratch project", demo.workspace)]
    left: list[str] = []
    shutil.rmtree(demo.workspace, ignore_errors=True)
    if keep:
        left.append(f"the demo cluster (--keep): {demo.cluster.home}")
        if demo.made_dev_cluster is not None:
            left.append(f"the dev cluster (--keep): {demo.made_dev_cluster}")
        return Cleanup(tuple(deleted), tuple(left))
    demo.cluster.destroy()
    deleted.append(("the demo's PostgreSQL cluster", demo.cluster.home))
    if demo.cluster.socket_dir != demo.cluster.home:
        with contextlib.suppress(OSError):  # a socket folder of its own (a long home path)
            demo.cluster.socket_dir.rmdir()
    if demo.made_dev_cluster is not None:
        if discard_dev_cluster(demo.cluster.major):
            deleted.append(("the dev cluster it started", demo.made_dev_cluster))
        else:
            left.append(f"the dev cluster, in use by another process: {demo.made_dev_cluster}")
    return Cleanup(tuple(deleted), tuple(left))
