"""The golden duplicate-column cases (tests/unit/lint_cases.py), against PostgreSQL itself.

Every statement lint flags as `duplicate-column` must be refused by the
server, and every near miss (parts of one composite or array column
assigned, distinct names) accepted: the hazard is about a statement that
fails, so the server is the judge. One server: the rule is the same in
14, 15 and 18.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import asyncpg
import pytest

from studio.sources.devdb.binaries import available_servers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from lint_cases import CASES  # noqa: E402  (the golden cases live beside their unit test)

SETUP = """
CREATE TYPE addr AS (city text, zip text);
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, note text, total int, address addr, tags text[],
                     user_id bigint);
CREATE TABLE incoming (id bigint, note text);
CREATE FOREIGN DATA WRAPPER dummy;
CREATE SERVER warehouse FOREIGN DATA WRAPPER dummy;
"""
_EMBEDDED = [b for b in available_servers() if b.source == "embedded"][:1]


@pytest.mark.parametrize(
    "pg", [pytest.param((f"pg{b.major}", b), id=f"pg{b.major}") for b in _EMBEDDED], indirect=True
)
async def test_duplicate_column_cases_agree_with_postgresql(db_url: str) -> None:
    cases = [c for c in CASES if c.rule == "squawk:ban-duplicate-column-assignments"]
    conn = await asyncpg.connect(db_url)
    wrong = []
    try:
        await conn.execute(SETUP)
        for c in cases:
            if 180000 not in c.versions:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(c.sql)
                    refused = ""
            except asyncpg.PostgresError as e:
                refused = str(e)
            duplicate = "more than once" in refused or "multiple assignments" in refused
            if c.must_flag != duplicate:
                wrong.append(f"{c.sql!r}: {refused or 'accepted'}")
    finally:
        await conn.close()
    assert len(cases) > 20
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "pg", [pytest.param((f"pg{b.major}", b), id=f"pg{b.major}") for b in _EMBEDDED], indirect=True
)
def test_lint_reads_the_volatility_of_the_targets_functions(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # deferred: the CLI is only needed by this test
    from click.testing import CliRunner

    from studio.cli import cli

    async def setup() -> None:
        conn = await asyncpg.connect(db_url)
        try:
            await conn.execute(
                "CREATE FUNCTION public.pick() RETURNS int LANGUAGE sql IMMUTABLE AS 'select 1';"
                "CREATE FUNCTION public.roll() RETURNS int LANGUAGE sql VOLATILE AS 'select 2';"
            )
        finally:
            await conn.close()

    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "20250101000000_add.sql").write_text(
        "ALTER TABLE public.orders ADD COLUMN a int DEFAULT pick();\n"
        "ALTER TABLE public.orders ADD COLUMN b int DEFAULT roll();\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def flagged() -> list[int]:
        out = CliRunner().invoke(cli, ["lint", "--format", "json"]).stdout
        found = json.loads(out)["findings"]
        return [f["line"] for f in found if f["hazard"] == "add-column-volatile-default"]

    assert flagged() == [1, 2]  # no target: both functions are unknown, taken to be volatile
    asyncio.run(setup())
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert flagged() == [2]  # the target says pick() is immutable
