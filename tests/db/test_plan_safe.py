"""Safe forms reach the same schema as the plain ones, on a table with rows."""

from __future__ import annotations

import asyncpg
import pytest

from studio.changes import CreateIndex, DropIndex, SetNotNull, ValidateConstraint
from studio.diff import diff
from studio.introspect import introspect
from studio.plan import plan

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
        p = plan(diff(before, after), before, server_version=180000)  # type: ignore[arg-type]
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
    finally:
        await conn.close()


async def test_plain_plan_is_the_diff(db_url: str) -> None:
    before, after, conn = await _schemas(db_url)
    try:
        changes = diff(before, after)  # type: ignore[arg-type]
        p = plan(changes, before, safe=False)
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
        await conn.execute("CREATE TABLE t (id int PRIMARY KEY, x int); CREATE INDEX t_x_idx ON t (x)")
        after = await introspect(conn, ["public"])
    finally:
        await conn.close()
    p = plan(diff(before, after), before, safe=safe)
    assert not any(item.has_safe_form for item in p.items)
