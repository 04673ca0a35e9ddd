"""Local clusters against real servers: start, reuse, databases, auth, settings, lifecycle."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from studio.errors import DevDbError
from studio.sources.devdb.binaries import DEBIAN_ROOT, available_servers, binaries_at, find_binaries
from studio.sources.devdb.cluster import Cluster, discard
from studio.sources.devdb.process import _answers, server_env


async def test_server_is_the_expected_major(pg: Cluster, pg_major: int) -> None:
    conn = await asyncpg.connect(pg.url())
    try:
        version = await conn.fetchval("SELECT version()")
        num = int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()
    assert version.startswith(f"PostgreSQL {pg_major}.")
    assert num == pg.server_version_num
    assert num // 10000 == pg_major


async def test_durability_is_off_and_only_loopback_listens(pg: Cluster) -> None:
    conn = await pg.connect()
    try:
        settings = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("fsync", "synchronous_commit", "full_page_writes", "listen_addresses")
        }
    finally:
        await conn.close()
    assert settings == {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "listen_addresses": "127.0.0.1",
    }


async def test_create_and_drop_database(pg: Cluster) -> None:
    url = await pg.create_database('odd "name"')
    assert url == pg.url('odd "name"')
    conn = await asyncpg.connect(url)
    assert await conn.fetchval("SELECT current_database()") == 'odd "name"'
    # dropping ends the sessions still connected (WITH (FORCE))
    await pg.drop_database('odd "name"')
    await conn.close()
    assert not await _exists(pg, 'odd "name"')
    await pg.drop_database('odd "name"')  # IF EXISTS: no error


async def test_create_database_from_template(pg: Cluster) -> None:
    async with pg.throwaway("tpl") as tpl_url:
        conn = await asyncpg.connect(tpl_url)
        await conn.execute("CREATE TABLE kept (id int PRIMARY KEY)")
        await conn.close()  # its backend may linger: create_database retries
        tpl = tpl_url.rsplit("/", 1)[1]
        async with pg.throwaway("copy", template=tpl) as url:
            conn = await asyncpg.connect(url)
            assert await conn.fetchval("SELECT to_regclass('kept')::text") == "kept"
            await conn.close()


async def test_throwaway_database_is_dropped(pg: Cluster) -> None:
    async with pg.throwaway("scratch") as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("scratch_")
        assert await _exists(pg, name)
    assert not await _exists(pg, name)


async def test_db_url_is_a_fresh_empty_database(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        )
    finally:
        await conn.close()
    assert tables == 0


def test_ensure_reuses_a_running_cluster(pg: Cluster) -> None:
    assert pg.started_by_us
    again = Cluster.ensure(pg.name, pg.binaries, root=pg.home.parent)
    assert not again.started_by_us
    assert (again.port, again.datadir) == (pg.port, pg.datadir)
    again.stop()  # not ours: a no-op
    assert _answers(pg.host, pg.port)


def test_ensure_refuses_another_auth_on_an_existing_cluster(pg: Cluster) -> None:
    with pytest.raises(DevDbError, match="destroy it first"):
        Cluster.ensure(
            pg.name, pg.binaries, auth="scram-sha-256", password="x", root=pg.home.parent
        )


async def test_scram_cluster_checks_the_password(scram_cluster: Cluster) -> None:
    c = scram_cluster
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(host=c.host, port=c.port, user=c.user, password="wrong", ssl=False)
    conn = await asyncpg.connect(c.url(with_password=True))
    assert await conn.fetchval("SELECT current_user") == "postgres"
    await conn.close()
    assert c.password and c.password not in c.url() and c.password not in repr(c)


def test_cluster_stops_restarts_and_is_destroyed(pg: Cluster, _cluster_pool: Any) -> None:
    name = f"test-life-{os.getpid()}"
    with _cluster_pool.leased(name):  # test sessions running meanwhile sweep test-* clusters
        with Cluster.ensure(name, pg.binaries, root=pg.home.parent) as c:
            assert c.started_by_us and _answers(c.host, c.port)
            assert (c.datadir / "PG_VERSION").read_text().strip() == str(pg.major)
        assert not (c.datadir / "postmaster.pid").exists()  # the context manager stopped it
        assert not _answers(c.host, c.port)
        again = Cluster.ensure(name, pg.binaries, root=pg.home.parent)  # no initdb this time
        assert again.started_by_us
        again.destroy()
    assert not again.home.exists()
    assert not _answers(again.host, again.port)


def test_find_binaries(monkeypatch: pytest.MonkeyPatch, pg: Cluster) -> None:
    monkeypatch.delenv("STUDIO_PG_BIN", raising=False)
    embedded = find_binaries()
    assert embedded.source == "embedded" and embedded.major >= 17
    assert embedded in available_servers()
    assert find_binaries(99) == embedded  # no such server: the embedded one
    if pg.binaries.source == "embedded" or (DEBIAN_ROOT / str(pg.major)).is_dir():
        assert find_binaries(pg.major).major == pg.major  # found where it looks
    if pg.binaries.source == "system":
        monkeypatch.setenv("STUDIO_PG_BIN", str(pg.binaries.bindir))
        assert find_binaries() == pg.binaries


def test_invalid_names_and_missing_binaries_are_devdb_errors(tmp_path: Path) -> None:
    with pytest.raises(DevDbError, match="invalid cluster name"):
        Cluster.ensure("../escape", find_binaries())
    with pytest.raises(DevDbError, match="no postgres executable"):
        binaries_at(tmp_path)


async def _exists(pg: Cluster, name: str) -> bool:
    conn = await pg.connect()
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


def _tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(p := todo.pop())
        todo += children.get(p, [])
    return found


def test_server_processes_get_an_environment_built_from_nothing(
    pg: Cluster, _cluster_pool: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing of the caller's environment reaches the server.

    Read in /proc/<pid>/environ of each process.
    """
    canary = f"Zq9canary{os.getpid()}"
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:{canary}@db.example/prod")
    monkeypatch.setenv("APP_TOKEN", canary)
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=7MB")
    name = f"test-env-{os.getpid()}"
    # test sessions running meanwhile sweep test-* clusters they find unleased
    with _cluster_pool.leased(name):
        with Cluster.ensure(name, pg.binaries, root=pg.home.parent) as c:
            postmaster = int((c.datadir / "postmaster.pid").read_text().split()[0])
            pids = _tree(postmaster)
            environs = {pid: Path(f"/proc/{pid}/environ").read_bytes() for pid in pids}
        discard(name, pg.home.parent)
    assert len(pids) >= 3  # the postmaster and its auxiliary processes
    for pid, data in environs.items():
        assert canary.encode() not in data and b"DATABASE_URL" not in data, pid
        assert b"PGOPTIONS" not in data and b"APP_TOKEN" not in data, pid
    assert server_env().keys() <= {"PATH", "LC_ALL", "LANG", "TZ"}
