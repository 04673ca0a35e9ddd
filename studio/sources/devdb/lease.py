"""The dev server: a throwaway database on it for each declared schema read, and who uses it.

The dev cluster (one per major version) is shared by the processes that use
it and, within a process, by the loads of one event loop; the last user stops
it if it is theirs to stop. With `dev_url` set, the throwaway databases are
made on that server instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import weakref
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from studio.catalog import connect as db
from studio.config import mask_dsn
from studio.errors import translate
from studio.model import quote_ident
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster, discard
from studio.sources.devdb.placement import clusters_root, tmpfs_parent

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    import asyncpg

    from studio.config import Settings


def dev_cluster(major: int | None = None) -> Cluster:
    """The dev cluster `dev-pg<major>` on the best binaries for `major`, started or reused.

    It lives in `$STUDIO_DEVDB_DIR` when that is set, else on tmpfs when there
    is room (it holds only throwaway databases), else in the temp folder.
    """
    b = find_binaries(major)
    return Cluster.ensure(f"dev-pg{b.major}", b, root=_dev_root())


def _dev_root() -> Path:
    return clusters_root(None if os.environ.get("STUDIO_DEVDB_DIR") else tmpfs_parent())


def use_dev_cluster(major: int | None = None) -> tuple[Cluster, int]:
    """The dev cluster, as `dev_cluster`, and a descriptor that says this process uses it.

    The descriptor holds a shared lock on the cluster's `.users` file until it
    is closed (close it when done, after `sole_user` if this process is to
    stop the server). The server is only ever stopped under that file's
    exclusive lock, so never under a process still using it; a process that
    comes while it stops waits, then starts it again.
    """
    b = find_binaries(major)
    root, name = _dev_root(), f"dev-pg{b.major}"
    fd = os.open(root / f"{name}.users", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return Cluster.ensure(name, b, root=root), fd
    except BaseException:
        os.close(fd)
        raise


def sole_user(fd: int) -> bool:
    """Whether no other process uses the cluster of `use_dev_cluster`'s descriptor `fd`.

    When so, `fd` now holds the exclusive lock: nobody starts using the
    cluster until it is closed, so the server may be stopped meanwhile. When
    not, `fd` no longer holds any lock: close it.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def dev_cluster_home(major: int | None = None) -> Path:
    """The folder the dev cluster for `major` lives in (whether or not it exists yet)."""
    return _dev_root() / f"dev-pg{find_binaries(major).major}"


def discard_dev_cluster(major: int | None = None) -> bool:
    """Stop and delete the dev cluster for `major` unless a process uses it; whether it did.

    Under the `.users` file's exclusive lock, as `sole_user` takes it: no
    process is using the cluster, and none starts to until it is gone. (The
    `.users` file itself stays: a process waiting on it must lock the file
    the next one will.)
    """
    home = dev_cluster_home(major)
    fd = os.open(home.parent / f"{home.name}.users", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not sole_user(fd):
            return False
        discard(home.name, home.parent)
        return True
    finally:
        os.close(fd)


def dev_major(settings: Settings, major: int | None) -> int:
    """The dev server's major version for a load asking for `major` (0: dev_url's, unknown)."""
    if settings.dev_url:
        return major or 0
    return find_binaries(major).major


@contextlib.asynccontextmanager
async def dev_database(
    settings: Settings, major: int | None = None
) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh throwaway database on the dev server, dropped afterwards."""
    async with dev_database_url(settings, major) as url:
        conn = await db.connect(url, timeout=settings.connect_timeout)
        try:
            yield conn
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def dev_database_url(settings: Settings, major: int | None = None) -> AsyncIterator[str]:
    """The URL of a fresh throwaway database on the dev server, dropped afterwards.

    For a caller that opens several connections to it.
    """
    if settings.dev_url:
        async with _throwaway_on(settings.dev_url, settings) as url:
            yield url
        return
    lease = await _DevLease.take(major or None)
    try:
        async with lease.cluster.throwaway("ss_declared") as url:
            yield url
    finally:
        await lease.give_back()


class _DevLease:
    """The dev cluster as this event loop's loads share it.

    Loads running side by side (the replay of the migrations and the models'
    materialization of `generate`) use one server: the first starts it, the
    last stops it if this process started it. Taking and giving back are
    serialized, so the server is never stopped under a load that just took it;
    between processes, the lock of `use_dev_cluster` does the same.
    """

    _by_loop: ClassVar[
        weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int | None, _DevLease]]
    ] = weakref.WeakKeyDictionary()

    def __init__(self, major: int | None) -> None:
        self.major = major
        self.lock = asyncio.Lock()
        self.users = 0
        self.cluster: Any = None
        self.fd = -1  # use_dev_cluster's: other processes see this one uses the cluster

    @classmethod
    async def take(cls, major: int | None) -> _DevLease:
        leases = cls._by_loop.setdefault(asyncio.get_running_loop(), {})
        lease = leases.setdefault(major, cls(major))
        async with lease.lock:
            if lease.users == 0:
                lease.cluster, lease.fd = await asyncio.to_thread(use_dev_cluster, major)
            lease.users += 1
        return lease

    async def give_back(self) -> None:
        async with self.lock:
            self.users -= 1
            if self.users:
                return
            fd, self.fd = self.fd, -1
            try:
                # ours to stop, or its starter's that exited while another process used it;
                # and no other schema-studio process uses it (nor comes, while we stop it)
                mine = self.cluster.started_by_us or self.cluster.orphaned
                if mine and sole_user(fd):
                    await _stop_if_idle(self.cluster)
            finally:
                os.close(fd)


async def _stop_if_idle(cluster: Cluster) -> None:
    # No other schema-studio process uses it; a client of the user's own (psql
    # on the dev server) may still: then it keeps running.
    conn = await cluster.connect()
    try:
        others = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    if not others:
        await asyncio.to_thread(cluster.stop, force=True)  # the caller decided it may


@contextlib.asynccontextmanager
async def _throwaway_on(url: str, settings: Settings) -> AsyncIterator[str]:
    """The URL of a fresh database on the server of `url` (the user's dev_url), dropped after."""
    name = f"ss_declared_{secrets.token_hex(4)}"
    admin = await db.connect(url, timeout=settings.connect_timeout)
    try:
        with translate(mask_dsn(url)):
            await admin.execute(f"CREATE DATABASE {quote_ident(name)}")
        parts = urlsplit(url)
        try:
            yield urlunsplit(parts._replace(path="/" + name))
        finally:
            with translate(mask_dsn(url)):
                await admin.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await admin.close()
