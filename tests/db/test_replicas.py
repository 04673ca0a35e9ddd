"""Replicas and poolers: a backfill waits for a lagging hot standby; PgBouncer's transactions.

The standby is `pg_basebackup -R` of the test primary (PostgreSQL 18 and
15), started beside it; its replay is paused (`pg_wal_replay_pause()`), so
it falls behind as the batches go on; then it is stopped (disconnected) and
started again, and catches up. PgBouncer (the Debian package) runs in front
of the primary as the unprivileged server user, on loopback, with its own
configuration in a folder of its own, one database alias per pool mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner

from studio.catalog.connect import connect
from studio.cli import cli
from studio.cli.progress import ProgressPrinter
from studio.commands.lint import lint_project
from studio.commands.preview import preview_steps
from studio.config import Settings
from studio.errors import DevDbError
from studio.migrations import files as migrations
from studio.run import backfill, replicas, runner
from studio.run.events import BackfillPaused, BackfillProgress, BackfillResumed, Event
from studio.run.replicas import ReplicaLagHidden
from studio.sources.devdb.binaries import available_servers
from studio.sources.devdb.cluster import Cluster, discard
from studio.sources.devdb.osuser import os_user
from studio.sources.devdb.process import server_env
from studio.sources.devdb.standby import start_standby

if TYPE_CHECKING:
    from collections.abc import Iterator

ROWS, BATCH = 4000, 200
# the standby reports where it stands every second (10 s by default), so a pause ends soon
STANDBY = "-c wal_receiver_status_interval=1"

BACKFILL = """-- schema-studio:step
-- schema-studio:backfill
-- backfill public.items.w from v
-- backfill table=public.items key=id batch_size={batch}
UPDATE public.items SET w = v * 2, writes = writes + 1
WHERE id >= $1 AND id <= $2 AND w IS NULL;
"""


def _majors() -> list[Any]:
    """PostgreSQL 18 (the embedded server) and 15, as tests/conftest.py keys their clusters."""
    found = {b.major: b for b in reversed(available_servers())}  # the embedded one wins
    return [pytest.param((f"pg{m}", found.get(m)), id=f"pg{m}") for m in (18, 15)]


@pytest.fixture(scope="module", params=_majors())
def primary(request: pytest.FixtureRequest, _cluster_pool: Any) -> Cluster:
    """The worker's shared cluster of that version: its WAL level and senders suffice."""
    key, binaries = request.param
    if binaries is None:
        raise DevDbError(f"no {key} server on this machine: the standby test needs it")
    cluster: Cluster = _cluster_pool.get(key, binaries)
    return cluster


async def _until(what: str, check: Any, timeout: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (found := await check()):
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
    return found


async def test_backfill_pauses_for_a_lagging_standby_and_resumes_every_row_once(
    primary: Cluster, _cluster_pool: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"t_{secrets.token_hex(6)}"
    url = await primary.create_database(db)
    root, name = primary.home.parent, f"{primary.name}-standby"
    with _cluster_pool.leased(name):
        standby = start_standby(primary, name, root, settings=STANDBY)
        try:
            await _run(primary, standby, url, db, tmp_path, capsys)
        finally:
            discard(name, root)
            await primary.drop_database(db)


async def _run(
    primary: Cluster,
    standby: Cluster,
    url: str,
    db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    conn = await primary.connect(db)
    await conn.execute(
        "CREATE TABLE items (id bigint PRIMARY KEY, v int NOT NULL, w int,"
        " writes int NOT NULL DEFAULT 0);"
        f" INSERT INTO items (id, v) SELECT g, g FROM generate_series(1, {ROWS}) g"
    )

    async def replica_count() -> int:
        reader = await standby.connect(db)
        try:
            return int(await reader.fetchval("SELECT count(*) FROM items WHERE w IS NOT NULL"))
        finally:
            await reader.close()

    async def replica_has_the_rows() -> bool:
        reader = await standby.connect(db)
        try:
            return bool(await reader.fetchval("SELECT count(*) = $1 FROM items", ROWS))
        except Exception:  # noqa: BLE001  (the database or table is not replayed yet)
            return False
        finally:
            await reader.close()

    await _until("the standby to replay the table", replica_has_the_rows)
    # a role that cannot see the standby's lag is refused, before any batch; pg_monitor sees it
    role = f"r_{secrets.token_hex(4)}"
    await conn.execute(f"CREATE ROLE {role} LOGIN")
    blind = await asyncpg.connect(host=primary.host, port=primary.port, user=role, database=db)
    try:
        with pytest.raises(ReplicaLagHidden) as hidden:
            await replicas.ReplicaThrottle(blind, 10.0).sample()
        assert hidden.value.message == (
            "cannot read the replay lag of 1 standby streaming from the target:"
            f" pg_stat_replication hides it from role {role}"
        )
        assert hidden.value.hint.startswith(f"GRANT pg_monitor TO {role}; or set max_replica_lag")
        await conn.execute(f"GRANT pg_monitor TO {role}")
        (seen,) = await replicas.ReplicaThrottle(blind, 10.0).sample()
        assert seen.name == "walreceiver@127.0.0.1" and seen.state == "streaming"
    finally:
        await blind.close()
        await conn.execute(f"DROP ROLE {role}")
    admin = await standby.connect()
    await admin.execute("SELECT pg_wal_replay_pause()")
    await admin.close()

    (tmp_path / "migrations").mkdir()
    path = tmp_path / "migrations" / "20260101000000_fill_w.sql"
    path.write_text(BACKFILL.format(batch=BATCH))
    m = migrations.parse_file(path)
    settings = Settings(root=tmp_path, max_replica_lag=0.3)
    events: list[Event] = []
    paused, gone = asyncio.Event(), asyncio.Event()

    def sink(e: Event) -> None:
        events.append(e)
        if isinstance(e, BackfillPaused):
            paused.set()
            if e.standby.disconnected:
                gone.set()

    run = asyncio.create_task(
        runner.apply(
            url,
            settings,
            [m],
            on_event=sink,
            backfills=backfill.Options(pause=0.05, replica_poll=0.1),
        )
    )
    # replay is paused: the standby falls behind as the batches go on, until they wait
    await asyncio.wait_for(paused.wait(), 30)
    first = next(e for e in events if isinstance(e, BackfillPaused))
    assert first.standby.name == "walreceiver@127.0.0.1"
    assert first.standby.lag is not None and first.standby.lag > 0.3
    assert first.standby.bytes_behind and first.limit == 0.3 and first.resume_below == 0.15
    done_at_pause = await conn.fetchval("SELECT count(*) FROM items WHERE writes > 0")
    assert 0 < done_at_pause < ROWS
    await asyncio.sleep(0.6)
    assert await conn.fetchval("SELECT count(*) FROM items WHERE writes > 0") == done_at_pause
    # the standby goes away: it counts as behind, the batches keep waiting
    standby.stop(force=True)
    await asyncio.wait_for(gone.wait(), 30)
    assert not run.done()
    # back (its replay no longer paused): it catches up, and the batches go on
    standby = standby._start(STANDBY)
    await asyncio.wait_for(run, 60)

    kinds = [type(e) for e in events]
    resumed = kinds.index(BackfillResumed)
    assert kinds.index(BackfillPaused) < resumed
    assert BackfillProgress not in kinds[kinds.index(BackfillPaused) : resumed]
    end = next(e for e in events if isinstance(e, BackfillResumed))
    assert end.standby is not None and end.standby.lag is not None and end.standby.lag < 0.15
    assert end.paused_for >= 0.6
    # every row written once, before and after the pause
    assert await conn.fetchval("SELECT count(*) FROM items WHERE writes = 1 AND w = v * 2") == ROWS
    await conn.close()
    await _until("the standby to replay the backfill", lambda: _is(replica_count, ROWS))

    # lint, with the target read: its standby replays a rewrite's ACCESS EXCLUSIVE
    retype = tmp_path / "migrations" / "20260102000000_v_bigint.sql"
    retype.write_text(
        "-- schema-studio:step\nALTER TABLE public.items ALTER COLUMN v TYPE bigint;\n"
    )
    report = await lint_project(Settings(root=tmp_path, db_override=url))
    assert "hot standbys streaming from the target: 1; 0 tables published" in report.notes
    assert "exclusive-lock-on-standbys" in {f.hazard.id for f in report.active()}

    printer = ProgressPrinter(tty=False)
    for e in events:
        printer.handle(e)
    err = capsys.readouterr().err
    assert "paused: standby walreceiver@127.0.0.1 " in err
    assert " behind in replay (" in err and "(max_replica_lag 0.3 s)" in err
    assert "standby walreceiver@127.0.0.1 disconnected: counted as behind" in err
    assert "resumed after " in err


async def _is(read: Any, value: int) -> bool:
    return bool(await read() == value)


# --- PgBouncer ------------------------------------------------------------------------------------


@contextlib.contextmanager
def pgbouncer(cluster: Cluster, database: str) -> Iterator[int]:
    """PgBouncer in front of `database`: alias `tx` pools transactions, `sess` sessions; its port.

    Run as the server's unprivileged user when we are root (it refuses root),
    from an environment built from nothing, stopped by its own pid.
    """
    exe = shutil.which("pgbouncer", path="/usr/sbin:/usr/bin:/sbin:/bin")
    assert exe, "pgbouncer is not installed: apt-get install -y pgbouncer (.ci/run does)"
    home = Path(tempfile.mkdtemp(prefix="sst-pgbouncer-"))
    user = os_user()
    ids = pwd.getpwnam(user) if user else None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    target = f"host={cluster.host} port={cluster.port} dbname={database}"
    files = {
        "pgbouncer.ini": f"""[databases]
tx = {target} pool_mode=transaction
sess = {target} pool_mode=session
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {home}/users.txt
logfile = {home}/pgbouncer.log
""",
        "users.txt": '"postgres" ""\n',
    }
    for name, text in files.items():
        (home / name).write_text(text)
    if ids is not None:
        for path in (home, *(home / n for n in files)):
            os.chown(path, ids.pw_uid, ids.pw_gid)
    as_user: dict[str, Any] = (
        {"user": ids.pw_uid, "group": ids.pw_gid, "extra_groups": []} if ids else {}
    )
    proc = subprocess.Popen(
        [exe, str(home / "pgbouncer.ini")],
        env=server_env(),
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **as_user,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            assert proc.poll() is None, (home / "pgbouncer.log").read_text()[-500:]
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert time.monotonic() < deadline, "pgbouncer did not listen within 10 s"
            time.sleep(0.02)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize("primary", _majors()[:1], indirect=True)
def test_transaction_pooling_is_refused_in_one_line_and_session_pooling_is_not(
    primary: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"t_{secrets.token_hex(6)}"
    asyncio.run(primary.create_database(db))
    (tmp_path / "pyproject.toml").write_text("[tool.schema-studio]\n")
    (tmp_path / "migrations").mkdir()
    up = "-- schema-studio:step\n-- make a\nCREATE TABLE a (x int);\n"
    migrations.write_migration(tmp_path / "migrations", "20260101000000", "a", up)
    monkeypatch.chdir(tmp_path)
    try:
        with pgbouncer(primary, db) as port:
            pooled = f"postgresql://postgres@127.0.0.1:{port}"
            refused = CliRunner().invoke(cli, ["migrate", "--yes", "--db", f"{pooled}/tx"])
            assert refused.exit_code == 1, refused.output
            first, hint = refused.stderr.splitlines()
            assert first == (
                f"error: {pooled}/tx pools transactions (PgBouncer pool_mode = transaction, or"
                " alike): the migration lock, a session advisory lock, would not hold there;"
                " connect the migrator to PostgreSQL directly"
            )
            assert "PostgreSQL's own host and port" in hint and "Traceback" not in refused.output
            # nothing ran: no history, no advisory lock left on a pooled server session
            assert asyncio.run(_facts(primary, db)) == (False, 0)
            applied = CliRunner().invoke(cli, ["migrate", "--yes", "--db", f"{pooled}/sess"])
            assert applied.exit_code == 0, applied.stderr
            assert asyncio.run(_facts(primary, db)) == (True, 0)
            # read-only commands: PgBouncer refuses the read-only startup parameter; a session
            # pool gets a SET instead (and is read-only), a transaction pool one line
            status = CliRunner().invoke(cli, ["status", "--db", f"{pooled}/sess"])
            assert status.exit_code == 0, status.output
            assert "20260101000000" in status.stdout
            assert asyncio.run(_read_only(f"{pooled}/sess")) == "on"
            tx = CliRunner().invoke(cli, ["status", "--db", f"{pooled}/tx"])
            assert tx.exit_code == 1 and "Traceback" not in tx.output
            assert tx.stderr.splitlines()[0] == (
                f"error: {pooled}/tx pools transactions (PgBouncer pool_mode = transaction, or"
                " alike): a read-only session would not hold there; connect to PostgreSQL"
                " directly"
            )
    finally:
        asyncio.run(primary.drop_database(db))


async def _read_only(url: str) -> str:
    """The read-only default of a read-only session opened through `url`."""
    conn = await connect(url, read_only=True)
    try:
        return str(await conn.fetchval("SHOW default_transaction_read_only"))
    finally:
        await conn.close()


async def _facts(cluster: Cluster, db: str) -> tuple[bool, int]:
    """Whether table `a` exists, and how many advisory locks are held, read directly."""
    conn = await cluster.connect(db)
    try:
        made = await conn.fetchval("SELECT to_regclass('public.a') IS NOT NULL")
        held = await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        return bool(made), int(held)
    finally:
        await conn.close()


# --- lint and the preview, with the target read -------------------------------------------------


@pytest.mark.parametrize("primary", _majors()[:1], indirect=True)
async def test_lint_and_preview_know_the_targets_publications_and_its_lack_of_standbys(
    primary: Cluster, tmp_path: Path
) -> None:
    db = f"t_{secrets.token_hex(6)}"
    url = await primary.create_database(db)
    try:
        conn = await primary.connect(db)
        await conn.execute(
            "CREATE TABLE orders (id int PRIMARY KEY, note text, total int);"
            " CREATE TABLE events (id int PRIMARY KEY);"
            " CREATE PUBLICATION orders_pub FOR TABLE orders"
        )
        await conn.close()
        (tmp_path / "migrations").mkdir()
        path = tmp_path / "migrations" / "20260101000000_orders.sql"
        path.write_text(
            "-- schema-studio:step\nALTER TABLE public.orders ADD COLUMN paid boolean;\n"
            "-- schema-studio:step\nALTER TABLE public.orders DROP COLUMN note;\n"
            "-- schema-studio:step\nALTER TABLE public.events ALTER COLUMN id TYPE bigint;\n"
        )
        settings = Settings(root=tmp_path, db_override=url)
        report = await lint_project(settings)
        found = {(f.hazard.id, f.line): f.detail for f in report.active()}
        assert found[("published-table-change", 2)] == (
            "public.orders is in publication orders_pub: ADD COLUMN paid is additive:"
            " apply it on the subscribers first, then here"
        )
        assert found[("published-table-change", 4)].endswith(
            "DROP COLUMN note is destructive: apply it here first, then on the subscribers"
        )
        assert ("published-table-change", 6) not in found  # events is in no publication
        # no standby streams from the target: its rewrite's lock is replayed nowhere
        assert "hot standbys streaming from the target: 0; 1 table published" in report.notes
        assert not any(h == "exclusive-lock-on-standbys" for h, _ in found)
        unread = await lint_project(Settings(root=tmp_path))  # no database: not known
        assert "exclusive-lock-on-standbys" in {f.hazard.id for f in unread.active()}

        preview = await preview_steps(settings, url, migrations.parse_file(path))
        assert preview.standbys == 0
        first, second, third = (s.replicas for s in preview.steps)
        assert first == (found[("published-table-change", 2)],)
        assert second == (found[("published-table-change", 4)],)
        assert third == ()  # a tiny table: its lock is brief, and no standby replays it
        assert f"replica: {first[0]}" in preview.steps[0].lines()
    finally:
        await primary.drop_database(db)
