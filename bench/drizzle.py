"""drizzle-kit on the synthetic schema: `pull` (introspection) and `generate` (its diff).

`generate` diffs `schema.ts` against the snapshot of its last migration, with
no database: a project is set up with the N-table schema and one `generate`
(the initial migration and snapshot, untimed), then `schema.ts` is rewritten
with the changes and `generate` is timed, the migrations folder restored
before each run so every run computes the same diff.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from bench.measure import run_output, time_process
from bench.models import drizzle_schema

if TYPE_CHECKING:
    from bench.changes import ChangeSet
    from bench.measure import Figure
    from bench.peers import Peers

CONFIG = 'export default { dialect: "postgresql", schema: "./schema.ts", out: "./drizzle" };\n'


def _kit(peers: Peers) -> list[str]:
    kit = peers.drizzle_kit()
    if kit is None:
        raise RuntimeError("drizzle-kit is not installed")
    return kit


def pull(peers: Peers, url: str, work: Path, runs: int, cap: float) -> Figure:
    """`drizzle-kit pull` of the database into a fresh folder, capped at `cap` seconds."""
    out = work / "drizzle-pull"

    def clean() -> None:
        shutil.rmtree(out, ignore_errors=True)

    argv = [*_kit(peers), "pull", "--dialect=postgresql", f"--url={url}", f"--out={out}"]
    assert peers.node_bin is not None
    return time_process(
        argv,
        runs=runs,
        cwd=peers.node_bin.parent.parent,
        timeout=cap,
        before=clean,
        single_after=30,
    )


def project(peers: Peers, work: Path, cs: ChangeSet) -> Path:
    """A drizzle project at the N-table schema's first migration, its schema.ts changed by `cs`."""
    root = work / f"drizzle-n{cs.n}-{cs.label}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    assert peers.node_bin is not None
    (root / "node_modules").symlink_to(peers.node_bin.parent)
    (root / "drizzle.config.ts").write_text(CONFIG)
    (root / "schema.ts").write_text(drizzle_schema(cs.n))
    run_output([*_kit(peers), "generate"], cwd=root)
    shutil.copytree(root / "drizzle", root / "drizzle.base")
    (root / "schema.ts").write_text(drizzle_schema(cs.n, cs))
    return root


def _restore(root: Path) -> None:
    shutil.rmtree(root / "drizzle", ignore_errors=True)
    shutil.copytree(root / "drizzle.base", root / "drizzle")


def generate(peers: Peers, root: Path, runs: int, cap: float) -> Figure:
    """`drizzle-kit generate` of the changed schema.ts (the diff against the snapshot)."""
    return time_process(
        [*_kit(peers), "generate"], runs=runs, cwd=root, timeout=cap, before=lambda: _restore(root)
    )


def generated_sql(peers: Peers, root: Path) -> str:
    """The migration `generate` writes for the changes."""
    _restore(root)
    run_output([*_kit(peers), "generate"], cwd=root)
    new = sorted(p for p in (root / "drizzle").glob("*.sql") if not p.name.startswith("0000"))
    return "\n".join(p.read_text() for p in new)
