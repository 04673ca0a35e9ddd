"""The CLI as a newcomer meets it (issue 17), on one server: the embedded PostgreSQL.

None of these behaviours differs between server versions, so they run once.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from studio.cli import cli
from studio.demo import workspace
from studio.demo.writer import BackgroundWriter
from studio.migrations import files as migrations
from studio.migrations.files import Phase
from studio.run import runner
from studio.run.phases import ContractNotConfirmed
from studio.sources.devdb import lease
from studio.sources.devdb.binaries import available_servers
from studio.sources.devdb.idle import reaper_pid, server_of
from studio.sources.devdb.placement import clusters_root

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from studio.sources.devdb.cluster import Cluster

V1, V2 = "20250101000001", "20250101000002"


@pytest.fixture(scope="module")
def one_pg(_cluster_pool: Any) -> Cluster:
    """The embedded server's cluster (the `pg` fixture's, when it runs too)."""
    (b,) = [b for b in available_servers() if b.source == "embedded"][:1]
    return _cluster_pool.get(f"pg{b.major}", b)  # type: ignore[no-any-return]


@pytest.fixture
def one_url(one_pg: Cluster) -> Iterator[str]:
    """A fresh database on the embedded server."""
    name = f"t_{secrets.token_hex(6)}"
    url: str = asyncio.run(one_pg.create_database(name))
    yield url
    asyncio.run(one_pg.drop_database(name))


@pytest.fixture
def project(tmp_path: Path, one_url: str, one_pg: Cluster, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project declared in `schema.sql`, its dev databases on the test server."""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schema-studio]\nschema = "schema.sql"\ndev_url = "{one_pg.url()}"\n'
    )
    (tmp_path / "schema.sql").write_text("")
    (tmp_path / "migrations").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", one_url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    return tmp_path


def write(d: Path, version: str, slug: str, up: str, down: str | None = None) -> Path:
    path = d / f"{version}_{slug}.sql"
    path.write_text(up)
    if down is not None:
        (d / f"{version}_{slug}.down.sql").write_text(down)
    migrations.write_sum(d)
    return path


def studio(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    async def go() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(go())


def test_check_fails_on_a_database_behind_its_migrations(project: Path) -> None:
    """After a rollback the database is behind: not in sync, exit 2, the pending one named."""
    mdir = project / "migrations"
    write(mdir, V1, "a", "CREATE TABLE a (x int);\n", "DROP TABLE a;\n")
    write(mdir, V2, "b", "CREATE TABLE b (x int);\n", "DROP TABLE b;\n")
    (project / "schema.sql").write_text("CREATE TABLE a (x int);\nCREATE TABLE b (x int);\n")
    assert studio("migrate").exit_code == 0
    synced = studio("check")
    assert synced.exit_code == 0, synced.output
    assert studio("rollback", "--yes").exit_code == 0
    behind = studio("check")
    assert behind.exit_code == 2, behind.output
    assert "in sync" not in behind.stdout
    assert "the database is behind its migrations: 1 migration not applied" in behind.stdout
    assert f"{V2}_b" in behind.stdout
    data = studio("check", "--format", "json")
    assert data.exit_code == 2 and f'"{V2}_b"' in data.stdout


@pytest.fixture
def demo_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of the test's own for the demo's scratch project and clusters, deleted after."""
    tmp = Path(tempfile.mkdtemp(prefix="ss-demo-", dir="/tmp"))
    tmp.chmod(0o711)  # the server user (when run as root) reaches the clusters under it
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("STUDIO_DEVDB_DIR", str(tmp))
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


def demo_users(url: str) -> None:
    """The users the demo's orders reference (`start(rows=False)` made none)."""
    query(
        url,
        "INSERT INTO public.users (email, name, created_at)"
        " SELECT 'u' || g, 'U', now() FROM generate_series(1, 1000) g",
    )


def test_demo_deletes_what_it_made_and_says_why_a_write_failed(demo_tmp: Path) -> None:
    """The demo's cleanup path: its scratch project, its own cluster (73 MB after a headless
    run, 136 MB after a session, left behind before) and the dev cluster when the demo made
    it; the writer's line names why a write failed."""
    demo = asyncio.run(workspace.start(rows=False))
    assert demo.made_dev_cluster is not None  # none there yet: the demo's to delete
    # no write fails but by the column renamed under it
    demo_users(demo.url)
    writer = BackgroundWriter(demo.url, rate=100).start()
    query(demo.url, "ALTER TABLE public.orders RENAME COLUMN status TO state")
    for _ in range(200):
        if writer.stats.errors:
            break
        time.sleep(0.01)
    summary = writer.stop().summary()
    assert re.match(
        r"made [\d,]+ writes?: [\d,]+ to orders \([\d,]+ failed: column \"status\".*\),"
        r" [\d,]+ to users$",
        summary,
    ), summary
    # what the headless demo's diff does: materialize on the dev cluster, started for it,
    # and give it back warm (15 minutes, a reaper waiting to stop it)
    cluster, fd = lease.use_dev_cluster(demo.cluster.major)
    try:
        lease.release(cluster, fd, 900.0)
    finally:
        os.close(fd)
    assert cluster.home == demo.made_dev_cluster and cluster.home.is_dir()
    root = cluster.home.parent
    server = server_of(root, cluster.name)
    reaper = _reaper_of(root, cluster.name)
    assert server is not None and reaper is not None
    cleanup = workspace.stop(demo, keep=False)
    # quitting does not wait for the idle timeout: the server and its reaper are gone
    assert not _alive(server.pid) and not _alive(reaper)
    assert [label for label, _ in cleanup.deleted] == [
        "the scratch project",
        "the demo's PostgreSQL cluster",
        "the dev cluster it started",
    ]
    assert cleanup.left == ()
    left = sorted(str(p.relative_to(demo_tmp)) for p in demo_tmp.rglob("*"))
    # only the clusters' folder and the dev cluster's (empty) users file, kept on purpose
    assert left == [clusters_root().name, f"{clusters_root().name}/{cluster.name}.users"]


def test_demo_writer_keeps_writing_both_tables_through_both_expand_contract_pairs(
    demo_tmp: Path,
) -> None:
    """The demo's migrations applied under the writer as the demo applies them: both expands,
    the users contract, the orders contract left waiting. The writer writes orders through
    status all along, users through name until the contract drops it, then full_name; the
    summary counts both tables."""
    demo = asyncio.run(workspace.start(rows=False))
    try:
        demo_users(demo.url)
        every = migrations.load_directory(workspace.DEMO_MIGRATIONS)
        users_contract = next(
            m for m in every if m.phase is Phase.CONTRACT and "full_name" in m.name
        )
        writer = BackgroundWriter(demo.url, rate=100).start()
        try:
            _until(lambda: all(t.writes >= 10 for t in writer.stats.tables.values()))
            with pytest.raises(ContractNotConfirmed) as waiting:
                asyncio.run(
                    runner.apply(
                        demo.url, demo.settings, every, confirm_contract=users_contract.version
                    )
                )
            assert list(waiting.value.waiting) == [
                m.version for m in every if m.phase is Phase.CONTRACT and m is not users_contract
            ]
            ours = "SELECT count(*) FROM public.users WHERE email LIKE 'app-%'"
            ((after_contract,),) = query(demo.url, ours)
            _until(lambda: query(demo.url, ours)[0][0] >= after_contract + 10)
        finally:
            stats = writer.stop()
        assert stats.columns == ["orders.status", "users.name", "users.full_name"]
        orders, users = stats.tables["orders"], stats.tables["users"]
        # the old application's orders writes never failed; its users writes failed only once
        # name was dropped, then went on through full_name
        assert orders.errors == 0, orders
        assert users.errors >= 1 and 'column "name"' in users.first_error, users
        assert re.fullmatch(
            r"made [\d,]+ writes: [\d,]+ to orders, [\d,]+ to users \([\d,]+ failed: column"
            r" \"name\".*\)",
            stats.summary(),
        ), stats.summary()
        # the writes landed: every user the writer made has its full name, by the sync trigger,
        # the backfill or its own write; the orders through status have their enum status
        assert query(
            demo.url,
            "SELECT count(*) FROM public.users WHERE email LIKE 'app-%' AND full_name IS NULL",
        ) == [(0,)]
        assert query(
            demo.url,
            "SELECT count(*) = count(order_status) AND count(*) > 0 FROM public.orders",
        ) == [(True,)]
    finally:
        workspace.stop(demo, keep=False)


def _until(ready: Callable[[], bool], timeout: float = 60) -> None:
    """Wait until `ready()` (the writer, on its thread, gets on meanwhile)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, "the writer did not get that far"
        time.sleep(0.02)


def _reaper_of(root: Path, name: str) -> int | None:
    """The reaper of dev cluster `name`, given the moment it takes to start."""
    deadline = time.monotonic() + 30
    while (pid := reaper_pid(root, name)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return pid


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, exited and not yet waited for, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_status_after_push_says_pushed_and_which_side_has_what(project: Path) -> None:
    """`push` records itself beside the history: `status` says the database was pushed, ahead
    of its migrations, not "drift, 4 differences"; each difference says which side has it."""
    (project / "schema.sql").write_text(
        "CREATE TABLE public.tags (id bigint PRIMARY KEY, color text);\n"
        "CREATE TABLE public.notes (id bigint PRIMARY KEY);\n"
    )
    pushed = studio("push", "--yes")
    assert pushed.exit_code == 0, pushed.output
    assert "pushed 4 changes" in pushed.stderr
    status = studio("status")
    assert status.exit_code == 0, status.output
    out = " ".join(status.stdout.split())
    assert "drift" not in out
    assert "live schema: pushed " in out and "so ahead of its migrations: 4 differences" in out
    assert "table public.tags: in the database, not in the migrations" in out
    checked = studio("check")
    assert checked.exit_code == 2
    assert "table public.notes: in the database, not in the applied migrations" in checked.stdout


def test_init_adopts_an_existing_database(
    tmp_path: Path, one_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init --db URL --pull`: models of the database, a baseline migration recorded there as
    applied (no SQL run), and `check` in sync at once; a database with a history is refused
    before anything is written."""
    query(one_url, "CREATE TABLE public.tags (id bigint PRIMARY KEY, name text NOT NULL)")
    query(one_url, "INSERT INTO public.tags VALUES (1, 'a')")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    r = studio("init", "--db", one_url, "--pull")
    assert r.exit_code == 0, r.output
    section = (tmp_path / "pyproject.toml").read_text()
    assert 'schema = "models:Base"' in section and "postgresql://" not in section
    assert "class Tags(Base)" in (tmp_path / "models.py").read_text()
    (baseline,) = (tmp_path / "migrations").glob("*_baseline.sql")
    assert "CREATE TABLE public.tags" in baseline.read_text()
    assert query(one_url, "SELECT version, kind FROM schema_studio.migrations") == [
        (baseline.name[:14], "baseline")
    ]
    assert query(one_url, "SELECT count(*) FROM public.tags") == [(1,)]  # no SQL ran
    assert "next: schema-studio check" in r.stderr
    monkeypatch.setenv("DATABASE_URL", one_url)
    checked = studio("check")
    assert checked.exit_code == 0, checked.output
    assert "in sync: declared schema, migrations and database (1 applied)" in checked.stdout
    # a database that has a history already is refused, and nothing is written
    other = tmp_path.parent / f"{tmp_path.name}-other"  # no pyproject.toml above it
    other.mkdir()
    monkeypatch.chdir(other)
    refused = studio("init", "--db", one_url, "--schema", "migrations")
    assert refused.exit_code == 1 and "already records 1 migration" in refused.stderr
    assert list(other.iterdir()) == []


def test_generate_names_the_migration_and_why_it_has_no_down_file(project: Path) -> None:
    """No --name: named from its changes, whole words; no down file: the change named."""
    mdir = project / "migrations"
    write(
        mdir,
        V1,
        "mood",
        "CREATE TYPE public.mood AS ENUM ('ok');\n"
        "CREATE TABLE public.tags (id bigint PRIMARY KEY);\n",
    )
    (project / "schema.sql").write_text(
        "CREATE TYPE public.mood AS ENUM ('ok', 'meh');\n"
        "CREATE TABLE public.tags (id bigint PRIMARY KEY, color text, m public.mood);\n"
    )
    r = studio("generate")
    assert r.exit_code == 0, r.output
    (written,) = [p for p in mdir.glob("*.sql") if not p.name.startswith(V1)]
    assert written.name[15:] == "add_value_mood_and_2_more.sql", written.name
    assert "no down file: no inverse for add value 'meh' to enum public.mood" in r.stderr
    assert not list(mdir.glob("*.down.sql"))


def test_drop_removes_the_newest_unapplied_migration(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its down file goes too, a contract takes its expand with it, the sum is rewritten; an
    applied one is refused, and so is one no database can vouch for, unless --force."""
    mdir = project / "migrations"
    write(mdir, V1, "a", "CREATE TABLE a (x int);\n", "DROP TABLE a;\n")
    assert studio("migrate").exit_code == 0
    write(mdir, V2, "b", "CREATE TABLE b (x int);\n", "DROP TABLE b;\n")
    assert studio("drop").exit_code == 2  # no terminal: --yes is required
    r = studio("drop", "--yes")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in mdir.iterdir()) == [
        f"{V1}_a.down.sql",
        f"{V1}_a.sql",
        "schema-studio.sum",
    ]
    migrations.verify_sum(mdir)
    assert "has not applied it" in r.stderr
    refused = studio("drop", "--yes")
    assert refused.exit_code == 1 and f"{V1}_a.sql is applied on" in refused.stderr
    assert (mdir / f"{V1}_a.sql").exists()
    # an expand/contract pair goes together; another edit in the folder is never blessed
    step = [migrations.StepSpec(("SELECT 1",))]
    v3, v4 = "20250101000003", "20250101000004"
    for version, slug, phase in (
        (v3, "x_expand", Phase.EXPAND),
        (v4, "x_contract", Phase.CONTRACT),
    ):
        text = migrations.render_migration(version, step, phase=phase)
        migrations.write_migration(mdir, version, slug, text)
    (mdir / f"{V1}_a.down.sql").write_text("DROP TABLE a CASCADE;\n")
    edited = studio("drop", "--yes")
    assert edited.exit_code == 1 and f"{V1}_a.down.sql was modified" in edited.stderr
    assert studio("hash").exit_code == 0
    monkeypatch.delenv("DATABASE_URL")
    unknown = studio("drop", "--yes")
    assert unknown.exit_code == 1 and "no database to tell whether" in unknown.stderr
    forced = studio("drop", "--yes", "--force", "--format", "json")
    assert forced.exit_code == 0, forced.output
    assert f'"dropped": ["{v3}", "{v4}"]' in forced.stdout
    assert not list(mdir.glob("2025010100000[34]*"))
    migrations.verify_sum(mdir)
