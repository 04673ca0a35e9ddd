"""A squash baseline: its header's `squashes` lines, and how the history reads against it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from studio.errors import MigrationFileError
from studio.migrations import files as migrations
from studio.migrations.files import Migration, Squashed, StepSpec, parse_text
from studio.run import history, runner
from studio.run.history import HistoryRow, Kind, State

REPLACED = (
    Squashed("20250101000001", "users", "h1:AAA="),
    Squashed("20250101000002", "orders", "h1:BBB="),
)


def baseline(checksum: str = "h1:NEW=") -> Migration:
    text = migrations.render_migration(
        "20250101000002",
        [StepSpec(("CREATE TABLE users (id int)",)), StepSpec(("CREATE TABLE orders (id int)",))],
        description=("squash of 2 migrations",),
        squashes=REPLACED,
    )
    parsed = parse_text(text)
    return Migration(
        "20250101000002",
        "squashed",
        Path("20250101000002_squashed.sql"),
        parsed.steps,
        checksum=checksum,
        squashes=parsed.squashes,
    )


def row(version: str, name: str, checksum: str, *, finished: bool = True) -> HistoryRow:
    now = datetime.now(UTC)
    done = 1 if finished else 0
    return HistoryRow(
        version, name, checksum, Kind.MIGRATE, done, 1, 0, now, now if finished else None, 1,
        "me", None, "0",
    )  # fmt: skip


def test_squashes_lines_round_trip_and_are_file_level() -> None:
    text = migrations.render_migration(
        "20250101000002", [StepSpec(("SELECT 1",))], squashes=REPLACED
    )
    assert "-- schema-studio:squashes 20250101000001_users h1:AAA=" in text
    assert parse_text(text).squashes == REPLACED
    with pytest.raises(MigrationFileError, match="file-level: put it in the header"):
        parse_text(text.replace("SELECT 1;", "SELECT 1;\n" + REPLACED[0].directive))
    with pytest.raises(MigrationFileError, match="usage: `-- schema-studio:squashes"):
        parse_text("-- schema-studio:squashes 2025_x\n\nSELECT 1;\n")
    with pytest.raises(MigrationFileError, match="out of version order"):
        parse_text(f"{REPLACED[1].directive}\n{REPLACED[0].directive}\n\nSELECT 1;\n")


def test_history_of_the_replaced_migrations_reads_as_squashed_then_applied() -> None:
    steps = baseline().steps[:1]
    b, later = (
        baseline(),
        Migration("20250102000000", "later", Path("x.sql"), steps, checksum="h1:L"),
    )
    applied = [
        row("20250101000001", "users", "h1:AAA="),
        row("20250101000002", "orders", "h1:BBB="),
    ]
    # applied every migration it replaced: not missing, not modified, but squashed
    status = history.compare([b, later], applied)
    assert [(e.version, e.name, e.state) for e in status.entries] == [
        ("20250101000002", "squashed", State.SQUASHED),
        ("20250102000000", "later", State.PENDING),
    ]
    assert runner.changed_after_applied(status) == ()
    assert [m.version for m, _ in runner.migrations_to_run([b, later], applied)] == [later.version]
    assert history.squash_unapplied([b, later], applied) is None
    # once recorded (the row of its version is the baseline's), it is applied
    recorded = [applied[0], row("20250101000002", "squashed", "h1:NEW=")]
    assert [e.state for e in history.compare([b], recorded).entries] == [State.APPLIED]
    # a fresh database runs it
    assert [m.version for m, _ in runner.migrations_to_run([b], [])] == [b.version]
    # applied part of them: refused, naming the first one lacking
    part = applied[:1]
    why = history.squash_unapplied([b], part)
    assert why == (
        "20250101000002_squashed.sql squashes 2 migrations; this database applied 1 of them,"
        " not 20250101000002_orders"
    )
    with pytest.raises(Exception, match="applied 1 of them"):
        runner.migrations_to_run([b], part)
    # a replaced migration's row with another checksum is a changed migration, not squashed
    other = [applied[0], row("20250101000002", "orders", "h1:ZZZ=")]
    assert history.compare([b], other).entries[0].state is State.MODIFIED
