"""`plan`'s Markdown and `lint --format github`'s annotations, without a database.

The plan against a real server, its formats and exit codes: tests/db/test_plan.py.
"""

from __future__ import annotations

from pathlib import Path

from studio.migrations import files as migrations
from studio.plan.locks.lint import lint_sources, sources_for_paths

EXPAND = """\
-- schema-studio:phase expand

-- schema-studio:step
ALTER TABLE orders ADD COLUMN state text;

-- schema-studio:step
-- schema-studio:backfill
-- backfill table=public.orders key=id batch_size=1000
UPDATE orders SET state = status WHERE id >= $1 AND id <= $2;
"""


def test_lint_runs_an_expand_migration_step_by_step_as_the_runner_does(tmp_path: Path) -> None:
    # the runner commits a phase's steps one by one (a backfill batch by batch): the column's
    # ACCESS EXCLUSIVE is not held while the backfill runs
    (tmp_path / "20250101000000_state_expand.sql").write_text(EXPAND)
    m = migrations.parse_file(tmp_path / "20250101000000_state_expand.sql")
    assert m.transactional and not m.one_transaction
    found = {f.hazard.id for f in lint_sources(sources_for_paths([tmp_path])).active()}
    assert "lock-held-across-statements" not in found
