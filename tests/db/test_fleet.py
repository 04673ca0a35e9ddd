"""Fleets: many databases (or tenant schemas) read and migrated as one, through the CLI.

On the embedded server only (the fleet's behaviour does not differ by
version): databases named by `targets` environment variables and by a
`discover` query, tenant schemas by a `schemas` query; the policy (canary,
halt, continue) when a target's migration fails, a rerun resuming each
target, a target another migrator holds, one that cannot be reached, drift,
JSON lines; the re-targeted replay a tenant is compared with, against what
PostgreSQL prints after renaming the schema.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from studio import config
from studio.catalog.introspect import introspect
from studio.cli import cli, migrate_cmd
from studio.cli import fleet as fleet_cli
from studio.commands.fleet.rollout import Abort, MigrateOptions, Policy, fleet_migrate
from studio.migrations import files as migrations
from studio.model.retarget import retarget
from studio.run.events import StepStarted
from studio.run.history import HistoryTable
from studio.sources.devdb.binaries import available_servers

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.commands.fleet.targets import FleetTarget
    from studio.run.events import Event
    from studio.sources.devdb.cluster import Cluster

V1, V2, V3 = "20250101000001", "20250101000002", "20250101000003"
NAMES = ("FLEET_A", "FLEET_B", "FLEET_C")
SCHEMA_SQL = "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price integer);\n"


def run(coro: Any) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


async def _sql(url: str, sql: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        if not sql.startswith("SELECT"):
            await conn.execute(sql)  # statements, one or several
            return []
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


def sql(url: str, text: str) -> list[tuple[Any, ...]]:
    return run(_sql(url, text))  # type: ignore[no-any-return]


def studio(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def lines(result: Result) -> dict[str, str]:
    """Target name -> its line (`NAME: state...`), from a text run's stdout."""
    found = {}
    for line in result.stdout.splitlines():
        name, sep, rest = line.partition(": ")
        if sep and not line.startswith((" ", "fleet: ")):
            found[name] = rest
    return found


@pytest.fixture(scope="module")
def server(_cluster_pool: Any) -> Cluster:
    """The embedded server's cluster (the fleet's behaviour does not differ by version)."""
    b = next(b for b in available_servers() if b.source == "embedded")
    return _cluster_pool.get(f"pg{b.major}", b)  # type: ignore[no-any-return]


@pytest.fixture
def databases(server: Cluster) -> Iterator[list[str]]:
    """Three fresh databases (and a fourth, `home`, the configured one), dropped after."""
    token = secrets.token_hex(4)
    names = [f"fleet_{token}_{x}" for x in ("a", "b", "c", "home")]
    urls = [run(server.create_database(n)) for n in names]
    yield urls
    for n in names:
        run(server.drop_database(n))


def project(root: Path, server: Cluster, fleet: str, *, schema_sql: str = SCHEMA_SQL) -> Path:
    """A project: items (V1), a price column (V2); the declared schema; the fleet's table."""
    (root / "migrations").mkdir(parents=True)
    m = root / "migrations"
    (m / f"{V1}_items.sql").write_text(
        "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);\n"
    )
    (m / f"{V1}_items.down.sql").write_text("DROP TABLE items;\n")
    (m / f"{V2}_price.sql").write_text("ALTER TABLE items ADD COLUMN price integer;\n")
    (m / f"{V2}_price.down.sql").write_text("ALTER TABLE items DROP COLUMN price;\n")
    migrations.write_sum(m)
    (root / "schema.sql").write_text(schema_sql)
    (root / "pyproject.toml").write_text(
        f'[tool.schema-studio]\nschema = "schema.sql"\ndev_url = "{server.url()}"\n\n'
        f"[tool.schema-studio.fleet]\n{fleet}\n"
    )
    return m


@pytest.fixture
def targets(
    tmp_path: Path, server: Cluster, databases: list[str], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The project with `targets`: FLEET_A..C hold the databases' URLs (B's with a password)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name, url in zip(NAMES, databases, strict=False):
        monkeypatch.setenv(name, url)
    # trust authentication ignores it: a password to keep out of every line printed
    monkeypatch.setenv("FLEET_B", databases[1].replace("postgres@", "postgres:hunter2@"))
    return project(tmp_path, server, f"targets = {json.dumps(list(NAMES))}")


def test_targets_status_migrate_check_json_and_drift(
    targets: Path, databases: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c, _ = databases
    before = studio("status", "--fleet")
    assert before.exit_code == 2, before.output  # pending everywhere
    assert set(lines(before)) == set(NAMES)
    assert all(v.startswith("pending, at no migration, 2 pending") for v in lines(before).values())
    assert before.stdout.splitlines()[-1].startswith("fleet: 3 targets: 3 pending")

    done = studio("migrate", "--fleet", "--yes", "--format", "json")
    assert done.exit_code == 0, done.output
    objects = [json.loads(x) for x in done.stdout.splitlines()]
    per_target = {o["target"]: o for o in objects[:-1]}
    assert set(per_target) == set(NAMES)
    assert all(o["state"] == "done" and o["ran"] == [V1, V2] for o in per_target.values())
    assert per_target["FLEET_B"]["where"].startswith("postgresql://postgres:***@")
    assert objects[-1]["summary"]["states"] == {"done": 3}
    assert objects[-1]["summary"]["exit"] == 0
    assert "hunter2" not in done.output
    for url in (a, b, c):  # each its own history
        assert sql(url, "SELECT version FROM schema_studio.migrations ORDER BY 1") == [(V1,), (V2,)]

    synced = studio("check", "--fleet")
    assert synced.exit_code == 0, synced.output
    assert all(v.startswith("in sync, at " + V2) for v in lines(synced).values())

    sql(b, "ALTER TABLE items ADD COLUMN extra integer")
    drifted = studio("check", "--fleet", "--parallel", "2")
    assert drifted.exit_code == 2
    assert lines(drifted)["FLEET_B"].startswith("drift, 1 difference ")
    assert "    add column public.items.extra integer" in drifted.stdout
    assert lines(drifted)["FLEET_A"].startswith("in sync")

    # a target whose drift is found before its migration is not migrated (nor the others: halt)
    (targets / f"{V3}_note.sql").write_text("ALTER TABLE items ADD COLUMN note text;\n")
    migrations.write_sum(targets)
    held = studio("migrate", "--fleet", "--yes", "--parallel", "1")
    assert held.exit_code == 2, held.output
    assert lines(held)["FLEET_A"].startswith("done, applied " + V3)
    assert lines(held)["FLEET_B"].startswith("drift, 1 difference ")
    assert lines(held)["FLEET_C"] == "skipped: halted: FLEET_B failed first"
    assert sql(c, "SELECT count(*) FROM schema_studio.migrations") == [(2,)]

    monkeypatch.delenv("FLEET_C")
    unset = studio("status", "--fleet")
    assert unset.exit_code == 1
    assert unset.stderr.splitlines()[0] == (
        "error: fleet target FLEET_C is not set: export FLEET_C=postgresql://user@host/dbname"
    )
    assert "Traceback" not in unset.output
    assert studio("status", "--parallel", "2").exit_code == 1  # --parallel needs --fleet


def test_canary_halt_continue_and_rerun_resumes(targets: Path, databases: list[str]) -> None:
    a, b, c, _ = databases
    assert studio("migrate", "--fleet", "--yes").exit_code == 0
    # step 1 commits alone (CONCURRENTLY); step 2 fails where a name is too long
    (targets / f"{V3}_short.sql").write_text(
        "-- schema-studio:step\n-- schema-studio:no-transaction\n"
        "CREATE INDEX CONCURRENTLY items_name ON items (name);\n"
        "-- schema-studio:step\n"
        "ALTER TABLE items ADD CONSTRAINT name_short CHECK (length(name) < 8);\n"
    )
    migrations.write_sum(targets)
    for url in (a, b):
        sql(url, "INSERT INTO items (name) VALUES ('far too long')")

    canary = studio("migrate", "--fleet", "--yes", "--canary", "1")
    assert canary.exit_code == 1
    assert lines(canary)["FLEET_A"].startswith("failed: CheckViolationError")
    assert lines(canary)["FLEET_B"] == "skipped: canary FLEET_A did not succeed"
    assert lines(canary)["FLEET_C"] == "skipped: canary FLEET_A did not succeed"
    assert canary.stdout.splitlines()[-1].startswith("fleet: 3 targets: 1 failed, 2 skipped")
    # the canary's first step is committed and recorded; the others were never touched
    assert sql(a, f"SELECT steps_done FROM schema_studio.migrations WHERE version = '{V3}'") == [
        (1,)
    ]
    for url in (b, c):
        assert sql(url, f"SELECT 1 FROM schema_studio.migrations WHERE version = '{V3}'") == []
        assert sql(url, "SELECT to_regclass('items_name')") == [(None,)]

    sql(a, "DELETE FROM items")
    going = studio("migrate", "--fleet", "--yes", "--parallel", "1", "--on-error", "continue")
    assert going.exit_code == 1
    assert lines(going)["FLEET_A"].startswith(f"done, applied {V3}")  # resumed at step 2
    assert lines(going)["FLEET_B"].startswith("failed: CheckViolationError")
    assert lines(going)["FLEET_C"].startswith(f"done, applied {V3}")
    # each target's steps, as they end, named (on stderr: stdout keeps a line per target)
    progress = going.stderr.splitlines()
    assert f"FLEET_A: {V3}_short: 2 steps, step by step, resuming after step 1" in progress
    assert any(line.startswith("FLEET_A:   [2/2] ") and "ms" in line for line in progress)
    assert any(line.startswith("FLEET_C:   [1/2] ") for line in progress)
    assert not any("FLEET_" in line for line in going.stdout.splitlines() if "[" in line)

    sql(b, "DELETE FROM items")
    again = studio("migrate", "--fleet", "--yes")
    assert again.exit_code == 0, again.output
    assert lines(again)["FLEET_A"].startswith("up to date")
    assert lines(again)["FLEET_B"].startswith(f"done, applied {V3}")
    for url in (a, b, c):
        assert sql(
            url, f"SELECT steps_done, finished_at IS NOT NULL FROM schema_studio.migrations"
            f" WHERE version = '{V3}'"
        ) == [(2, True)]  # fmt: skip
        assert sql(url, "SELECT count(*) FROM pg_index WHERE indexrelid = 'items_name'::regclass")


def test_busy_unreachable_and_rollback(
    targets: Path, databases: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c, _ = databases
    monkeypatch.setenv("FLEET_C", "postgresql://nobody:s3cret@127.0.0.1:1/nowhere")

    async def holding() -> Result:
        # another migrator holds B's migration lock for as long as the run takes
        conn = await asyncpg.connect(b)
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", HistoryTable.parse(
                "schema_studio.migrations").lock_key)  # fmt: skip
            return await asyncio.to_thread(
                studio, "migrate", "--fleet", "--yes", "--on-error", "continue", "--format", "json"
            )
        finally:
            await conn.close()

    result = run(holding())
    assert result.exit_code == 1
    states = {o["target"]: o for o in map(json.loads, result.stdout.splitlines()[:-1])}
    assert states["FLEET_A"]["state"] == "done"
    assert states["FLEET_B"]["state"] == "busy"
    assert "another migrator holds the migration lock" in states["FLEET_B"]["message"]
    assert states["FLEET_C"]["state"] == "unreachable"
    assert states["FLEET_C"]["where"] == "postgresql://nobody:***@127.0.0.1:1/nowhere"
    assert "s3cret" not in result.output
    assert sql(b, "SELECT to_regclass('schema_studio.migrations')") == [(None,)]

    monkeypatch.setenv("FLEET_C", c)
    assert studio("migrate", "--fleet", "--yes").exit_code == 0
    assert studio("rollback", "--fleet").exit_code == 2  # no terminal: needs --yes
    back = studio("rollback", "--fleet", "--yes", "--count", "1")
    assert back.exit_code == 0, back.output
    assert all(v.startswith(f"done, rolled back {V2}, at {V1}") for v in lines(back).values())
    for url in (a, b, c):
        assert sql(url, "SELECT version FROM schema_studio.migrations") == [(V1,)]


def test_a_waiting_contract_is_told_per_target_and_confirmed_across_the_fleet(
    targets: Path, databases: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """status and migrate --fleet name each target's waiting contract (text and JSON);
    `migrate` on one target names what it drops before asking; --confirm-contract runs it."""
    v4, v5 = "20250101000004", "20250101000005"
    (targets / f"{v4}_label.sql").write_text(
        "-- schema-studio:phase expand\nALTER TABLE items ADD COLUMN label text;\n"
    )
    (targets / f"{v5}_drop_name.sql").write_text(
        f"-- expand migration: {v4}_label\n-- schema-studio:phase contract\n"
        "ALTER TABLE items DROP COLUMN name;\n"
    )
    migrations.write_sum(targets)
    migrated = studio("migrate", "--fleet", "--yes")
    assert migrated.exit_code == 2, migrated.output  # the contract waits everywhere
    assert all(f"at {v4}, 1 pending, {v5}_drop_name.sql" in v for v in lines(migrated).values())
    status = studio("status", "--fleet")
    assert all(v.endswith(f"1 pending, contract waiting: {v5}") for v in lines(status).values())
    objects = [
        json.loads(x)
        for x in studio("status", "--fleet", "--format", "json").stdout.split("\n")
        if x
    ]
    assert [o["waiting"] for o in objects[:-1]] == [[v5]] * 3

    monkeypatch.setattr(migrate_cmd, "interactive", lambda: True)
    declined = studio("migrate", "--db", databases[0], input="y\nn\n")
    assert declined.exit_code == 2, declined.output
    assert f"  {v5}_drop_name.sql drops column public.items.name" in declined.stderr
    assert sql(
        databases[0], f"SELECT count(*) FROM schema_studio.migrations WHERE version = '{v5}'"
    ) == [(0,)]

    # on a terminal, the fleet's question names the contract it confirms and what it drops
    monkeypatch.setattr(fleet_cli, "interactive", lambda: True)
    asked = studio("migrate", "--fleet", "--confirm-contract", input="n\n")
    assert asked.exit_code == 1, asked.output
    assert "--confirm-contract confirms 1 contract on each target where it waits" in asked.stderr
    assert f"  {v5}_drop_name.sql\n    drops column public.items.name\n" in asked.stderr
    assert "nothing run" in asked.stderr
    assert sql(
        databases[0], f"SELECT count(*) FROM schema_studio.migrations WHERE version = '{v5}'"
    ) == [(0,)]
    other = studio("migrate", "--fleet", "--confirm-contract", v4, input="n\n")
    assert f"--confirm-contract: no contract migration is {v4}" in other.stderr

    confirmed = studio("migrate", "--fleet", "--yes", "--confirm-contract", "--format", "json")
    assert confirmed.exit_code == 0, confirmed.output
    objects = [json.loads(x) for x in confirmed.stdout.splitlines()]
    assert all(o["ran"] == [v5] and o["waiting"] == [] for o in objects[:-1])
    for url in databases[:3]:
        assert sql(
            url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items'"
            " AND column_name = 'name'",
        ) == [(0,)]


def test_discover_and_schema_per_tenant(
    tmp_path: Path, server: Cluster, databases: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c, home = databases
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    prefix = a.rsplit("/", 1)[1][: -len("_a")]
    found = project(
        tmp_path / "discover",
        server,
        f"discover = \"SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'"
        " AND datname NOT LIKE '%home' ORDER BY 1\"",
    )
    monkeypatch.chdir(found.parent)
    monkeypatch.setenv("DATABASE_URL", home)
    migrated = studio("migrate", "--fleet", "--yes")
    assert migrated.exit_code == 0, migrated.output
    assert sorted(lines(migrated)) == sorted(u.rsplit("/", 1)[1] for u in (a, b, c))

    sql(home, 'CREATE SCHEMA tenant_1; CREATE SCHEMA "Tenant 2"; CREATE SCHEMA other')
    tenants = project(
        tmp_path / "tenants",
        server,
        "schemas = \"SELECT nspname FROM pg_namespace WHERE nspname ILIKE 'tenant%' ORDER BY 1\"",
    )
    monkeypatch.chdir(tenants.parent)
    first = studio("migrate", "--fleet", "--yes")
    assert first.exit_code == 0, first.output
    assert set(lines(first)) == {"Tenant 2", "tenant_1"}
    # each tenant's tables in its schema, its own history beside it; public and `other` untouched
    assert sql(home, "SELECT to_regclass('tenant_1.items') IS NOT NULL") == [(True,)]
    assert sql(home, """SELECT to_regclass('"Tenant 2".items') IS NOT NULL""") == [(True,)]
    assert sql(home, "SELECT to_regclass('public.items'), to_regclass('other.items')") == [
        (None, None)
    ]
    assert sql(home, 'SELECT version FROM "schema_studio_Tenant 2".migrations ORDER BY 1') == [
        (V1,),
        (V2,),
    ]
    assert studio("check", "--fleet").exit_code == 0
    sql(home, "ALTER TABLE tenant_1.items ADD COLUMN extra integer")
    drifted = studio("check", "--fleet")
    assert drifted.exit_code == 2
    assert lines(drifted)["tenant_1"].startswith("drift, 1 difference ")
    assert "    add column tenant_1.items.extra integer" in drifted.stdout
    assert lines(drifted)["Tenant 2"].startswith("in sync")


RICH = """
CREATE TYPE mood AS ENUM ('happy', 'public.sad');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, b mood);
CREATE SEQUENCE counter START 5;
CREATE TABLE parent (id serial PRIMARY KEY, code public.citext UNIQUE, m mood DEFAULT 'happy',
  p posint, n bigint DEFAULT nextval('counter'));
COMMENT ON TABLE parent IS 'see public.parent';
CREATE TABLE child (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  parent_id int REFERENCES parent (id) ON DELETE CASCADE, pr pair, qty int CHECK (qty > 0));
CREATE INDEX child_parent ON child (parent_id) WHERE qty > 1;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN NEW.qty := coalesce(NEW.qty, 1); RETURN NEW; END $$;
CREATE TRIGGER child_touch BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION total(p int) RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT sum(qty) FROM child WHERE parent_id = p $$;
CREATE VIEW parent_totals AS
  SELECT p.id, total(p.id) AS t, p.m FROM parent p JOIN child c ON c.parent_id = p.id;
CREATE MATERIALIZED VIEW mv AS SELECT id, public.citext(m::text) AS code FROM parent;
CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE STATISTICS child_stats ON parent_id, qty FROM child;
ALTER TABLE child ENABLE ROW LEVEL SECURITY;
CREATE POLICY child_pos ON child USING (qty > 0);
CREATE TYPE r AS RANGE (subtype = integer);
"""


def test_retarget_matches_what_postgres_prints_after_a_rename(
    server: Cluster, databases: list[str]
) -> None:
    """The replay in `public`, re-targeted, equals the same SQL run in a tenant's schema.

    The extension's type and function in `public` stay where they are, as on
    the server; a comment and an enum label are data, never rewritten.
    """
    a, b, _, _ = databases
    extension = "CREATE EXTENSION IF NOT EXISTS citext SCHEMA public;"

    async def read() -> tuple[Any, Any]:
        one, two = await asyncpg.connect(a), await asyncpg.connect(b)
        try:
            await one.execute(extension + RICH)
            await two.execute(
                extension + 'CREATE SCHEMA "Ten-ant"; SET search_path = "Ten-ant", public;' + RICH
            )
            return await introspect(one, ["public"]), await introspect(two, ["Ten-ant"])
        finally:
            await one.close()
            await two.close()

    template, tenant = run(read())
    moved = retarget(template, "public", "Ten-ant")
    assert moved == tenant
    assert moved.dependencies == tenant.dependencies
    parent = moved.tables['"Ten-ant".parent']
    assert parent.comment == "see public.parent"
    code = parent.column("code")
    assert code is not None and code.type == "public.citext"
    assert moved.enums['"Ten-ant".mood'].labels == ("happy", "public.sad")
    assert "::public.citext AS code" in moved.views['"Ten-ant".mv'].definition


def test_abort_stops_each_target_at_a_step_boundary_and_a_rerun_resumes(
    targets: Path, databases: list[str]
) -> None:
    """The studio's `x` on a fleet run: FLEET_A's statement waiting for its lock is cancelled
    (no 30 s wait), it stops after the step it committed, B and C never start; a rerun
    resumes A and migrates the others."""
    a, b, c, _ = databases
    assert studio("migrate", "--fleet", "--yes").exit_code == 0
    (targets / f"{V3}_note.sql").write_text(
        "-- schema-studio:step\n-- schema-studio:no-transaction\n"
        "CREATE INDEX CONCURRENTLY items_name ON items (name);\n"
        "-- schema-studio:step\nALTER TABLE items ADD COLUMN note text;\n"
    )
    migrations.write_sum(targets)
    settings = config.load(targets.parent, lock_timeout="30s")
    abort = Abort()
    seen: list[str] = []

    async def go() -> Any:
        blocker = await asyncpg.connect(a)
        await blocker.execute("BEGIN; LOCK TABLE items IN ACCESS SHARE MODE")
        later: list[asyncio.Task[int]] = []

        async def on_event(target: FleetTarget, event: Event) -> None:
            seen.append(f"{target.name} {type(event).__name__}")
            if target.name == "FLEET_A" and isinstance(event, StepStarted) and event.index == 2:

                async def abort_soon() -> int:
                    await asyncio.sleep(0.5)  # the ALTER waits for its lock by then
                    return await abort.request()

                later.append(asyncio.ensure_future(abort_soon()))

        try:
            report = await fleet_migrate(
                settings, Policy(parallel=1), MigrateOptions(), on_event=on_event, abort=abort
            )
            return report, await later[0]
        finally:
            await blocker.close()

    started = time.monotonic()
    report, cancelled = run(go())
    assert time.monotonic() - started < 20  # the lock wait was cancelled, not sat out (30 s)
    assert cancelled == 1
    states = {r.target.name: (r.state.value, r.message) for r in report.targets}
    assert states == {
        "FLEET_A": ("aborted", "aborted by the user"),
        "FLEET_B": ("skipped", "aborted by the user before it started"),
        "FLEET_C": ("skipped", "aborted by the user before it started"),
    }
    assert report.exit_code == 2  # not an error: nothing failed, migrations still pending
    assert sql(a, f"SELECT steps_done FROM schema_studio.migrations WHERE version = '{V3}'") == [
        (1,)
    ]
    assert sql(a, "SELECT count(*) FROM pg_attribute WHERE attname = 'note'") == [(0,)]
    assert not any(s.startswith(("FLEET_B", "FLEET_C")) for s in seen)

    again = studio("migrate", "--fleet", "--yes")
    assert again.exit_code == 0, again.output
    assert lines(again)["FLEET_A"].startswith(f"done, applied {V3}")
    for url in (a, b, c):
        assert sql(url, "SELECT count(*) FROM pg_attribute WHERE attname = 'note'") == [(1,)]
