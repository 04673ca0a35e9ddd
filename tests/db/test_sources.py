"""Materializing declared sources: streamed in groups, named failures, the collector resumed.

A SQLAlchemy source's DDL runs on the dev server as it is compiled, a few
hundred statements per round trip; these tests hold that to what one script
of the same statements gives, and check what happens when a statement in a
later group fails or cannot run in a transaction.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from studio.catalog import introspect as catalog_introspect
from studio.catalog.introspect import introspect
from studio.config import Settings
from studio.errors import SourceError
from studio.sources import declared, materialize
from studio.sources.devdb import lease
from studio.sources.devdb.cluster import Cluster, discard
from studio.sources.devdb.lease import dev_cluster, use_dev_cluster
from studio.sources.devdb.placement import clusters_root, tmpfs_parent
from studio.sources.load import load
from studio.sources.materialize import Batch
from studio.sources.spec import Source, parse_source

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.model import Schema


def _models(n: int, bad_at: int | None = None) -> str:
    """`n` tables chained by foreign keys, an enum, indexes.

    Table `bad_at` has a default that fails.
    """
    lines = [
        "from sqlalchemy import BigInteger, Enum,"
        " ForeignKey, Identity, Index, Integer, String, text",
        "from sqlalchemy.orm import DeclarativeBase, mapped_column",
        "",
        "class Base(DeclarativeBase):",
        "    pass",
        "",
        "STATE = Enum('new', 'done', name='state', metadata=Base.metadata)",
    ]
    for i in range(1, n + 1):
        default = "text('no_such_function()')" if i == bad_at else "text('0')"
        parent = f", ForeignKey('t{i - 1:04}.id', ondelete='CASCADE')" if i > 1 else ""
        lines += [
            "",
            f"class T{i:04}(Base):",
            f"    __tablename__ = 't{i:04}'",
            f"    __table_args__ = (Index('t{i:04}_code_idx', 'code'),)",
            "    id = mapped_column(BigInteger, Identity(), primary_key=True)",
            f"    parent_id = mapped_column(BigInteger{parent})",
            "    code = mapped_column(String(20), nullable=False, unique=True)",
            f"    n = mapped_column(Integer, nullable=False, server_default={default})",
            "    state = mapped_column(STATE, nullable=False, server_default='new')",
        ]
    return "\n".join(lines) + "\n"


def _project(tmp_path: Path, text: str, package: str) -> Path:
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "models.py").write_text(text)
    return tmp_path


def _settings(tmp_path: Path, dev_url: str) -> Settings:
    return Settings(root=tmp_path, dev_url=dev_url)


def _ddl(source: Source, settings: Settings) -> list[str]:
    """The statements the SQLAlchemy producer emits, in order."""
    emitted: list[Batch] = []
    declared._sqlalchemy_ddl(source, settings, emitted.append)
    return [batch.script for batch in emitted]


async def test_streamed_groups_give_what_one_script_gives(tmp_path: Path, db_url: str) -> None:
    # 150 tables: 1 enum + 150 tables + 150 indexes = 301 statements, two round trips and a bit
    project = _project(tmp_path, _models(150), "streamapp")
    settings = _settings(project, db_url)
    source = parse_source("streamapp.models:Base", settings)
    statements = _ddl(source, settings)
    assert len(statements) > materialize._GROUP
    streamed = await load(source, settings, use_cache=False)
    (project / "one.sql").write_text(";\n".join(statements) + ";\n")
    whole = await load(parse_source("one.sql", settings), settings, use_cache=False)
    assert streamed.schema == whole.schema
    assert len(streamed.schema.tables) == 150
    assert streamed.declared_schemas == ("public",)


async def test_failure_in_a_later_group_names_its_statement(tmp_path: Path, db_url: str) -> None:
    project = _project(tmp_path, _models(150, bad_at=120), "badapp")
    settings = _settings(project, db_url)
    source = parse_source("badapp.models:Base", settings)
    with pytest.raises(SourceError) as e:
        await load(source, settings, use_cache=False)
    assert "function no_such_function() does not exist" in e.value.message
    assert "(in: CREATE TABLE t0120 (" in e.value.message
    assert e.value.message.startswith("badapp.models:Base")


async def test_statement_outside_a_transaction_among_others(tmp_path: Path, db_url: str) -> None:
    # files run in name order; b.sql cannot run in a transaction block, a.sql and c.sql can
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "a.sql").write_text("CREATE TABLE a (id int PRIMARY KEY, v text);\n")
    (folder / "b.sql").write_text("CREATE INDEX CONCURRENTLY a_v_idx ON a (v);\n")
    (folder / "c.sql").write_text(
        "CREATE TABLE c (id int REFERENCES a);\nCREATE INDEX c_id_idx ON c (id);\n"
    )
    settings = _settings(tmp_path, db_url)
    loaded = await load(parse_source(str(folder), settings), settings, use_cache=False)
    tables = {t.name: t for t in loaded.schema.tables.values()}
    assert set(tables) == {"a", "c"}
    assert {i.name for i in tables["a"].indexes} >= {"a_v_idx"}
    assert {i.name for i in tables["c"].indexes} == {"c_id_idx"}


@pytest.mark.parametrize("enabled", [True, False])
async def test_collector_is_as_it_was_after_a_load(
    tmp_path: Path, db_url: str, enabled: bool
) -> None:
    project = _project(tmp_path, _models(3), f"gcapp{int(enabled)}")
    settings = _settings(project, db_url)
    source = parse_source(f"gcapp{int(enabled)}.models:Base", settings)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        await load(source, settings, use_cache=False)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
        gc.unfreeze()


def _tables_sql(n: int, bad_at: int | None = None) -> str:
    """`n` tables of two statements each, each statement starting on its own line."""
    out = []
    for i in range(1, n + 1):
        ref = "no_such_table" if i == bad_at else "t0001"
        fk = f" REFERENCES {ref} (id)" if i > 1 else ""
        out.append(
            f"-- table {i}\nCREATE TABLE t{i:04} (\n  id int PRIMARY KEY,\n  p int{fk}\n);\n"
        )
        out.append(f"CREATE INDEX t{i:04}_p_idx ON t{i:04} (p);\n")
    return "".join(out)


async def test_big_sql_file_runs_in_groups_and_names_the_line(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url)
    (tmp_path / "schema.sql").write_text(_tables_sql(150))
    batches = list(declared._sql_batches((tmp_path / "schema.sql").read_text(), "schema.sql"))
    assert len(batches) == 300  # split: one batch per statement
    loaded = await load(parse_source("schema.sql", settings), settings, use_cache=False)
    assert len(loaded.schema.tables) == 150
    # table 140's comment is on line 1 + 139 * 6,
    # its CREATE TABLE (no position for this error) below
    (tmp_path / "schema.sql").write_text(_tables_sql(150, bad_at=140))
    with pytest.raises(SourceError) as e:
        await load(parse_source("schema.sql", settings), settings, use_cache=False)
    assert e.value.message.endswith(
        f'schema.sql:{139 * 6 + 2}: relation "no_such_table" does not exist'
        " (in: CREATE TABLE t0140 ()"
    )


async def test_big_sql_file_with_transaction_control_runs_whole(
    tmp_path: Path, db_url: str
) -> None:
    settings = _settings(tmp_path, db_url)
    script = "BEGIN;\nSET LOCAL lock_timeout = '1s';\n" + _tables_sql(150) + "COMMIT;\n"
    (tmp_path / "schema.sql").write_text(script)
    assert len(list(declared._sql_batches(script, "schema.sql"))) == 1
    loaded = await load(parse_source("schema.sql", settings), settings, use_cache=False)
    assert len(loaded.schema.tables) == 150


async def test_big_sql_file_runs_in_groups_up_to_its_transaction_control(
    tmp_path: Path, db_url: str
) -> None:
    """From the first BEGIN on, the file runs as written; the same schema as the file run whole."""
    settings = _settings(tmp_path, db_url)
    block = (
        "BEGIN;\nSET LOCAL search_path = extra, public;\n"
        "CREATE TABLE in_extra (id int REFERENCES public.t0001 (id));\nCOMMIT;\n"
    )
    script = "CREATE SCHEMA extra;\n" + _tables_sql(150) + block + "CREATE TABLE after (id int);\n"
    batches = list(declared._sql_batches(script, "schema.sql"))
    assert len(batches) == 1 + 300 + 1
    assert batches[-1].script == script[script.index("BEGIN;") :]
    assert batches[-1].line == 1 + 150 * 6 + 1
    (tmp_path / "schema.sql").write_text(script)
    grouped = await load(parse_source("schema.sql", settings), settings, use_cache=False)
    whole = await _load_batches(settings, [Batch(script, "schema.sql")])
    assert grouped.schema == whole
    assert {t.key for t in grouped.schema.tables.values()} >= {"extra.in_extra", "public.after"}


async def _load_batches(settings: Settings, batches: list[Batch]) -> Schema:
    """The schema `batches` make in a throwaway database of `settings`' dev server."""
    async with lease.dev_database(settings) as conn:
        await materialize.run_batches(conn, batches)
        return await introspect(conn)


def test_big_sql_file_with_a_rollback_is_split_before_it_runs(tmp_path: Path) -> None:
    """A ROLLBACK undoes what ran before it in the file's transaction: such a file runs whole."""
    script = _tables_sql(150) + "BEGIN;\nCREATE TABLE undone (id int);\nROLLBACK;\n"
    assert len(list(declared._sql_batches(script, "schema.sql"))) == 1
    no_control = _tables_sql(150) + "CREATE TABLE rollback_log (id int);\n"
    assert len(list(declared._sql_batches(no_control, "schema.sql"))) == 301


def test_big_sql_file_gives_its_first_statements_before_lexing_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server starts on a big file while the lexer is still on its way to the end."""
    import pglast.parser

    lexed: list[int] = []
    real = pglast.parser.scan
    monkeypatch.setattr(pglast.parser, "scan", lambda text: lexed.append(len(text)) or real(text))
    script = _tables_sql(4_000)  # 8,000 statements, 0.5 MB
    batches = iter(declared._sql_batches(script, "schema.sql"))
    first = next(batches)
    assert first.script.startswith("CREATE TABLE t0001 (") and first.line == 2
    assert sum(lexed) < len(script) / 10
    assert len(list(batches)) == 8_000 - 1


async def test_big_sql_file_names_its_unterminated_quote_before_a_failing_statement(
    tmp_path: Path, db_url: str
) -> None:
    """The lexer's complaint comes first wherever it is, as when the file was split whole first."""
    settings = _settings(tmp_path, db_url)
    script = (
        "CREATE TABLE t0000 (id int REFERENCES no_such_table (id));\n"
        + _tables_sql(2_000)
        + "CREATE TABLE t (v text DEFAULT 'open);\n"
    )
    (tmp_path / "schema.sql").write_text(script)
    for _ in range(3):
        with pytest.raises(SourceError) as e:
            await load(parse_source("schema.sql", settings), settings, use_cache=False)
        assert "unterminated quoted string" in e.value.message


def test_big_sql_file_gives_the_statements_before_an_unterminated_quote(
    tmp_path: Path,
) -> None:
    script = _tables_sql(2_000) + "CREATE TABLE t (v text DEFAULT 'open);\n"
    batches = iter(declared._sql_batches(script, "schema.sql"))
    assert next(batches).script.startswith("CREATE TABLE t0001 (")
    with pytest.raises(SourceError) as e:
        list(batches)
    assert e.value.message.startswith(f"schema.sql:{2_000 * 6 + 1}: unterminated quoted string")


async def test_a_large_declared_schema_is_read_back_on_two_connections(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a live database is: the server reads on two cores while the studio decodes."""
    monkeypatch.setattr(catalog_introspect, "PARALLEL_MIN_RELATIONS", 2)
    opened: list[int] = []
    real = catalog_introspect._Helper.__init__

    def helper(self: Any, connect: Any, *args: Any) -> None:
        async def counted() -> Any:
            conn = await connect()
            opened.append(conn.get_server_pid())
            return conn

        real(self, counted, *args)

    monkeypatch.setattr(catalog_introspect._Helper, "__init__", helper)
    settings = _settings(tmp_path, db_url)
    (tmp_path / "schema.sql").write_text(_tables_sql(3))
    loaded = await load(parse_source("schema.sql", settings), settings, use_cache=False)
    assert len(loaded.schema.tables) == 3 and len(opened) == 1
    one = await _load_batches(settings, [Batch(_tables_sql(3), "schema.sql")])
    assert loaded.schema == one


async def test_big_sql_file_keeps_a_begin_atomic_body_in_one_statement(
    tmp_path: Path, db_url: str
) -> None:
    """Split the way psql splits: the `;` inside a SQL-standard body does not end the function."""
    settings = _settings(tmp_path, db_url)
    body = "BEGIN ATOMIC\n  SELECT 1;\n  SELECT count(*) FROM t0001;\nEND;\n"
    script = _tables_sql(150) + f"CREATE FUNCTION n() RETURNS bigint LANGUAGE sql\n{body}"
    batches = list(declared._sql_batches(script, "schema.sql"))
    assert batches[-1].script.endswith("END") and len(batches) == 301
    (tmp_path / "schema.sql").write_text(script)
    loaded = await load(parse_source("schema.sql", settings), settings, use_cache=False)
    assert [f.name for f in loaded.schema.functions.values()] == ["n"]


@pytest.fixture
def private_dev_clusters(monkeypatch: pytest.MonkeyPatch, pg_major: int) -> Iterator[None]:
    """A clusters folder of the test's own, so no other test's dev server is involved.

    On tmpfs when it has room, traversable by the server's user when we are root; the dev
    server left in it, if any, is destroyed afterwards.
    """
    parent = Path(tempfile.mkdtemp(prefix="ss-devdb-", dir=tmpfs_parent()))
    parent.chmod(0o711)
    monkeypatch.setenv("STUDIO_DEVDB_DIR", str(parent))
    try:
        yield
    finally:
        discard(f"dev-pg{pg_major}", clusters_root())
        shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.usefixtures("private_dev_clusters")
async def test_loads_side_by_side_share_one_dev_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_major: int
) -> None:
    started: list[Cluster] = []
    real = use_dev_cluster

    def counting(major: int | None = None) -> tuple[Cluster, int]:
        cluster, fd = real(major)
        started.append(cluster)
        return cluster, fd

    monkeypatch.setattr(lease, "use_dev_cluster", counting)
    project = _project(tmp_path, _models(20), "leaseapp")
    (project / "schema.sql").write_text(_tables_sql(20))
    settings = Settings(root=project)
    a, b = await asyncio.gather(
        load(
            parse_source("leaseapp.models:Base", settings),
            settings,
            major=pg_major,
            use_cache=False,
        ),
        load(
            parse_source("schema.sql", settings),
            settings,
            major=pg_major,
            use_cache=False,
        ),
    )
    assert len(a.schema.tables) == len(b.schema.tables) == 20
    assert len(started) == 1  # one server for both loads
    assert started[0].started_by_us
    # the last load stopped it: no server runs in the private folder
    assert not (started[0].datadir / "postmaster.pid").exists()


@pytest.mark.usefixtures("private_dev_clusters")
async def test_a_server_whose_starter_exited_is_stopped_by_its_last_user(
    tmp_path: Path, pg_major: int
) -> None:
    # another process starts the dev server and exits without stopping it (another
    # schema-studio command was still connected then, say)
    code = f"from studio.sources.devdb.lease import dev_cluster; dev_cluster({pg_major})"
    started = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    cluster = dev_cluster(pg_major)
    assert not cluster.started_by_us and cluster.orphaned
    assert (cluster.datadir / "postmaster.pid").exists()
    (tmp_path / "schema.sql").write_text(_tables_sql(3))
    settings = Settings(root=tmp_path)
    loaded = await load(
        parse_source("schema.sql", settings), settings, major=pg_major, use_cache=False
    )
    assert len(loaded.schema.tables) == 3
    # this process used it last: it stopped the server the exited one had left
    assert not (cluster.datadir / "postmaster.pid").exists()
    # a server whose starter is alive is not orphaned (this process's parent, here)
    again = dev_cluster(pg_major)
    assert again.started_by_us and not again.orphaned
    (again.home / "starter").write_text(f"{os.getppid()}\n")
    assert not Cluster.ensure(again.name, again.binaries, root=again.home.parent).orphaned


@pytest.mark.usefixtures("private_dev_clusters")
async def test_a_server_in_use_by_another_process_is_not_stopped(
    tmp_path: Path, pg_major: int
) -> None:
    """A process done with the server it started leaves it to another still using it."""
    # the other process: takes the server as a load does, says so, waits to be told to finish
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import sys; from studio.sources.devdb.lease import use_dev_cluster\n"
        f"cluster, fd = use_dev_cluster({pg_major})\n"
        "print(cluster.port, flush=True); sys.stdin.readline()\n"
        "import os; os.close(fd)\n",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert other.stdout is not None and other.stdin is not None
        port = int(await asyncio.wait_for(other.stdout.readline(), 120))
        # the server's starter on record has exited: its last user is to stop it
        gone = await asyncio.create_subprocess_exec("true")
        await gone.wait()
        cluster = dev_cluster(pg_major)
        (cluster.home / "starter").write_text(f"{gone.pid}\n")
        assert dev_cluster(pg_major).orphaned
        (tmp_path / "schema.sql").write_text(_tables_sql(3))
        settings = Settings(root=tmp_path)
        loaded = await load(
            parse_source("schema.sql", settings), settings, major=pg_major, use_cache=False
        )
        assert len(loaded.schema.tables) == 3
        # ... but the other one still uses it: it runs, on the same port
        assert (cluster.datadir / "postmaster.pid").exists()
        assert dev_cluster(pg_major).port == port
        other.stdin.write(b"done\n")
        await other.stdin.drain()
        assert await asyncio.wait_for(other.wait(), 60) == 0
    finally:
        if other.returncode is None:
            other.kill()
            await other.wait()
    # alone now, a load of this process stops it when done
    await load(parse_source("schema.sql", settings), settings, major=pg_major, use_cache=False)
    assert not (cluster.datadir / "postmaster.pid").exists()


def _baseline_dir(tmp_path: Path, body: str) -> Path:
    """A migrations folder of one migration with one explicit step holding `body`."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20260101000000_base.sql").write_text(
        f"-- a baseline\n\n-- schema-studio:step\n-- the tables\n{body}"
    )
    return folder


def _replayed(folder: Path, settings: Settings) -> list[Batch]:
    emitted: list[Batch] = []
    source = Source(declared.SourceKind.MIGRATIONS, "migrations", folder)
    declared._migration_ddl(source, settings, emitted.append)
    return emitted


async def test_a_big_step_replays_in_groups_of_statements(tmp_path: Path, db_url: str) -> None:
    """A squash baseline's step of many statements runs as `_GROUP`s, not one transaction."""
    settings = _settings(tmp_path, db_url)
    folder = _baseline_dir(tmp_path, _tables_sql(60))
    batches = _replayed(folder, settings)
    assert len(batches) == 120  # one per statement: run_batches groups them
    assert {b.where for b in batches} == {"20260101000000_base.sql step 1"}
    assert [b.line for b in batches[:3]] == [1, 5, 7]  # the lines in the step's SQL
    replayed = await load(Source(declared.SourceKind.MIGRATIONS, "migrations", folder), settings)
    (tmp_path / "one.sql").write_text(_tables_sql(60))
    whole = await load(parse_source("one.sql", settings), settings, use_cache=False)
    assert replayed.schema == whole.schema
    assert len(replayed.schema.tables) == 60


async def test_a_failure_in_a_big_step_names_its_line_in_the_step(
    tmp_path: Path, db_url: str
) -> None:
    settings = _settings(tmp_path, db_url)
    folder = _baseline_dir(tmp_path, _tables_sql(60, bad_at=50))
    with pytest.raises(SourceError) as e:
        await load(Source(declared.SourceKind.MIGRATIONS, "migrations", folder), settings)
    # table 50's CREATE TABLE is on line 2 of its 6-line block: the step's SQL starts at table
    # 1's CREATE TABLE (its comment before is the step's annotation)
    assert e.value.message == (
        f'20260101000000_base.sql step 1:{49 * 6 + 1}: relation "no_such_table" does not exist'
        " (in: CREATE TABLE t0050 ()"
    )


def test_a_step_that_controls_its_transaction_replays_whole(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path)
    body = "SET LOCAL search_path = app, public;\n" + _tables_sql(3)
    batches = _replayed(_baseline_dir(tmp_path, body), settings)
    assert len(batches) == 1 and batches[0].script.startswith("SET LOCAL")
