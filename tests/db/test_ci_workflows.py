"""The CI workflows of docs/ci.md run as written: each schema-studio command of
docs/ci/github-workflow.yml and docs/ci/gitlab-ci.yml, in a shell as the runner starts it,
against a real server (the service's URL variable pointed at it), in a project whose pull
request adds a migration; each exits as the workflow expects. On the embedded server only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from studio.cli.plan_markdown import MARKER
from studio.migrations import files as migrations
from studio.sources.devdb.binaries import available_servers

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "docs" / "ci"
WORKFLOWS = (CI / "github-workflow.yml", CI / "gitlab-ci.yml")
# a command line that runs schema-studio (not a string that names it)
INVOKES = re.compile(r"(?:^|[;&|(]\s*)schema-studio\s")
# the service the workflows start: its URL is the test server's here
SERVICE = re.compile(r"^postgresql://postgres:postgres@(localhost|postgres):5432/postgres$")

V1, V2, V3 = "20250101000001", "20250101000002", "20250101000003"
BASE_SQL = "CREATE TABLE public.items (id int PRIMARY KEY, name text NOT NULL);\n"
# what the pull request adds: a warning (the job passes) and a notice
ADDED = """\
-- schema-studio:step
-- add a note
ALTER TABLE public.items ADD COLUMN note text;

-- schema-studio:step
-- schema-studio:no-transaction
-- index the note
CREATE INDEX CONCURRENTLY items_note_idx ON public.items (note);

-- schema-studio:step
-- a name may be missing
ALTER TABLE public.items ALTER COLUMN name DROP NOT NULL;
"""
DANGER = "ALTER TABLE public.items DROP COLUMN name;\n"


def _embedded() -> list[Any]:
    found = [b for b in available_servers() if b.source == "embedded"][:1]
    if not found:
        return [pytest.param(("pg-embedded", None), id="pg-embedded")]  # fails in the fixture
    return [pytest.param((f"pg{b.major}", b), id=f"pg{b.major}") for b in found]


def commands(path: Path) -> list[tuple[str, dict[str, str]]]:
    """The lines that run schema-studio, each with the environment the workflow gives it.

    A value that is an expression (`${{ secrets.X || env.Y }}`) is not set here: no
    secret is, so the job's value stands, as it does on a repository without the secret.
    """
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[tuple[str, dict[str, str]]] = []
    if "jobs" in doc:  # GitHub Actions
        for job in doc["jobs"].values():
            for step in job["steps"]:
                env = {**job.get("env", {}), **_plain(step.get("env", {}))}
                out += [(line.strip(), env) for line in step.get("run", "").splitlines()]
    else:  # GitLab CI
        for job in doc.values():
            if isinstance(job, dict) and "script" in job:
                out += [(line.strip(), job.get("variables", {})) for line in job["script"]]
    return [
        (line, {k: str(v) for k, v in env.items()}) for line, env in out if INVOKES.search(line)
    ]


def _plain(env: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in env.items() if "${{" not in str(v)}


def project(folder: Path, files: list[tuple[str, str, str]], declared: str) -> Path:
    (folder / "migrations").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "schema.sql"\nmigrations = "migrations"\n'
    )
    (folder / "schema.sql").write_text(declared)
    for version, slug, text in files:
        (folder / "migrations" / f"{version}_{slug}.sql").write_text(text)
    migrations.write_sum(folder / "migrations")
    return folder


def run(line: str, env: dict[str, str], cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    """`line` as the runner runs a step (bash -e, pipefail), the service's URL variable on `url`."""
    given = {k: (url if SERVICE.match(v) else v) for k, v in env.items()}
    assert url in given.values(), f"no variable holds the service's URL for {line!r}"
    child = {
        # built from nothing: the workflow's variables, and where schema-studio and its
        # package are (the test's interpreter, this checkout)
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(cwd.parent),
        "PYTHONPATH": str(REPO),
        "XDG_CACHE_HOME": str(cwd.parent / "cache"),
        "STUDIO_DEV_IDLE_TIMEOUT": "0",
        **given,
    }
    bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", line]
    return subprocess.run(bash, cwd=cwd, env=child, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("pg", _embedded(), indirect=True)
def test_the_workflows_commands_run_as_written(tmp_path: Path, db_url: str) -> None:
    ci_md = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    for path in WORKFLOWS:  # docs/ci.md shows the files themselves
        assert path.read_text(encoding="utf-8") in ci_md, f"docs/ci.md lacks {path.name} as it is"
    # the base branch (`git worktree add ../base`) and the pull request's checkout
    project(tmp_path / "base", [(V1, "create_items", BASE_SQL)], BASE_SQL)
    declared = BASE_SQL.replace("text NOT NULL", "text, note text") + (
        "CREATE INDEX items_note_idx ON public.items (note);\n"
    )
    work = project(
        tmp_path / "work", [(V1, "create_items", BASE_SQL), (V2, "note", ADDED)], declared
    )
    lines: dict[str, dict[str, str]] = {}
    for path in WORKFLOWS:
        for line, env in commands(path):
            lines.setdefault(line, env)  # the same command in both files runs once
    assert any(line.startswith("schema-studio check") for line in lines)
    results = {line: run(line, env, work, db_url) for line, env in lines.items()}
    for line, r in results.items():
        assert r.returncode == 0, f"{line!r} exited {r.returncode}: {r.stderr}"

    plan = (work / "plan.md").read_text(encoding="utf-8")
    assert plan.startswith(MARKER + "\n### Migration plan: 1 migration (3 steps) pending on `")
    assert "3. a name may be missing" in plan and "warning `drop-not-null`" in plan
    github = next(r for line, r in results.items() if "--format github" in line)
    annotations = [line.split("::")[1] for line in github.stdout.splitlines()]
    assert annotations == [
        f"notice file=migrations/{V2}_note.sql,line=8,title=concurrent-index-build",
        f"warning file=migrations/{V2}_note.sql,line=12,title=drop-not-null",
    ]

    # a pull request that drops a column: lint fails the job, the plan is still written
    (work / "migrations" / f"{V3}_drop_name.sql").write_text(DANGER)
    migrations.write_sum(work / "migrations")
    for line, env in lines.items():
        if "schema-studio lint" in line:
            assert run(line, env, work, db_url).returncode == 2, line
        elif "schema-studio plan" in line:
            assert run(line, env, work, db_url).returncode == 0, line
            assert "**danger** `drop-column`" in (work / "plan.md").read_text(encoding="utf-8")
