"""docs/plan-example.md and the README's copy of it are the plan of the demo's pending
migrations as `plan --format markdown` prints it now: the demo database (as `schema-studio
demo` makes it: the first demo migration, 10,000 users and 120,000 orders) with the
repository's newer demo migrations pending. `STUDIO_UPDATE_DOCS=1` rewrites both.

On the embedded server only: the sizes in the example are PostgreSQL 18's.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from studio import config
from studio.cli import cli
from studio.demo import workspace
from studio.sources.devdb.binaries import available_servers

if TYPE_CHECKING:
    from studio.sources.devdb.cluster import Cluster

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "plan-example.md"
README = REPO / "README.md"
PREFACE = """\
<!-- Written by tests/db/test_plan_example.py (STUDIO_UPDATE_DOCS=1 rewrites it): do not edit. -->
The comment the workflows of [ci.md](ci.md) post on a pull request:
`schema-studio plan --format markdown` on the demo database as `schema-studio demo` makes it
(the first demo migration applied, 10,000 users and 120,000 orders, PostgreSQL 18), with the
repository's five newer demo migrations pending.

"""
# the README shows the plan between these lines
START, END = "<!-- plan-example: start -->\n", "<!-- plan-example: end -->\n"


def _embedded() -> list[Any]:
    found = [b for b in available_servers() if b.source == "embedded"][:1]
    if not found:
        return [pytest.param(("pg-embedded", None), id="pg-embedded")]  # fails in the fixture
    return [pytest.param((f"pg{b.major}", b), id=f"pg{b.major}") for b in found]


@pytest.mark.parametrize("pg", _embedded(), indirect=True)
def test_the_plan_example_is_the_demo_plan_now(
    pg: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "migrations").mkdir()
    for path in workspace.DEMO_MIGRATIONS.iterdir():
        shutil.copy2(path, tmp_path / "migrations" / path.name)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schema-studio]\nschema = "{workspace.DEMO_SCHEMA}"\nmigrations = "migrations"\n'
    )
    url = asyncio.run(workspace.create_database(pg, config.load(tmp_path), workspace.DATABASE))
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        result = CliRunner().invoke(cli, ["plan", "--format", "markdown"])
    finally:
        asyncio.run(pg.drop_database(workspace.DATABASE))
    assert result.exit_code == 2, result.output  # the contract drops a column: a danger
    plan = result.stdout
    if os.environ.get("STUDIO_UPDATE_DOCS"):
        EXAMPLE.write_text(PREFACE + plan, encoding="utf-8")
        README.write_text(_with_example(README.read_text(encoding="utf-8"), plan), "utf-8")
    assert EXAMPLE.read_text(encoding="utf-8") == PREFACE + plan, "stale: STUDIO_UPDATE_DOCS=1"
    readme = README.read_text(encoding="utf-8")
    assert START in readme and readme == _with_example(readme, plan), "stale: STUDIO_UPDATE_DOCS=1"


def _with_example(readme: str, plan: str) -> str:
    """The README with `plan` between its example's markers."""
    return re.sub(f"(?s){START}.*?{END}", lambda _: f"{START}{plan}{END}", readme)
