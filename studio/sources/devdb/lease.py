"""The dev server: a throwaway database on it for each declared schema read, and who uses it.

The dev cluster (one per major version) is shared by the processes that use
it and, within a process, by the loads of one event loop. It stays up
`dev_idle_timeout` seconds after the last command gives it back, stopped then
by its reaper (`idle`, `reaper`); with a timeout of 0 the last user stops it
at once. With `dev_url` set, the throwaway databases are made on that server
instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from studio.catalog import connect as db
from studio.config import mask_dsn
from studio.errors import DevDbError, translate
from studio.model import quote_ident
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import SUPERUSER, Cluster, discard
from studio.sources.devdb.idle import (
    clear_idle,
    end_reaper,
    ensure_reaper,
    mark_idle,
    read_idle,
    reaper_pid,
    server_of,
)
from studio.sources.devdb.placement import clusters_root, tmpfs_parent
from studio.sources.devdb.process import flock, shutdown

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from studio.config import Settings


def dev_cluster(major: int | None = None) -> Cluster:
    """The dev cluster `dev-pg<major>` on the best binaries for `major`, started or reused.

    It lives in `$STUDIO_DEVDB_DIR` when that is set, else on tmpfs when there
    is room (it holds only throwaway databases), else in the temp folder.
    """
    b = find_binaries(major)
    return Cluster.ensure(f"dev-pg{b.major}", b, root=dev_root())


def dev_root() -> Path:
    """The clusters folder of the dev clusters (see `dev_cluster`)."""
    return clusters_root(None if os.environ.get("STUDIO_DEVDB_DIR") else tmpfs_parent())


def use_dev_cluster(major: int | None = None) -> tuple[Cluster, int]:
    """The dev cluster, as `dev_cluster`, and a descriptor that says this process uses it.

    The descriptor holds a shared lock on the cluster's `.users` file until it
    is closed (close it when done, after `release`). The server is only ever
    stopped under that file's exclusive lock, so never under a process still
    using it; a process that comes while it stops waits, then starts it again.
    A warm server started from other binaries (another build of the same
    major) is stopped and started again from these, once no one uses it.
    Blocking (it may start or stop a server): async code runs it in a thread.
    """
    b = find_binaries(major)
    root, name = dev_root(), f"dev-pg{b.major}"
    fd = os.open(root / f"{name}.users", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        stop_stale(root, name)
        cluster = Cluster.ensure(name, b, root=root)
        for _attempt in range(3):
            if not cluster.other_binaries:
                return cluster, fd
            _stop_other_binaries(cluster, fd)
            cluster = Cluster.ensure(name, b, root=root)
        raise DevDbError(f"the dev server {name} keeps being started from other binaries")
    except BaseException:
        os.close(fd)
        raise


# seconds a command waits for the others using a warm server of other binaries to finish
_SWITCH_WAIT = 60.0


def _stop_other_binaries(cluster: Cluster, fd: int) -> None:
    """Stop a server of other binaries once no one uses it; `fd` holds the shared lock after."""
    deadline = time.monotonic() + _SWITCH_WAIT
    while not sole_user(fd):  # no lock held meanwhile
        if time.monotonic() > deadline:
            fcntl.flock(fd, fcntl.LOCK_SH)
            bindir, version = cluster.server_binaries or ("another folder", "?")
            raise DevDbError(
                f"the dev server {cluster.name} runs PostgreSQL {version} from {bindir}, not"
                f" {cluster.binaries.version} from {cluster.bindir}, and another command uses it",
                "run the command again when that one is done, or `schema-studio dev stop`",
            )
        time.sleep(0.1)
    try:
        end_reaper(cluster.home.parent, cluster.name)
        with flock(cluster.home.parent / f"{cluster.name}.lock"):
            shutdown(cluster.datadir)
        clear_idle(cluster.home.parent, cluster.name)
    finally:
        fcntl.flock(fd, fcntl.LOCK_SH)


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


def release(cluster: Cluster, fd: int, timeout: float) -> None:
    """Give back the dev server `use_dev_cluster` returned with `fd` (then close `fd`).

    It stays up `timeout` seconds from now unless a command uses it again
    (its reaper stops it then); with a timeout of 0 it is stopped now, when no
    other process uses it. Blocking, as `use_dev_cluster`.
    """
    root, name = cluster.home.parent, cluster.name
    # written under our shared lock: the reaper reads it once it has the exclusive one
    mark_idle(root, name, timeout)
    if timeout > 0:
        ensure_reaper(root, name)
    elif sole_user(fd):
        end_reaper(root, name)
        stop_unused(root, name)


def stop_unused(root: Path, name: str) -> bool:
    """Stop dev server `name` unless a client of the user's (psql) is connected to it.

    The caller holds the exclusive lock of `<name>.users`: no command of ours
    uses it. Throwaway databases left by a command that was killed are dropped
    first. Whether it is stopped (or was not running).
    """
    if (info := server_of(root, name)) is None:
        clear_idle(root, name)
        return True
    if asyncio.run(_clients_then_tidy(info.port)):
        return False
    with flock(root / f"{name}.lock"):
        shutdown(root / name / "data")
    clear_idle(root, name)
    return True


async def _clients_then_tidy(port: int) -> int:
    """Sessions of others on the server at `port`; when none, its leftover throwaway databases
    are dropped."""
    try:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=port, user=SUPERUSER, database="postgres", ssl=False, timeout=10
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return 0  # not answering (shutting down, broken): nobody to keep it up for
    try:
        others = int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        )
        if not others:
            for name in await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{_SCRATCH}\\_%"
            ):
                await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name[0])} WITH (FORCE)")
        return others
    finally:
        await conn.close()


def stop_stale(root: Path, current: str) -> None:
    """Stop the dev servers other than `current` idle past their deadline with no reaper.

    The backstop of a reaper that died (killed, OOM): every command that takes
    a dev server looks at the others once.
    """
    for pidfile in root.glob("dev-pg*/data/postmaster.pid"):
        name = pidfile.parent.parent.name
        if name == current or reaper_pid(root, name) is not None:
            continue
        if (idle := read_idle(root, name)) is not None and idle.until > time.time():
            continue
        users = os.open(root / f"{name}.users", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sole_user(users):
                stop_unused(root, name)
        finally:
            os.close(users)


def dev_cluster_home(major: int | None = None) -> Path:
    """The folder the dev cluster for `major` lives in (whether or not it exists yet)."""
    return dev_root() / f"dev-pg{find_binaries(major).major}"


def discard_dev_cluster(major: int | None = None) -> bool:
    """Stop and delete the dev cluster for `major` unless a process uses it; whether it did.

    Its idle timeout does not keep it: a warm server and its reaper go with it.

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
        # its reaper is ended first (`discard`): none is left sleeping on a deleted folder
        discard(home.name, home.parent)
        clear_idle(home.parent, home.name)
        for leftover in (f"{home.name}.reaper", f"{home.name}.reaper.log"):
            (home.parent / leftover).unlink(missing_ok=True)
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
        async with lease.cluster.throwaway(_SCRATCH) as url:
            yield url
    finally:
        await lease.give_back(settings.dev_idle_timeout)


# the throwaway databases' names start with it (and `_`): a reaper drops those left behind
_SCRATCH = "ss_declared"


class _DevLease:
    """The dev cluster as this event loop's loads share it.

    Loads running side by side (the replay of the migrations and the models'
    materialization of `generate`) use one server: the first takes it, the
    last gives it back (`release`). Taking and giving back are serialized, so
    the server is never stopped under a load that just took it; between
    processes, the lock of `use_dev_cluster` does the same.
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

    async def give_back(self, timeout: float) -> None:
        async with self.lock:
            self.users -= 1
            if self.users:
                return
            fd, self.fd = self.fd, -1
            # the thread closes `fd` when done: if this task is cancelled meanwhile (Ctrl-C),
            # the thread still gives the server back, and no one closes `fd` under it
            await asyncio.to_thread(_release_and_close, self.cluster, fd, timeout)


def _release_and_close(cluster: Cluster, fd: int, timeout: float) -> None:
    try:
        release(cluster, fd, timeout)
    finally:
        os.close(fd)


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
