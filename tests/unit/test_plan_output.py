"""`plan`'s Markdown and `lint --format github`'s annotations, without a database.

The plan against a real server, its formats and exit codes: tests/db/test_plan.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from studio.cli import cli
from studio.cli.annotations import escape_data, escape_property, workflow_command
from studio.cli.plan_markdown import COMMENT_LIMIT, MARKER, code, markdown, text
from studio.migrations import files as migrations
from studio.plan.locks.lint import lint_sources, sources_for_paths
from studio.plan.report import PlannedMigration, PlannedStep, PlanReport, Source

EXPAND = """\
-- schema-studio:phase expand

-- schema-studio:step
ALTER TABLE orders ADD COLUMN state text;

-- schema-studio:step
-- schema-studio:backfill
-- backfill table=public.orders key=id batch_size=1000
UPDATE orders SET state = status WHERE id >= $1 AND id <= $2;
"""


def test_workflow_commands_escape_what_would_end_them() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("dir,x/a:b%.sql\n") == "dir%2Cx/a%3Ab%25.sql%0A"
    line = workflow_command("error", "a\nb", file="m,1.sql", line=3, title="id", col=None)
    assert line == "::error file=m%2C1.sql,line=3,title=id::a%0Ab"
    assert workflow_command("notice", "hi") == "::notice::hi"


def test_lint_github_annotates_each_finding_on_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "20250101000000_x.sql").write_text(
        "-- an index\nCREATE INDEX i ON public.t (a);\n\nDROP INDEX public.j;\n"
        "-- schema-studio:ignore enum-type the values never change\n"
        "CREATE TYPE public.e AS ENUM ('a');\n"
    )
    monkeypatch.chdir(tmp_path)  # a workflow runs at the repository's root
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["lint", "migrations", "--format", "github"])
    assert result.exit_code == 2, result.output  # a danger, as with --format text
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=migrations/20250101000000_x.sql,line=2,title=blocking-index-build::"
        "CREATE INDEX without CONCURRENTLY holds SHARE"
    )
    assert "%0Afix: CREATE INDEX CONCURRENTLY" in lines[0] and "\n" not in lines[0]
    heads = {line.split("::")[1] for line in lines}
    path = "file=migrations/20250101000000_x.sql"
    assert heads == {
        f"error {path},line=2,title=blocking-index-build",
        f"warning {path},line=4,title=blocking-index-drop",
        f"warning {path},line=4,title=lock-held-across-statements",
        f"notice {path},line=4,title=index-dropped",
    }  # the ignored enum-type is accepted: no annotation
    assert "4 hazards in 1 file: 1 danger, 2 warning, 1 info, 1 ignored" in result.stderr


def test_lint_runs_an_expand_migration_step_by_step_as_the_runner_does(tmp_path: Path) -> None:
    # the runner commits a phase's steps one by one (a backfill batch by batch): the column's
    # ACCESS EXCLUSIVE is not held while the backfill runs
    (tmp_path / "20250101000000_state_expand.sql").write_text(EXPAND)
    m = migrations.parse_file(tmp_path / "20250101000000_state_expand.sql")
    assert m.transactional and not m.one_transaction
    found = {f.hazard.id for f in lint_sources(sources_for_paths([tmp_path])).active()}
    assert "lock-held-across-statements" not in found


def test_markdown_escapes_and_stays_under_the_comment_limit(tmp_path: Path) -> None:
    assert text("a | b *c* <x> `y`") == "a \\| b \\*c\\* &lt;x&gt; \\`y\\`"
    assert code("a`b") == "``a`b``" and code("x|y") == "`x\\|y`"
    big = "-- schema-studio:step\n" + "".join(
        f"INSERT INTO t VALUES ({i}, '{'x' * 200}');\n" for i in range(300)
    )
    path = tmp_path / "20250101000000_big.sql"
    path.write_text(big)
    m = migrations.parse_file(path)
    ms = (PlannedMigration(m, (PlannedStep(m.steps[0], (), ()),), "file"),) * 40
    report = PlanReport(Source.FILES, ms, 180000, lock_timeout="500ms", retries=10)
    body = markdown(report)
    assert body.startswith(MARKER + "\n### Migration plan: 40 migrations (40 steps)")
    assert len(body) <= COMMENT_LIMIT
    assert "more lines of SQL" in body  # each step's SQL is cut
    assert "are left out: a comment holds at most 65,536 characters" in body
    assert body.count("<details>") == body.count("</details>") < 40
