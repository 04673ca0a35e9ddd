"""Sizes, row counts and the throughput probe against a real server; estimates in `migrate`."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest
from click.testing import CliRunner

from studio.cli import cli, migrate_cmd
from studio.commands.preview import preview_steps
from studio.config import Settings
from studio.migrations import files as migrations
from studio.plan import probe
from studio.plan.estimates import Basis

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.sources.devdb.cluster import Cluster

BIG = """
CREATE TABLE public.big (id bigint PRIMARY KEY, payload text NOT NULL);
INSERT INTO public.big
SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 120000) g;
ANALYZE public.big;
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


async def test_sizes_and_rows_of_real_relations(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            """
            CREATE TABLE public.t (id int PRIMARY KEY, note text);
            INSERT INTO public.t SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g;
            CREATE INDEX t_note ON public.t (note);
            ANALYZE public.t;
            CREATE TABLE public.p (id int, k int) PARTITION BY RANGE (k);
            CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (0) TO (10);
            CREATE TABLE public.p2 PARTITION OF public.p FOR VALUES FROM (10) TO (20);
            INSERT INTO public.p SELECT g, g % 20 FROM generate_series(1, 2000) g;
            ANALYZE public.p;
            CREATE TABLE public.fresh (id int);
            """
        )
        sizes = await probe.read_sizes(
            conn, ["public.t", "public.t_note", "public.p", "public.fresh", "public.nowhere", "(x)"]
        )
        want = await conn.fetchrow(
            "SELECT pg_relation_size('public.t') AS heap, pg_total_relation_size('public.t') AS"
            " total, pg_indexes_size('public.t') AS idx"
        )
        parts = await conn.fetchval(
            "SELECT pg_total_relation_size('public.p1') + pg_total_relation_size('public.p2')"
        )
    finally:
        await conn.close()
    assert set(sizes) == {"public.t", "public.t_note", "public.p", "public.fresh"}
    t = sizes["public.t"]
    assert (t.kind, t.rows) == ("r", 5000)
    assert (t.table_bytes, t.total_bytes, t.index_bytes) == (
        want["heap"],
        want["total"],
        want["idx"],
    )
    assert t.index_bytes > 0 and t.heap_bytes >= t.table_bytes
    assert sizes["public.t_note"].kind == "i" and sizes["public.t_note"].table_bytes > 0
    p = sizes["public.p"]
    assert (p.kind, p.rows, p.total_bytes) == ("p", 2000, parts)  # its partitions, summed
    fresh = sizes["public.fresh"]
    assert fresh.total_bytes == 0
    # never vacuumed nor analyzed: -1 from PostgreSQL 14 on, shown as unknown
    assert fresh.rows is None


@pytest.fixture
def reader(pg: Cluster, db_url: str) -> Iterator[str]:
    """A role that may only SELECT from public.big, and whose sessions are read-only."""
    role = f"reader_{secrets.token_hex(4)}"
    database = db_url.rsplit("/", 1)[1]

    async def setup() -> None:
        conn = await asyncpg.connect(db_url)
        try:
            await conn.execute(BIG)
            await conn.execute(f"CREATE ROLE {role} LOGIN")
            await conn.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
            await conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
            await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
            await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            await conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            await conn.execute(f"GRANT SELECT ON public.big TO {role}")
        finally:
            await conn.close()

    async def teardown() -> None:
        conn = await asyncpg.connect(db_url)
        try:
            await conn.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
        finally:
            await conn.close()

    asyncio.run(setup())
    yield db_url.replace("://postgres@", f"://{role}@")
    asyncio.run(teardown())


async def test_throughput_probe_is_read_only(reader: str, cache: Path) -> None:
    conn = await asyncpg.connect(reader)
    try:
        assert await conn.fetchval("SHOW default_transaction_read_only") == "on"
        with pytest.raises(asyncpg.PostgresError):  # the role really cannot write
            await conn.execute("CREATE TEMP TABLE x (a int)")
        with pytest.raises(asyncpg.PostgresError):
            await conn.execute("SET default_transaction_read_only = off; DELETE FROM public.big")
        await conn.execute("RESET default_transaction_read_only")
        sizes = await probe.read_sizes(conn, ["public.big"])
        measured = await probe.measure_throughput(
            conn, sizes, sample_bytes=4 << 20, min_bytes=2 << 20
        )
        assert measured.basis is Basis.MEASURED, measured.reason
        assert measured.bytes_per_s > 0 and measured.sample_bytes >= 1 << 20
        assert measured.relation == "public.big"
        # through the cache: measured once per target, then reused
        first = await probe.throughput_for(conn, sizes)
        again = await probe.throughput_for(conn, sizes)
        assert again.cached and again.bytes_per_s == first.bytes_per_s
        assert await conn.fetchval("SHOW transaction_read_only") == "on"
    finally:
        await conn.close()
    assert json.loads(probe.cache_file().read_text())  # one entry, no URL in it
    assert "postgresql://" not in probe.cache_file().read_text()


async def test_probe_falls_back_to_the_default(db_url: str, cache: Path) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "CREATE TABLE public.small (id int); INSERT INTO public.small VALUES (1)"
        )
        sizes = await probe.read_sizes(conn, ["public.small"])
        small = await probe.throughput_for(conn, sizes)
        assert small.basis is Basis.DEFAULT and "a sample scan needs" in small.reason
        await conn.execute(BIG)
        sizes = await probe.read_sizes(conn, ["public.big"])
        # a probe that cannot finish in time says so, and the default stands
        slow = await probe.measure_throughput(
            conn, sizes, sample_bytes=64 << 20, min_bytes=1 << 20, timeout=0.001
        )
        assert slow.basis is Basis.DEFAULT and "took over" in slow.reason
    finally:
        await conn.close()


def _project(
    tmp_path: Path, url: str, dev: Cluster | None = None
) -> tuple[Settings, list[migrations.Migration]]:
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "20250101000001_big.sql").write_text(BIG)
    (d / "20250101000002_change.sql").write_text(
        "-- schema-studio:step\n-- schema-studio:no-transaction\n"
        "CREATE INDEX CONCURRENTLY big_payload ON public.big (payload);\n"
        "-- schema-studio:step\nALTER TABLE public.big ADD COLUMN flag boolean;\n"
        "-- schema-studio:step\nALTER TABLE public.big ALTER COLUMN id TYPE numeric;\n"
    )
    migrations.write_sum(d)
    dev_url = f'dev_url = "{dev.url()}"\n' if dev is not None else ""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schema-studio]\nmigrations = "migrations"\n{dev_url}'
    )
    return Settings(root=tmp_path, db_override=url), list(migrations.load_directory(d))


async def test_step_estimates_of_a_pending_migration(
    tmp_path: Path, db_url: str, cache: Path
) -> None:
    settings, ms = _project(tmp_path, db_url)
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(BIG)  # the first migration, as if applied
    finally:
        await conn.close()
    preview = await preview_steps(settings, db_url, ms[1])
    index, column, retype = preview.steps
    assert [s.index for s in preview.steps] == [1, 2, 3]
    assert not index.transactional and index.facts[0].mode.label == "SHARE UPDATE EXCLUSIVE"
    assert index.sizes[0].relation == "public.big" and index.sizes[0].rows == 120000
    assert not index.estimate.instant and index.estimate.high > index.estimate.low > 0
    assert column.estimate.instant
    assert retype.estimate.low > index.estimate.low  # a rewrite, with its index
    assert preview.throughput is not None
    text = "\n".join(retype.lines())
    assert "ACCESS EXCLUSIVE on public.big" in text and "rewrites the table" in text
    assert "≈120 k rows" in text and "MB/s read" in text
    assert json.dumps(preview.to_dict())  # JSON-ready


def test_migrate_shows_estimates_before_asking(
    tmp_path: Path, pg: Cluster, db_url: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, db_url, pg)  # the dry run's throwaway database on the test server
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(migrate_cmd, "interactive", lambda: True)
    runner = CliRunner()
    declined = runner.invoke(cli, ["migrate", "--to", "20250101000001"], input="y\n")
    assert declined.exit_code == 0, declined.stderr
    asked = runner.invoke(cli, ["migrate"], input="n\n")
    assert asked.exit_code == 1
    err = asked.stderr
    assert (
        "1. CREATE INDEX CONCURRENTLY big_payload ON public.big (payload);  [no transaction]" in err
    )
    assert "locks: SHARE UPDATE EXCLUSIVE on public.big" in err
    assert "size:  public.big" in err and "≈120 k rows" in err
    assert "time:  instant once the locks are granted (catalog only)" in err
    assert "read on target" in err
    dry = runner.invoke(cli, ["migrate", "--dry-run", "--format", "json"])
    assert dry.exit_code == 0, dry.stderr
    report = json.loads(dry.stdout)
    steps = report["estimates"]["steps"]
    assert [s["index"] for s in steps] == [1, 2, 3]
    assert steps[2]["estimate"]["high_s"] > 0 and steps[1]["estimate"]["high_s"] == 0


NULLS = """
CREATE TABLE public.people (id int PRIMARY KEY, name text, nick text, born date);
INSERT INTO public.people SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'p' END, 'n', NULL
FROM generate_series(1, 5000) g;
ANALYZE public.people;
"""

# the safe form of SET NOT NULL (as `generate` writes it), a plain one, a column without NULLs,
# and a column an earlier step adds (not on the target: nothing to check)
NOT_NULL_STEPS = """-- schema-studio:step
ALTER TABLE public.people ADD CONSTRAINT people_name_not_null CHECK ((name IS NOT NULL)) NOT VALID;
-- schema-studio:step
-- schema-studio:no-transaction
ALTER TABLE public.people VALIDATE CONSTRAINT people_name_not_null;
-- schema-studio:step
ALTER TABLE public.people ALTER COLUMN name SET NOT NULL;
-- schema-studio:step
ALTER TABLE public.people ALTER COLUMN nick SET NOT NULL;
-- schema-studio:step
ALTER TABLE public.people ADD COLUMN tag text DEFAULT 'x';
-- schema-studio:step
ALTER TABLE public.people ALTER COLUMN tag SET NOT NULL, ADD CHECK (born IS NOT NULL);
"""


def _nulls_project(tmp_path: Path, url: str) -> tuple[Settings, migrations.Migration]:
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "20250101000001_people.sql").write_text(NULLS)
    (d / "20250101000002_not_null.sql").write_text(NOT_NULL_STEPS)
    migrations.write_sum(d)
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
    return Settings(root=tmp_path, db_override=url), migrations.load_directory(d)[1]


async def test_steps_refused_for_nulls_on_the_target_say_so(
    tmp_path: Path, db_url: str, cache: Path
) -> None:
    settings, migration = _nulls_project(tmp_path, db_url)
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(NULLS)
    finally:
        await conn.close()
    preview = await preview_steps(settings, db_url, migration)
    checks = [s.checks for s in preview.steps]
    name = "public.people.name has NULLs on the target now"
    born = "public.people.born has NULLs on the target now"
    assert [len(c) for c in checks] == [0, 1, 1, 0, 0, 1]  # NOT VALID adds; nick and tag are fine
    assert checks[1][0].startswith(name) and checks[2][0].startswith(name)
    assert checks[5][0].startswith(born)
    assert "check: " + checks[1][0] in preview.steps[1].lines()
    assert preview.to_dict()["steps"][1]["checks"] == list(checks[1])


async def test_null_check_never_waits_on_a_lock(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table it cannot read at once is answered from pg_stats, and the note says so."""
    monkeypatch.setattr(probe, "NULL_CHECK_TIMEOUT", 0.2)
    conn, holder = await asyncpg.connect(db_url), await asyncpg.connect(db_url)
    try:
        await conn.execute(NULLS)
        async with holder.transaction():
            await holder.execute("LOCK TABLE public.people IN ACCESS EXCLUSIVE MODE")
            found = await probe.null_rows(
                conn, [("public.people", "name"), ("public.people", "nick")]
            )
        assert list(found) == [("public.people", "name")]
        assert "is about 10% NULL by its last ANALYZE" in found["public.people", "name"]
        # and with the table free, it reads the rows themselves
        found = await probe.null_rows(conn, [("public.people", "name"), ("public.nowhere", "x")])
        assert "has NULLs on the target now" in found["public.people", "name"]
        assert ("public.nowhere", "x") not in found
    finally:
        await holder.close()
        await conn.close()


CONVERSIONS = """
CREATE TABLE public.stock (id int PRIMARY KEY, qty bigint, code text, label text, n text);
INSERT INTO public.stock
SELECT g, g, 'c' || g, repeat('x', g % 12), g::text FROM generate_series(1, 100) g;
UPDATE public.stock SET qty = 100000, code = 'not a number' WHERE id = 7;
"""


async def test_conversions_the_rows_would_fail_or_cut_are_named(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(CONVERSIONS)
        changes = [
            ("public.stock", "qty", "smallint", "qty"),  # 100000 is out of range
            ("public.stock", "code", "integer", "code::integer"),  # 'c1' is not a number
            ("public.stock", "label", "varchar(10)", "label::varchar(10)"),  # 11-character labels
            ("public.stock", "n", "integer", "n::integer"),  # fine
            ("public.stock", "id", "bigint", "id"),  # a widening: not even read
            ("public.stock", "label", "varchar(200)", "CAST(label AS varchar(200))"),  # fits
            ("public.stock", "later", "integer", "later::integer"),  # not there yet
        ]
        found = await probe.conversion_problems(conn, changes)
    finally:
        await conn.close()
    assert set(found) == set(changes[:3])
    assert found[changes[0]] == (
        "converting public.stock.qty to smallint fails on the target's rows now:"
        " smallint out of range"
    )
    assert "invalid input syntax for type integer" in found[changes[1]]
    assert found[changes[2]] == (
        "8 values of public.stock.label are longer than 10 characters on the target now:"
        " converting to varchar(10) cuts them"
    )


def test_requirements_of_steps_are_parsed_from_their_sql() -> None:
    from studio.plan.preview import data_requirements

    steps = [
        ["ALTER TABLE public.t ADD CONSTRAINT c CHECK ((a IS NOT NULL)) NOT VALID"],
        ["ALTER TABLE public.t VALIDATE CONSTRAINT c"],
        [
            "ALTER TABLE public.t ALTER COLUMN b TYPE integer USING b::integer,"
            " ALTER COLUMN a SET NOT NULL"
        ],
        ["CREATE INDEX i ON public.t (a)"],
    ]
    assert data_requirements(steps) == [
        [],
        [("public.t", "a")],
        [("public.t", "a"), ("public.t", "b", "integer", "CAST(b AS integer)")],
        [],
    ]
