"""Two branches each adding a migration: the sum conflicts in git, `check` names, `rebase` fixes."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from studio.cli import cli
from studio.migrations import files as migrations

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.sources.devdb.cluster import Cluster


def studio(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=check
    )


@pytest.fixture
def project(
    tmp_path: Path, pg: Cluster, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    if pg.binaries.major != 18:
        pytest.skip("the same code on every server: run on the embedded 18 alone")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "schema.sql"\nmigrations = "migrations"\n'
        f'dev_url = "{pg.url()}"\n'
    )
    (tmp_path / "migrations").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".gitignore").write_text("cache/\n")
    yield tmp_path


def add_migration(root: Path, name: str, sql: str) -> str:
    """`new` then the SQL written in, then `hash`, then a commit: a branch's migration."""
    created = studio("new", name)
    assert created.exit_code == 0, created.stderr
    path = Path(created.stdout.strip())
    path.write_text(path.read_text() + sql)
    assert studio("hash").exit_code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", name)
    return path.name[:14]


def test_two_branches_conflict_check_names_rebase_renumbers(project: Path, db_url: str) -> None:
    mdir = project / "migrations"
    (project / "schema.sql").write_text(
        "CREATE TABLE base (x int);\nCREATE TABLE a (x int);\nCREATE TABLE b (x int);\n"
    )
    base = add_migration(project, "base", "CREATE TABLE base (x int);\n")
    git(project, "checkout", "-q", "-b", "a")
    va = add_migration(project, "add a", "CREATE TABLE a (x int);\n")
    git(project, "checkout", "-q", "main")
    git(project, "checkout", "-q", "-b", "b")
    while migrations.version_of(datetime.now(UTC)) <= va:
        time.sleep(0.05)  # b's version after a's, as when a was written first
    vb = add_migration(project, "add b", "CREATE TABLE b (x int);\n")
    assert base < va < vb

    # b merges first and is deployed; then a merges: git conflicts in the sum, nowhere else
    git(project, "checkout", "-q", "main")
    git(project, "merge", "-q", "b")
    assert studio("migrate", "--yes").exit_code == 0
    merged = git(project, "merge", "a", check=False)
    assert merged.returncode != 0
    unmerged = git(project, "diff", "--name-only", "--diff-filter=U").stdout.split()
    assert unmerged == ["migrations/schema-studio.sum"]
    conflict = studio("migrate", "--yes")
    assert conflict.exit_code == 1 and "merge conflict in the sum file" in conflict.stderr

    # resolved by keeping both sides' lines: the chain is broken, one line, nothing applied
    sum_path = mdir / migrations.SUM_FILE
    kept = [
        ln for ln in sum_path.read_text().splitlines() if not ln.startswith(("<<<", "===", ">>>"))
    ]
    sum_path.write_text(kept[0] + "\n" + "\n".join(ln for ln in kept if " " in ln) + "\n")
    before = {p.name: p.read_bytes() for p in mdir.iterdir()}
    broken = studio("migrate", "--yes")
    assert broken.exit_code == 1
    assert "the hash chain is broken" in broken.stderr and "Traceback" not in broken.stderr
    assert {p.name: p.read_bytes() for p in mdir.iterdir()} == before

    # re-hashed as is: `check` names a's migration, added on another branch; migrate refuses it
    assert studio("hash").exit_code == 0
    checked = studio("check")
    assert checked.exit_code == 2, checked.output
    assert f"{va}_add_a: added on another branch: not applied, and older than {vb}" in (
        checked.stdout
    )
    assert "schema-studio rebase VERSION" in checked.stdout
    refused = studio("migrate", "--yes")
    assert refused.exit_code == 1 and "schema-studio rebase VERSION" in refused.stderr
    assert f"`schema-studio rebase {va}`" in studio("status").stdout

    # rebase refuses the applied one, and any without a database to ask, changing nothing
    before = {p.name: p.read_bytes() for p in mdir.iterdir()}
    applied = studio("rebase", vb)
    assert applied.exit_code == 1 and f"{vb}_add_b is applied on" in applied.stderr
    blind = studio("rebase", va, "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert blind.exit_code == 1 and f"cannot tell whether {va} is applied" in blind.stderr
    assert {p.name: p.read_bytes() for p in mdir.iterdir()} == before

    # a's migration renumbered after b's: check passes, migrate applies it
    done = studio("rebase", va)
    assert done.exit_code == 0, done.stderr
    new = done.stdout.split(" -> ")[1][:14]
    assert new > vb and not list(mdir.glob(f"{va}_*"))
    assert f"-- version: {new}" in (mdir / f"{new}_add_a.sql").read_text()
    migrations.verify_sum(mdir)
    # renumbered, it is no longer from another branch: only pending (the database is behind)
    behind = studio("check")
    assert behind.exit_code == 2 and "added on another branch" not in behind.output
    assert f"{new}_add_a" in behind.stdout and "behind its migrations" in behind.stdout
    assert studio("migrate", "--yes").exit_code == 0
    assert studio("check").exit_code == 0
