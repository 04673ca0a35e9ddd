"""A studio workspace on a real database: the quick-start users/orders at an older migration.

Shared by the studio's tests, its snapshot tests, `screenshots/make.py` and
`bench/tui.py`:

- `migrations/` holds the repository's first migration (create users and
  orders) and a second one (orders.shipped_at and an index on users), with
  fixed versions so screenshots are stable;
- the database has only the first applied, and rows in both tables;
- the declared schema (`declared.sql`) is one step ahead of the migrations:
  orders.status (varchar) becomes orders.order_status (an enum) — a rename
  candidate — and orders gets an index on (user_id, created_at).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from studio.config import Settings, load
from studio.migrations import files as migrations
from studio.run import runner

REPO = Path(__file__).resolve().parents[2]
FIRST = "20261128035950"
SECOND = "20261130090000"

SECOND_SQL = migrations.render_migration(
    SECOND,
    [
        migrations.StepSpec(
            ("ALTER TABLE public.orders ADD COLUMN shipped_at timestamp without time zone",),
            ("add column public.orders.shipped_at timestamp without time zone",),
        ),
        migrations.StepSpec(
            ("CREATE INDEX users_created_at_idx ON public.users USING btree (created_at)",),
            ("create index users_created_at_idx on public.users",),
        ),
    ],
    description=("ship dates and a users index",),
)
SECOND_DOWN = migrations.render_migration(
    SECOND,
    [
        migrations.StepSpec(("DROP INDEX public.users_created_at_idx",), ("drop index",)),
        migrations.StepSpec(
            ("ALTER TABLE public.orders DROP COLUMN shipped_at",), ("drop column",)
        ),
    ],
    description=("ship dates and a users index (down)",),
)

# One step ahead of the migrations: the status column becomes an enum, and a new index.
AHEAD_SQL = """
CREATE TYPE public.order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');
ALTER TABLE public.orders DROP COLUMN status;
ALTER TABLE public.orders ADD COLUMN order_status public.order_status DEFAULT 'pending';
CREATE INDEX orders_user_id_created_at_idx ON public.orders (user_id, created_at);
"""


@dataclass(frozen=True, slots=True)
class Workspace:
    """A project folder and the settings that open the studio on it."""

    root: Path
    settings: Settings

    @property
    def url(self) -> str:
        url = self.settings.database_url()
        assert url is not None
        return url


def make_workspace(
    root: Path, db_url: str, dev_url: str | None = None, **overrides: object
) -> Workspace:
    """Write the project folder: pyproject.toml, migrations/ (two), declared.sql (one ahead)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "declared.sql"\nmigrations = "migrations"\n'
    )
    mdir = root / "migrations"
    mdir.mkdir(exist_ok=True)
    for path in (REPO / "migrations").glob(f"{FIRST}_*.sql"):
        shutil.copy(path, mdir / path.name)
    (mdir / f"{SECOND}_ship_dates.sql").write_text(SECOND_SQL)
    (mdir / f"{SECOND}_ship_dates.down.sql").write_text(SECOND_DOWN)
    migrations.write_sum(mdir)
    first = next(mdir.glob(f"{FIRST}_*[!n].sql")).read_text()
    (root / "declared.sql").write_text(first + "\n" + SECOND_SQL + "\n" + AHEAD_SQL)
    settings = load(root, db_override=db_url, dev_url=dev_url, **overrides)
    return Workspace(root, settings)


async def prepare_database(ws: Workspace, *, users: int = 500, orders: int = 5000) -> None:
    """Apply the first migration only, then fill users and orders."""
    ms = migrations.load_directory(ws.settings.migrations_dir)
    await runner.apply(ws.url, ws.settings, ms, to=FIRST)
    conn = await asyncpg.connect(ws.url)
    try:
        await conn.execute(
            """
            INSERT INTO users (email, name, created_at)
            SELECT 'user' || g || '@example.com', 'User ' || g,
                   timestamp '2026-01-01' + g * interval '1 minute'
            FROM generate_series(1, $1) g
            """,
            users,
        )
        await conn.execute(
            """
            INSERT INTO orders (user_id, total, status, created_at)
            SELECT 1 + (g % $2), (g * 37) % 10000,
                   (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
                   timestamp '2026-01-01' + g * interval '1 second'
            FROM generate_series(1, $1) g
            """,
            orders,
            users,
        )
        await conn.execute("ANALYZE users; ANALYZE orders")
    finally:
        await conn.close()
