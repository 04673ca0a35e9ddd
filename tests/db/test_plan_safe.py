"""Safe forms reach the same schema as the plain ones, on a table with rows."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from studio.catalog.introspect import introspect
from studio.commands.files import load_migrations
from studio.commands.generate import annotated_steps, step_transactional
from studio.config import Settings
from studio.diff import diff
from studio.migrations import files as migrations
from studio.model.changes import (
    AddColumn,
    AttachIndexPartition,
    Backfill,
    CreateIndex,
    DropIndex,
    SetDefault,
    SetNotNull,
    ValidateConstraint,
)
from studio.plan.locks import Context
from studio.plan.planner import plan_safe_forms, undo
from studio.run import backfill, runner

BEFORE = """
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (id bigint NOT NULL, user_id bigint, note text, code text, total int);
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 500) g;
INSERT INTO orders SELECT g, 1 + g % 500, 'n' || g, 'c' || g, g FROM generate_series(1, 2000) g;
CREATE INDEX orders_total_idx ON orders (total);
"""

AFTER_STEPS = """
ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id);
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);
ALTER TABLE orders ALTER COLUMN note SET NOT NULL;
CREATE INDEX orders_user_id_idx ON orders (user_id);
DROP INDEX orders_total_idx;
"""


async def _schemas(db_url: str) -> tuple[object, object, asyncpg.Connection]:
    conn = await asyncpg.connect(db_url)
    await conn.execute(BEFORE + AFTER_STEPS)
    after = await introspect(conn, ["public"])
    await conn.execute("DROP TABLE orders, users")
    await conn.execute(BEFORE)
    before = await introspect(conn, ["public"])
    return before, after, conn


async def test_safe_plan_reaches_the_target(db_url: str) -> None:
    before, after, conn = await _schemas(db_url)
    try:
        p = plan_safe_forms(diff(before, after), before, server_version=180000)  # type: ignore[arg-type]
        kinds = [type(c) for c in p.changes]
        assert ValidateConstraint in kinds
        assert any(isinstance(c, CreateIndex) and c.concurrently for c in p.changes)
        assert any(isinstance(c, DropIndex) and c.concurrently for c in p.changes)
        sql = [s for c in p.changes for s in c.sql()]
        assert any("NOT VALID" in s for s in sql)
        assert any("UNIQUE USING INDEX orders_code_key" in s for s in sql)
        assert any("PRIMARY KEY USING INDEX orders_pkey" in s for s in sql)
        assert any("CHECK ((note IS NOT NULL)) NOT VALID" in s for s in sql)
        for change in p.changes:
            for statement in change.sql():
                await conn.execute(statement)  # autocommit: CONCURRENTLY runs outside a transaction
        assert await introspect(conn, ["public"]) == after
        # the down file of the safe forms brings the old schema back (it had none: VALIDATE
        # has no inverse of its own)
        down = undo(p.items, after, server_version=180000)  # type: ignore[arg-type]
        assert down.complete, down.why_none()
        for change in down.changes:
            for statement in change.sql():
                await conn.execute(statement)
        assert await introspect(conn, ["public"]) == before
    finally:
        await conn.close()


async def test_plain_plan_is_the_diff(db_url: str) -> None:
    before, after, conn = await _schemas(db_url)
    try:
        changes = diff(before, after)  # type: ignore[arg-type]
        p = plan_safe_forms(changes, before, safe=False)
        assert p.changes == tuple(changes)
        assert all(item.has_safe_form for item in p.items if isinstance(item.plain[0], SetNotNull))
        toggled = p.with_item(0, p.items[0].toggled())
        assert toggled.items[0].use_safe != p.items[0].use_safe or not p.items[0].has_safe_form
    finally:
        await conn.close()


@pytest.mark.parametrize("safe", [True, False])
async def test_new_table_keeps_plain_forms(db_url: str, safe: bool) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        before = await introspect(conn, ["public"])
        await conn.execute(
            "CREATE TABLE t (id int PRIMARY KEY, x int); CREATE INDEX t_x_idx ON t (x)"
        )
        after = await introspect(conn, ["public"])
    finally:
        await conn.close()
    p = plan_safe_forms(diff(before, after), before, safe=safe)
    assert not any(item.has_safe_form for item in p.items)


# --- an index of a partitioned table, partition by partition --------------------------------------

PARTITIONED = """
CREATE TABLE ev (id bigint NOT NULL, at int NOT NULL, note text) PARTITION BY RANGE (at);
CREATE TABLE ev1 PARTITION OF ev FOR VALUES FROM (0) TO (100);
CREATE TABLE ev2 PARTITION OF ev FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (at);
CREATE TABLE ev2a PARTITION OF ev2 FOR VALUES FROM (100) TO (150);
CREATE TABLE ev2b PARTITION OF ev2 FOR VALUES FROM (150) TO (200);
INSERT INTO ev SELECT g, g % 200, 'n' || g FROM generate_series(1, 2000) g;
"""


async def test_partitioned_index_is_built_partition_by_partition(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(PARTITIONED)
        before = await introspect(conn, ["public"])
        await conn.execute(
            "CREATE INDEX ev_note_idx ON ev (note); CREATE UNIQUE INDEX ev_id_at_key ON ev (id, at)"
        )
        after = await introspect(conn, ["public"])
        await conn.execute("DROP INDEX ev_note_idx, ev_id_at_key")
        p = plan_safe_forms(diff(before, after), before, server_version=180000)
        changes = p.changes
        sql = [s for c in changes for s in c.sql()]
        assert "CREATE INDEX ev_note_idx ON ONLY public.ev USING btree (note)" in sql
        # every leaf gets its index CONCURRENTLY; the sub-partitioned ev2 is made ON ONLY too
        leaves = [c for c in changes if isinstance(c, CreateIndex) and c.concurrently]
        assert sorted(c.table for c in leaves) == [
            "public.ev1",
            "public.ev1",
            "public.ev2a",
            "public.ev2a",
            "public.ev2b",
            "public.ev2b",
        ]
        assert all(not c.transactional for c in leaves)
        assert (
            sum(1 for c in changes if isinstance(c, CreateIndex) and c.only) == 4
        )  # ev and ev2, twice
        attaches = [c for c in changes if isinstance(c, AttachIndexPartition)]
        assert len(attaches) == 8
        assert any(
            s.startswith("ALTER INDEX public.ev_note_idx ATTACH PARTITION public.ev1_note_idx")
            for s in sql
        )
        assert all(
            c.sql()[0].startswith("CREATE INDEX CONCURRENTLY")
            or "UNIQUE INDEX CONCURRENTLY" in c.sql()[0]
            for c in leaves
        )
        for change in changes:
            for statement in change.sql():
                await conn.execute(statement)  # autocommit: CONCURRENTLY runs outside a transaction
        assert await introspect(conn, ["public"]) == after
        assert await conn.fetchval(
            "SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = 'ev'::regclass"
        )
        # the file's steps: the leaves' builds are steps of their own, outside the transaction
        steps = annotated_steps(changes, 180000, Context.of(before))
        assert [s.transactional for s in steps] == [step_transactional(c) for c in changes]
        attach_notes = [
            a
            for s, c in zip(steps, changes, strict=True)
            if isinstance(c, AttachIndexPartition)
            for a in s.annotations
        ]
        assert any("SHARE UPDATE EXCLUSIVE on public.ev_note_idx" in a for a in attach_notes)
        assert not any("scans" in a for a in attach_notes)
    finally:
        await conn.close()


async def test_partitioned_table_without_partitions_keeps_the_plain_form(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("CREATE TABLE ev (id bigint, at int) PARTITION BY RANGE (at)")
        before = await introspect(conn, ["public"])
        await conn.execute("CREATE INDEX ev_at_idx ON ev (at)")
        after = await introspect(conn, ["public"])
    finally:
        await conn.close()
    p = plan_safe_forms(diff(before, after), before)
    assert not p.items[0].has_safe_form


# --- a primary key on a nullable column -----------------------------------------------------------


async def test_primary_key_on_nullable_column_gets_not_null_first(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "CREATE TABLE acc (id bigint, name text);"
            " INSERT INTO acc SELECT g, 'a' || g FROM generate_series(1, 1000) g"
        )
        before = await introspect(conn, ["public"])
        await conn.execute("ALTER TABLE acc ADD PRIMARY KEY (id)")
        after = await introspect(conn, ["public"])
        await conn.execute(
            "ALTER TABLE acc DROP CONSTRAINT acc_pkey, ALTER COLUMN id DROP NOT NULL"
        )
        changes = diff(before, after)
        # the diff sets NOT NULL in an item of its own: the key's item does not do it twice
        p = plan_safe_forms(changes, before, server_version=180000)
        checks = [s for c in p.changes for s in c.sql() if "IS NOT NULL)) NOT VALID" in s]
        assert len(checks) == 1
        # without that item, the key's safe form proves NOT NULL itself, before USING INDEX
        alone = plan_safe_forms(
            [c for c in changes if not isinstance(c, SetNotNull)], before, server_version=180000
        )
        (item,) = alone.items
        sql = [s for c in item.changes for s in c.sql()]
        assert sql == [
            "ALTER TABLE public.acc ADD CONSTRAINT acc_id_not_null_check"
            " CHECK ((id IS NOT NULL)) NOT VALID",
            "ALTER TABLE public.acc VALIDATE CONSTRAINT acc_id_not_null_check",
            "ALTER TABLE public.acc ALTER COLUMN id SET NOT NULL",
            "ALTER TABLE public.acc DROP CONSTRAINT acc_id_not_null_check",
            "CREATE UNIQUE INDEX CONCURRENTLY acc_pkey ON public.acc USING btree (id)",
            "ALTER TABLE public.acc ADD CONSTRAINT acc_pkey PRIMARY KEY USING INDEX acc_pkey",
        ]
        for statement in sql:
            await conn.execute(statement)
        assert await introspect(conn, ["public"]) == after
    finally:
        await conn.close()


# --- a column with a volatile default -------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "check"),
    [
        ("token uuid NOT NULL DEFAULT gen_random_uuid()", "count(DISTINCT token) = count(*)"),
        ("seen timestamptz DEFAULT clock_timestamp()", "count(seen) = count(*)"),
    ],
)
async def test_volatile_default_is_backfilled(
    db_url: str, tmp_path: Path, column: str, check: str
) -> None:
    name = column.split()[0]
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "CREATE TABLE items (id bigint PRIMARY KEY, v int);"
            " INSERT INTO items SELECT g, g FROM generate_series(1, 2500) g"
        )
        before = await introspect(conn, ["public"])
        await conn.execute(f"ALTER TABLE items ADD COLUMN {column}")
        after = await introspect(conn, ["public"])
        await conn.execute(f"ALTER TABLE items DROP COLUMN {name}")
    finally:
        await conn.close()
    p = plan_safe_forms(diff(before, after), before, server_version=180000, batch_size=700)
    (item,) = p.items
    assert item.has_safe_form and not item.note
    kinds = [type(c) for c in item.changes]
    assert kinds[:3] == [AddColumn, SetDefault, Backfill]
    assert (ValidateConstraint in kinds) == ("NOT NULL" in column)
    (add,) = item.changes[0].sql()
    assert add.startswith(f"ALTER TABLE public.items ADD COLUMN {name} ")
    assert "DEFAULT" not in add and "NOT NULL" not in add  # catalog only
    # the file: a backfill step the runner walks in batches
    steps = annotated_steps(p.changes, 180000, Context.of(before))
    assert [s.backfill for s in steps] == [isinstance(c, Backfill) for c in p.changes]
    settings = Settings(root=tmp_path, db_override=db_url)
    text = migrations.render_migration("20250101000000", steps, description=("volatile",))
    migrations.write_migration(settings.migrations_dir, "20250101000000", "volatile", text, None)
    (m,) = load_migrations(settings)
    (spec,) = [backfill.parse_step(s) for s in m.steps if s.backfill]
    assert (spec.table, spec.key, spec.batch_size) == ("public.items", "id", 700)
    assert "IS NULL" in spec.statement
    await runner.apply(db_url, settings, [m])
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval(f"SELECT {check} FROM items")
        got = await introspect(conn, ["public"])
        assert got.tables["public.items"] == after.tables["public.items"]
    finally:
        await conn.close()


async def test_volatile_default_without_integer_key_stays_plain(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "CREATE TABLE tags (name text PRIMARY KEY); INSERT INTO tags VALUES ('a'), ('b')"
        )
        before = await introspect(conn, ["public"])
        await conn.execute("ALTER TABLE tags ADD COLUMN token uuid DEFAULT gen_random_uuid()")
        after = await introspect(conn, ["public"])
    finally:
        await conn.close()
    (item,) = plan_safe_forms(diff(before, after), before).items
    assert not item.has_safe_form
    assert "single-column integer primary key" in item.note


async def test_stable_default_keeps_the_plain_form(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("CREATE TABLE items (id bigint PRIMARY KEY)")
        before = await introspect(conn, ["public"])
        await conn.execute("ALTER TABLE items ADD COLUMN at timestamptz NOT NULL DEFAULT now()")
        after = await introspect(conn, ["public"])
    finally:
        await conn.close()
    (item,) = plan_safe_forms(diff(before, after), before).items
    assert not item.has_safe_form and not item.note


async def test_key_on_partitioned_table_keeps_plain_form(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "CREATE TABLE ev (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);"
            " CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
        )
        before = await introspect(conn, ["public"])
        await conn.execute("ALTER TABLE ev ADD CONSTRAINT ev_pkey PRIMARY KEY (id, at)")
        after = await introspect(conn, ["public"])
        await conn.execute("ALTER TABLE ev DROP CONSTRAINT ev_pkey")
        p = plan_safe_forms(diff(before, after), before)
        # the parent's key is made ON ONLY (catalog only): no other form; the partition's own
        # key, attached to it, is built online like any table's (USING INDEX, CONCURRENTLY)
        parent = [i for i in p.items if any(c.targets == ("public.ev",) for c in i.plain)]
        assert parent and not any(i.has_safe_form for i in parent)
        for change in p.changes:
            for statement in change.sql():
                await conn.execute(statement)
        assert await introspect(conn, ["public"]) == after
    finally:
        await conn.close()
