"""The tools a user would otherwise pick, installed beside the bench, never globally.

- `bench/.peers/venv`: a virtual environment (made with this interpreter's
  `venv`) holding SQLAlchemy, Alembic, migra (with schemainspect, sqlbag and
  psycopg2-binary) and matplotlib for the plot. None of them is a project
  dependency; the scripts in `bench/peer_scripts/` run there.
- `bench/.peers/node`: a node folder with drizzle-kit, drizzle-orm and pg.

Both are created when missing (`ensure()`), through pip and npm as usual;
`bench/.gitignore` keeps them out of the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE / ".peers"
VENV = ROOT / "venv"
NODE = ROOT / "node"
SCRIPTS = HERE / "peer_scripts"

PYTHON_PEERS = ["sqlalchemy", "alembic", "migra", "schemainspect", "sqlbag", "psycopg2-binary"]
# matplotlib draws bench/scaling.svg; it is not a peer, only installed beside them
PYTHON_EXTRA = ["matplotlib"]
NODE_PEERS = ["drizzle-kit", "drizzle-orm", "pg"]


@dataclass
class Peers:
    """Where the peers are and which versions were installed.

    A version of None: not runnable, see `problems`.
    """

    python: Path | None = None
    node_bin: Path | None = None  # node_modules/.bin
    versions: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def drizzle_kit(self) -> list[str] | None:
        """The drizzle-kit command (run by node directly, no npx)."""
        if self.node_bin is None or not (self.node_bin / "drizzle-kit").exists():
            return None
        return [str(self.node_bin / "drizzle-kit")]


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _ensure_venv(peers: Peers) -> None:
    python = _venv_python()
    if not python.is_file():
        _log(f"creating {VENV.relative_to(HERE.parent)} (pip install {' '.join(PYTHON_PEERS)})")
        # sys.executable may itself be a venv's python; --without-pip is not
        # enough, pip is needed to install the peers
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    missing = [p for p in PYTHON_PEERS + PYTHON_EXTRA if not _installed(python, p)]
    if missing:
        proc = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *missing,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            peers.problems["python peers"] = "pip install failed: " + _last_line(proc.stderr)
    peers.python = python
    for name in PYTHON_PEERS + PYTHON_EXTRA:
        if (v := _version(python, name)) is not None:
            peers.versions[name] = v


def _installed(python: Path, dist: str) -> bool:
    return _version(python, dist) is not None


def _version(python: Path, dist: str) -> str | None:
    proc = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def _ensure_node(peers: Peers) -> None:
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        peers.problems["drizzle-kit"] = "node/npm not found on PATH"
        return
    NODE.mkdir(parents=True, exist_ok=True)
    package = NODE / "package.json"
    if not package.is_file():
        package.write_text(
            json.dumps({"private": True, "name": "schema-studio-bench-peers"}) + "\n"
        )
    bin_dir = NODE / "node_modules" / ".bin"
    if not (bin_dir / "drizzle-kit").exists():
        _log(f"installing {' '.join(NODE_PEERS)} into {NODE.relative_to(HERE.parent)}")
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *NODE_PEERS],
            cwd=NODE,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            peers.problems["drizzle-kit"] = "npm install failed: " + _last_line(proc.stderr)
            return
    peers.node_bin = bin_dir
    peers.versions["node"] = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    for name in NODE_PEERS:
        try:
            meta = json.loads((NODE / "node_modules" / name / "package.json").read_text())
            peers.versions[name] = meta["version"]
        except (OSError, ValueError, KeyError):
            pass


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


def ensure() -> Peers:
    """Create the peers' venv and node folder when missing; their paths and versions."""
    ROOT.mkdir(parents=True, exist_ok=True)
    gitignore = HERE / ".gitignore"
    if not gitignore.is_file() or ".peers/" not in gitignore.read_text():
        # the repository ships this file; recreate it if someone removed it
        with gitignore.open("a") as f:
            f.write(".peers/\n")
    peers = Peers()
    _ensure_venv(peers)
    _ensure_node(peers)
    return peers


def peer_env() -> dict[str, str]:
    """The environment for a peer process: the caller's, without our venv on PATH."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the peers' imports use .pyc like a user's
    return env
