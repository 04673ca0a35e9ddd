"""Local PostgreSQL clusters: initialize, start, reuse, stop and discard them.

The dev database (declared sources are materialized there) and the test suite
run on clusters started here with `initdb`/`pg_ctl` directly. Data directories
live in a temp folder and durability is off: every cluster is throwaway.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self
from urllib.parse import quote

import asyncpg

from studio.errors import DevDbError
from studio.model import quote_ident
from studio.sources.devdb.idle import end_reaper
from studio.sources.devdb.osuser import chown, os_user, runnable_bindir
from studio.sources.devdb.placement import clusters_root
from studio.sources.devdb.process import flock, log_tail, run_tool, shutdown, wait_running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from types import TracebackType

    from studio.sources.devdb.binaries import PgBinaries

Auth = Literal["trust", "scram-sha-256"]

SUPERUSER = "postgres"
# sun_path holds 107 bytes plus NUL; the longest socket name is .s.PGSQL.65535
_SOCKET_PATH_MAX = 107
# Durability off: the cluster is throwaway and fsync would dominate DDL-heavy work.
_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
_SETTINGS += " -c max_connections=200 -c shared_buffers=128MB"
# A declared schema's SQL file runs in one transaction, with a lock per relation,
# index and sequence it creates: 64 (the default) ran out at about 1,500 tables.
_SETTINGS += " -c max_locks_per_transaction=256"


@dataclass(frozen=True, slots=True)
class Cluster:
    """A running local cluster: where it lives, how to reach it, who started it."""

    name: str
    binaries: PgBinaries
    bindir: Path  # what runs: binaries.bindir, or its world-readable copy when root
    datadir: Path
    port: int
    socket_dir: Path
    host: str = "127.0.0.1"
    user: str = SUPERUSER
    password: str | None = field(default=None, repr=False)
    os_user: str | None = None  # the system user owning the server files when we are root
    auth: Auth = "trust"
    starter_pid: int | None = None  # the process that started the server, if one of ours
    # the process that started the running server, as its cluster folder records it
    started_by: int | None = None
    # the (bindir, version) the running server was started from, as its folder records it
    server_binaries: tuple[str, str] | None = None

    @property
    def major(self) -> int:
        """The server's major version."""
        return self.binaries.major

    @property
    def server_version_num(self) -> int:
        """The server's `server_version_num`, e.g. 180006 for 18.6."""
        m = re.match(r"(\d+)(?:\.(\d+))?", self.binaries.version)  # 18.6, 15.18, 19beta1
        assert m is not None
        return int(m[1]) * 10000 + int(m[2] or 0)

    @property
    def started_by_us(self) -> bool:
        """Whether this process started the server (and so may stop it)."""
        return self.starter_pid == os.getpid()

    @property
    def orphaned(self) -> bool:
        """Whether the server's starter is gone, leaving the server to whoever uses it last."""
        if self.started_by_us or self.started_by is None or self.started_by == os.getpid():
            return False
        try:
            os.kill(self.started_by, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # alive, another user's
        return False

    @property
    def other_binaries(self) -> bool:
        """Whether the running server was started from other binaries than this cluster's."""
        return self.server_binaries != (str(self.bindir), self.binaries.version)

    @property
    def home(self) -> Path:
        """The cluster's folder: data dir, server.log and (usually) the socket."""
        return self.datadir.parent

    @classmethod
    def ensure(
        cls,
        name: str,
        binaries: PgBinaries,
        *,
        auth: Auth = "trust",
        password: str | None = None,
        root: Path | None = None,
    ) -> Cluster:
        """Initialize cluster `name` if needed and start it, or reuse it if it runs."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", name):
            raise DevDbError(f"invalid cluster name {name!r}")
        if binaries.major < 13:  # --no-instructions, DROP DATABASE ... WITH (FORCE)
            raise DevDbError(f"PostgreSQL {binaries.major} is too old for a dev cluster (13+)")
        if auth == "scram-sha-256" and not password:
            raise DevDbError("scram-sha-256 authentication needs a password")
        root = root or clusters_root()
        user, home = os_user(), root / name
        run_dir = runnable_bindir(binaries, user)
        c = cls(name, binaries, run_dir, home / "data", 0, home, os_user=user, auth=auth)
        c = replace(c, password=password)
        # one process at a time initializes and starts a given cluster
        with flock(root / f"{name}.lock"):
            with contextlib.suppress(FileExistsError):
                home.mkdir(mode=0o700)
                chown(home, user)
            c._init()
            if (running := wait_running(c.datadir, c.host)) is not None:
                socket_dir = Path(running.socket_dir or home)
                return replace(
                    c,
                    port=running.port,
                    socket_dir=socket_dir,
                    started_by=_read_starter(home),
                    server_binaries=_read_binaries(home),
                )
            return c._start()

    def _init(self) -> None:
        """initdb unless a completed one is there (its marker is written last)."""
        marker, meta = self.home / "cluster.json", {"major": self.major, "auth": self.auth}
        if marker.is_file():
            if (old := json.loads(marker.read_text())) != meta:
                raise DevDbError(
                    f"cluster {self.name} was made for PostgreSQL {old.get('major')} with "
                    f"{old.get('auth')} auth, not {self.major} with {self.auth}; destroy it first"
                )
            return
        shutil.rmtree(self.datadir, ignore_errors=True)  # left by an interrupted initdb
        argv = [str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.user]
        argv += ["-A", self.auth, "--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions"]
        pwfile = self.home / "pwfile"
        if self.password is not None:
            self._write(pwfile, self.password + "\n")
            argv.append(f"--pwfile={pwfile}")
        try:
            run_tool(argv, self.os_user, self.home)
        finally:
            pwfile.unlink(missing_ok=True)
        # Socket and loopback only, one method for all (wrong-password tests need scram);
        # replication too, for a hot standby of the cluster (`studio.sources.devdb.standby`)
        hosts = ["local all all", "host all all 127.0.0.1/32", "host all all ::1/128"]
        hosts += ["local replication all", "host replication all 127.0.0.1/32"]
        self._write(self.datadir / "pg_hba.conf", "".join(f"{h} {self.auth}\n" for h in hosts))
        marker.write_text(json.dumps(meta))

    def _write(self, path: Path, text: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        chown(path, self.os_user)  # read by the server user

    def _start(self, settings: str = "") -> Cluster:
        """Start the server on a free port; `settings` are more `-c name=value` options."""
        sockdir = self.home
        if len(os.fsencode(f"{sockdir}/.s.PGSQL.65535")) > _SOCKET_PATH_MAX or " " in str(sockdir):
            sockdir = Path(tempfile.mkdtemp(prefix="sst-", dir="/tmp"))
            chown(sockdir, self.os_user)
        log = self.home / "server.log"
        for _attempt in range(5):
            seen = log.stat().st_size if log.exists() else 0  # read only this start's lines
            with socket.socket() as s:
                s.bind((self.host, 0))
                port = int(s.getsockname()[1])
            opts = f"-p {port} -c listen_addresses={self.host} {_SETTINGS} {settings}".rstrip()
            opts += f" -c unix_socket_directories={shlex.quote(str(sockdir))}"
            pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60"]
            try:
                run_tool([*pg_ctl, "-l", str(log), "-o", opts, "start"], self.os_user, self.home)
            except DevDbError as e:
                if "could not bind" in (tail := log_tail(log, seen)) or "already in use" in tail:
                    continue  # another process took the port between our probe and the bind
                raise DevDbError(
                    f"PostgreSQL {self.major} did not start: {tail or e} (see {log})"
                ) from None
            (self.home / "starter").write_text(f"{os.getpid()}\n")
            binaries = (str(self.bindir), self.binaries.version)
            (self.home / "server.json").write_text(
                json.dumps({"bindir": binaries[0], "version": binaries[1]})
            )
            return replace(
                self,
                port=port,
                socket_dir=sockdir,
                starter_pid=os.getpid(),
                started_by=os.getpid(),
                server_binaries=binaries,
            )
        raise DevDbError(f"PostgreSQL {self.major} found no free port (see {log})")

    def url(self, database: str = "postgres", *, with_password: bool = False) -> str:
        """A libpq URL for `database`; the password only when asked for."""
        cred = quote(self.user, safe="")
        if with_password and self.password:
            cred += ":" + quote(self.password, safe="")
        return f"postgresql://{cred}@{self.host}:{self.port}/{quote(database, safe='')}"

    def stop(self, *, force: bool = False) -> None:
        """Stop the server (fast shutdown) if this process started it, or when forced."""
        if self.started_by_us or force:
            with flock(self.home.parent / f"{self.name}.lock"):
                shutdown(self.datadir)

    def destroy(self) -> None:
        """Stop the server, whoever started it, and delete the cluster's folder."""
        discard(self.name, self.home.parent)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- databases ---

    async def connect(self, database: str = "postgres") -> asyncpg.Connection:
        """An asyncpg connection to `database` as the superuser."""
        try:
            return await asyncpg.connect(
                host=self.host, port=self.port, user=self.user, password=self.password,
                database=database, ssl=False, timeout=30,
            )  # fmt: skip
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise DevDbError(f"cannot connect to cluster {self.name}: {e}") from None

    async def create_database(self, name: str, template: str | None = None) -> str:
        """Create database `name` (from `template`) and return its URL."""
        sql = f"CREATE DATABASE {quote_ident(name)}"
        sql += f" TEMPLATE {quote_ident(template)}" if template else ""
        # Copying files beats WAL-logging every block (the PG15+ default) when
        # fsync is off: 7 ms against 9 ms from template1 on tmpfs.
        sql += " STRATEGY FILE_COPY" if self.major >= 15 else ""
        delays = [0.05, 0.1, 0.2, 0.4, 0.8]
        while True:
            try:
                await self._admin(sql, f"create database {name}", in_use_ok=bool(delays))
                return self.url(name)
            except asyncpg.ObjectInUseError:
                # A session that just closed on the template leaves its backend a
                # moment later: "source database is being accessed by other users".
                await asyncio.sleep(delays.pop(0))

    async def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists, ending its sessions."""
        await self._admin(
            f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)", f"drop database {name}"
        )

    async def _admin(self, sql: str, what: str, *, in_use_ok: bool = False) -> None:
        """Run one statement on the `postgres` database; ObjectInUseError passes when asked."""
        conn = await self.connect()
        try:
            await conn.execute(sql)
        except asyncpg.PostgresError as e:
            if in_use_ok and isinstance(e, asyncpg.ObjectInUseError):
                raise
            raise DevDbError(f"cannot {what}: {e}") from None
        finally:
            await conn.close()

    @contextlib.asynccontextmanager
    async def throwaway(
        self, name_prefix: str = "throwaway", template: str | None = None
    ) -> AsyncIterator[str]:
        """The URL of a fresh database, dropped when the block ends."""
        name = f"{name_prefix[:48]}_{secrets.token_hex(4)}"
        url = await self.create_database(name, template)
        try:
            yield url
        finally:
            await self.drop_database(name)


def _read_starter(home: Path) -> int | None:
    """The pid of the process that started the cluster's server, if it wrote one."""
    try:
        return int((home / "starter").read_text().strip())
    except (OSError, ValueError):
        return None


def _read_binaries(home: Path) -> tuple[str, str] | None:
    """The (bindir, version) the running server was started from, if its starter wrote them."""
    try:
        data = json.loads((home / "server.json").read_text())
        return str(data["bindir"]), str(data["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # started by a version of the tool that did not say: not to be reused


def discard(name: str, root: Path | None = None) -> None:
    """Stop cluster `name` (and its reaper) if it runs, whoever started it; delete its folder."""
    root = root or clusters_root()
    end_reaper(root, name)
    lock = root / f"{name}.lock"
    with flock(lock):
        shutdown(root / name / "data")
        shutil.rmtree(root / name, ignore_errors=True)
        lock.unlink(missing_ok=True)  # waiters see a new inode and take that one
