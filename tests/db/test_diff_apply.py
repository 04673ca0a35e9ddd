"""The diff against real PostgreSQL: for every change kind, old and new schemas as SQL,
the expected script, then the script applied to the old database must introspect
equal to the new one.

Golden cases live in tests/cases/<name>/: before.sql, after.sql, expected.sql
(or expected.pg<major>.sql where servers print differently) and an optional
case.toml (`renames = [...]`, `with_privileges = true`, `min_major = 18`).
A new case is a folder. STUDIO_UPDATE_GOLDEN=1 rewrites the expected files.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _diff_support import (
    apply,
    assert_converged,
    connect,
    database,
    differences,
    dump_differences,
    paired,
    schema_dump,
)

from studio.catalog.introspect import introspect
from studio.diff import diff, parse_rename, rename_candidates
from studio.diff.order import render_script
from studio.model import Schema
from studio.model import changes as ch
from studio.plan.planner import inverses
from studio.sources.devdb.binaries import find_binaries

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.sources.devdb.cluster import Cluster

CASES = Path(__file__).parent.parent / "cases"
FIXTURES = Path(__file__).parent.parent / "fixtures"
UPDATE = os.environ.get("STUDIO_UPDATE_GOLDEN") == "1"


def _cases() -> list[Any]:
    return [
        pytest.param(p, id=p.name) for p in sorted(CASES.iterdir()) if (p / "before.sql").exists()
    ]


def _options(case: Path) -> dict[str, Any]:
    path = case / "case.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


def _expected_path(case: Path, major: int, *, own: bool = True) -> Path:
    """The script expected from a server of `major`: its own file, else the nearest newer
    major's (what PostgreSQL prints changes with versions: 14 prints as 15), else expected.sql."""
    files = {int(p.stem.removeprefix("expected.pg")): p for p in case.glob("expected.pg*.sql")}
    newer = sorted(m for m in files if m > major or (own and m == major))
    return files[newer[0]] if newer else case / "expected.sql"


@pytest.mark.parametrize("case", _cases())
async def test_golden_case(case: Path, pg: Cluster, db_url: str) -> None:
    opts = _options(case)
    if pg.major < opts.get("min_major", 0):
        pytest.skip(f"needs PostgreSQL {opts['min_major']}+")
    conn = await connect(db_url)
    try:
        before = (case / "before.sql").read_text()
        if before.strip():
            await conn.execute(before)
        result = await paired(
            conn, pg, (case / "after.sql").read_text(), opts.get("renames", ()),
            with_privileges=opts.get("with_privileges", False),
        )  # fmt: skip
    finally:
        await conn.close()
    script = render_script(result.changes)
    expected = _expected_path(case, pg.major)
    if UPDATE:
        # the embedded server writes expected.sql; another one only what it prints differently
        # from the file it would fall back to
        base, own = case / "expected.sql", case / f"expected.pg{pg.major}.sql"
        fallback = _expected_path(case, pg.major, own=False)
        if pg.binaries.source == "embedded":
            base.write_text(script)
        elif fallback.exists() and fallback.read_text() == script:
            own.unlink(missing_ok=True)
        else:
            own.write_text(script)
    else:
        assert script == expected.read_text(), f"{case.name}: script differs from {expected.name}"
    assert_converged(result)


def _reversed(renames: Sequence[str]) -> list[str]:
    """Rename hints for the way back: `a.b=a.c` becomes `a.c=a.b` (a kind prefix stays)."""
    out = []
    for hint in renames:
        kind, colon, pair = hint.rpartition(":") if ":" in hint else ("", "", hint)
        old, _, new = pair.partition("=")
        out.append(f"{kind}{colon}{new}={old}")
    return out


@pytest.mark.parametrize("case", _cases())
async def test_golden_case_reversed(case: Path, pg: Cluster, db_url: str) -> None:
    """The way back: after.sql migrated to before.sql converges too (no script is pinned)."""
    opts = _options(case)
    if pg.major < opts.get("min_major", 0):
        pytest.skip(f"needs PostgreSQL {opts['min_major']}+")
    conn = await connect(db_url)
    try:
        after = (case / "after.sql").read_text()
        if after.strip():
            await conn.execute(after)
        result = await paired(
            conn, pg, (case / "before.sql").read_text(), _reversed(opts.get("renames", ())),
            with_privileges=opts.get("with_privileges", False),
        )  # fmt: skip
    finally:
        await conn.close()
    assert_converged(result)


# --- whole schemas -------------------------------------------------------------------


def _fixture_sql(major: int) -> str:
    sql = (FIXTURES / "all_objects.sql").read_text()
    if major < 15:  # UNIQUE ... NULLS NOT DISTINCT is 15+
        sql = sql.replace(" NULLS NOT DISTINCT", "")
    if major >= 18:
        sql += (FIXTURES / "all_objects_18.sql").read_text()
    return sql


@pytest.mark.parametrize("with_privileges", [False, True], ids=["", "privileges"])
async def test_every_object_kind_created_from_nothing(
    pg: Cluster, db_url: str, with_privileges: bool
) -> None:
    conn = await connect(db_url)
    try:
        result = await paired(conn, pg, _fixture_sql(pg.major), with_privileges=with_privileges)
        assert_converged(result)
    finally:
        await conn.close()


async def test_every_object_kind_dropped(pg: Cluster, db_url: str) -> None:
    conn = await connect(db_url)
    try:
        await conn.execute(_fixture_sql(pg.major))
        result = await paired(conn, pg, "")
        assert_converged(result)
        kinds = [c.kind for c in result.changes]
        # what goes with a table (indexes, constraints,
        # triggers, owned sequences) is not dropped twice
        assert (
            "drop_index" not in kinds
            and "drop_constraint" not in kinds
            and "drop_trigger" not in kinds
        )
    finally:
        await conn.close()


QUICKSTART = """
CREATE TABLE users (
  id serial PRIMARY KEY,
  email varchar(255) NOT NULL UNIQUE,
  name varchar(255),
  created_at timestamp DEFAULT now() NOT NULL
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  user_id int NOT NULL REFERENCES users,
  total int NOT NULL,
  status varchar(50) DEFAULT 'pending',
  created_at timestamp DEFAULT now() NOT NULL
);
"""
SEED = """
INSERT INTO users (email, name) VALUES ('a@example.com', 'Ann'), ('b@example.com', 'Bob');
INSERT INTO orders (user_id, total, status)
VALUES (1, 10, 'pending'), (1, 20, 'paid'), (2, 5, 'shipped');
"""


async def test_quickstart_round_trip(pg: Cluster, db_url: str) -> None:
    conn = await connect(db_url)
    try:
        created = await paired(conn, pg, QUICKSTART)
        assert_converged(created)
        assert [c.kind for c in created.changes].count("create_table") == 2
        dropped = await paired(conn, pg, "")
        assert_converged(dropped)
        assert [c.describe() for c in dropped.changes] == [
            "drop table public.orders",
            "drop table public.users",
        ]
    finally:
        await conn.close()


async def test_quickstart_status_renamed_to_an_enum_with_the_hint(pg: Cluster, db_url: str) -> None:
    after = QUICKSTART.replace(
        "status varchar(50) DEFAULT 'pending'", "order_status order_status DEFAULT 'pending'"
    ).replace(
        "CREATE TABLE users",
        "CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');\nCREATE TABLE users",
    )
    conn = await connect(db_url)
    try:
        await conn.execute(QUICKSTART + SEED)
        old = await introspect(conn)
        async with database(pg, after) as target:
            new = await introspect(target)
        # without the hint: reported as a candidate, planned as a drop (data loss) and an add
        assert [c.hint for c in rename_candidates(old, new)] == [
            "public.orders.status=public.orders.order_status"
        ]
        plain = diff(old, new)
        assert [c.describe() for c in plain if c.destructive] == [
            "drop column public.orders.status"
        ]
        hint = parse_rename("orders.status=orders.order_status", old, new)
        changes = diff(old, new, [hint])
        assert [s for c in changes for s in c.sql()] == [
            "ALTER TABLE public.orders RENAME COLUMN status TO order_status",
            "CREATE TYPE public.order_status AS ENUM ('pending', 'paid', 'shipped')",
            "ALTER TABLE public.orders ALTER COLUMN order_status DROP DEFAULT",
            (
                "ALTER TABLE public.orders ALTER COLUMN order_status TYPE public.order_status"
                " USING order_status::public.order_status"
            ),
            "ALTER TABLE public.orders ALTER COLUMN order_status"
            " SET DEFAULT 'pending'::public.order_status",
        ]
        await apply(conn, changes)
        applied = await introspect(conn)
        assert applied == new, differences(applied, new)
        rows = await conn.fetch("SELECT id, order_status::text FROM orders ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, "pending"), (2, "paid"), (3, "shipped")]
    finally:
        await conn.close()


async def test_rendered_script_runs_in_psql(pg: Cluster, db_url: str) -> None:
    """The `diff --format sql` script, run by psql as it is, including a CONCURRENTLY step."""
    # the cluster's own psql: the embedded server ships one, so this never skips (a server
    # without one, e.g. binaries of the server alone, is driven by the embedded psql)
    psql = pg.bindir / "psql"
    if not psql.is_file():
        psql = find_binaries().bindir / "psql"
    before = QUICKSTART + SEED + "CREATE TYPE mood AS ENUM ('ok');"
    after = (
        QUICKSTART + "CREATE TYPE mood AS ENUM ('ok', 'great');"
        "ALTER TABLE users ADD COLUMN mood mood NOT NULL DEFAULT 'great';"
        "CREATE INDEX users_name_idx ON users (name);"
    )
    conn = await connect(db_url)
    try:
        await conn.execute(before)
        old = await introspect(conn)
        async with database(pg, after) as target:
            new = await introspect(target)
        changes = [
            ch.CreateIndex(c.table, c.index, concurrently=True)
            if isinstance(c, ch.CreateIndex)
            else c
            for c in diff(old, new)
        ]
        script = render_script(changes)
        assert "BEGIN;\n-- add value 'great' to enum public.mood" in script
        assert (
            "\n-- create index users_name_idx on public.users\nCREATE INDEX CONCURRENTLY" in script
        )
        proc = await asyncio.to_thread(
            subprocess.run,
            [str(psql), db_url, "-X", "-q", "-v", "ON_ERROR_STOP=1"], input=script, text=True,
            capture_output=True, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        applied = await introspect(conn)
        assert applied == new, differences(applied, new)
    finally:
        await conn.close()


async def test_diff_between_two_databases_after_apply_is_empty(pg: Cluster, db_url: str) -> None:
    """A database-to-database diff applied to the first makes it equal to the second."""
    conn = await connect(db_url)
    try:
        await conn.execute(_fixture_sql(pg.major))
        target_sql = QUICKSTART + "CREATE SCHEMA shop; CREATE TABLE shop.kept (id int PRIMARY KEY);"
        result = await paired(conn, pg, target_sql)
        assert_converged(result)
        assert isinstance(result.applied, Schema)
    finally:
        await conn.close()


@pytest.mark.parametrize("case", _cases())
async def test_inverse_changes_restore_the_old_schema(case: Path, pg: Cluster, db_url: str) -> None:
    """The inverses, applied in reverse order, bring the structure back.

    What a down migration does.
    """
    opts = _options(case)
    if pg.major < opts.get("min_major", 0) or opts.get("with_privileges"):
        pytest.skip("not for this server" if pg.major < opts.get("min_major", 0) else "privileges")
    conn = await connect(db_url)
    try:
        before = (case / "before.sql").read_text()
        if before.strip():
            await conn.execute(before)
        result = await paired(conn, pg, (case / "after.sql").read_text(), opts.get("renames", ()))
        inverses = [c.inverse() for c in reversed(result.changes)]
        if any(i is None for i in inverses) or any(
            isinstance(c, ch.DropTable) for c in result.changes
        ):
            pytest.skip("not every change of this case can be undone by its inverse alone")
        await conn.execute(
            "DO $$ DECLARE r record; BEGIN FOR r IN SELECT format('TRUNCATE %I.%I CASCADE',"
            " schemaname, tablename) AS s FROM pg_tables WHERE schemaname NOT IN ('pg_catalog',"
            " 'information_schema') LOOP EXECUTE r.s; END LOOP; END $$"
        )
        await apply(conn, [i for i in inverses if i is not None])
        back = await introspect(conn)
        assert back == result.old, differences(back, result.old)
    finally:
        await conn.close()


PARTITIONED = """
CREATE TABLE events (
  id bigint NOT NULL, day date NOT NULL DEFAULT '2024-06-01', kind text, CHECK (id > 0)
) PARTITION BY RANGE (day);
ALTER TABLE events ADD PRIMARY KEY (id, day);
CREATE INDEX events_kind_idx ON events (kind);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events (kind WITH OPTIONS DEFAULT 'a' NOT NULL)
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY HASH (id);
CREATE TABLE events_2025_a PARTITION OF events_2025 FOR VALUES WITH (MODULUS 1, REMAINDER 0);
CREATE TABLE events_rest PARTITION OF events DEFAULT;
"""


async def test_dropped_partitions_come_back_attached_in_the_down_migration(
    pg: Cluster, db_url: str
) -> None:
    """The inverse of a partition's drop makes it PARTITION OF its parent again, with the
    parent's key, indexes and CHECK constraints and its own defaults and NOT NULLs."""
    conn = await connect(db_url)
    try:
        await conn.execute(PARTITIONED)
        kept = PARTITIONED.split("CREATE TABLE events_2025 ")[0]
        result = await paired(conn, pg, kept)
        assert_converged(result)
        down = [c for c in inverses(result.changes) if c is not None]
        assert [c.describe() for c in down] == [
            "create table public.events_rest as a partition of public.events",
            "create table public.events_2025 as a partition of public.events",
            "create table public.events_2025_a as a partition of public.events_2025",
        ]
        await apply(conn, down)
        back = await introspect(conn)
        assert back == result.old, differences(back, result.old)
        async with database(pg, PARTITIONED, "target") as again:
            want = await schema_dump(pg, again, with_privileges=False)
        got = await schema_dump(pg, conn, with_privileges=False)
        assert got == want, dump_differences(got, want)
    finally:
        await conn.close()


async def test_checks_read_back_from_pg_dump_text(pg: Cluster, db_url: str) -> None:
    """An IN list on a varchar column, and the text pg_dump writes of it (a structure.sql):
    PostgreSQL parses the second to another expression, which prints otherwise, yet they
    are one check, and the diff says nothing (it said drop and add)."""
    spelled = """
    CREATE DOMAIN code AS varchar(5) CHECK (VALUE IN ('a', 'b'));
    CREATE TABLE t (v varchar(5) CHECK (v IN ('a', 'b', 'it''s')), w code);
    """
    conn = await connect(db_url)
    try:
        await conn.execute(spelled)
        old = await introspect(conn)
        domain = old.domains["public.code"].constraints[0].definition
        check = old.tables["public.t"].constraints[0].definition
        assert "(ARRAY['a'::character varying, 'b'::character varying, 'it''s'" in check
        dumped = f"CREATE DOMAIN code AS varchar(5) {domain};\n"
        dumped += f"CREATE TABLE t (v varchar(5), w code, CONSTRAINT t_v_check {check});"
        async with database(pg, dumped) as again:
            new = await introspect(again)
        assert new.tables["public.t"].constraints[0].definition != check  # read back otherwise
        assert diff(old, new) == [] and diff(new, old) == []
    finally:
        await conn.close()
