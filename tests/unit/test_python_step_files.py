"""Python steps without a database: the directive, what `new --python` writes, finding it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest

from studio.commands.files import new_python
from studio.config import Settings
from studio.errors import MigrationFileError, StudioError, UsageError
from studio.migrations import files as migrations
from studio.migrations.format import PythonCall, parse_text
from studio.migrations.python_calls import check, python_targets, resolve
from studio.plan.estimates import Estimate
from studio.plan.preview import StepEstimate

STEP = "-- schema-studio:step\n"


def test_the_directive_makes_a_step_without_sql() -> None:
    parsed = parse_text(
        STEP
        + "CREATE TABLE t (id int PRIMARY KEY);\n\n"
        + STEP
        + "-- schema-studio:python app.fill:run batch_size=500 'note=two words'\n"
        + "-- fill t\n"
        + "-- schema-studio:irreversible\n\n"
        + STEP
        + "SELECT 1;\n"
    )
    first, py, last = parsed.steps
    assert (first.kind, py.kind, last.kind) == ("sql", "python", "sql")
    options = (("batch_size", "500"), ("note", "two words"))
    assert py.python == PythonCall("app.fill", "run", options)
    assert py.irreversible and not first.irreversible
    assert (py.index, py.line, py.sql, py.statements) == (2, 4, "", ())
    assert py.title == "python: app.fill:run (fill t)"
    assert last.index == 3
    # a Python step may commit batches: the migration runs step by step
    m = migrations.Migration("20250101000001", "x", Path("x.sql"), parsed.steps)
    assert not m.one_transaction


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (STEP + "-- schema-studio:python a.b:run\nSELECT 1;\n", "3: a Python step holds no SQL"),
        ("-- schema-studio:python app.fill:run\nSELECT 1;\n", "1: `-- schema-studio:python` needs"),
        (STEP + "-- schema-studio:python app.fill\n", "2: usage: `-- schema-studio:python"),
        (STEP + "-- schema-studio:python 1app:run\n", "2: usage"),
        (STEP + "-- schema-studio:python a:b size\n", "'size' is not key=value"),
        (STEP + "-- schema-studio:python a:b x=1 x=2\n", "option 'x' given twice"),
        (STEP + "-- schema-studio:python a:b\n-- schema-studio:python a:c\n", "two `-- schema"),
        (STEP + "-- schema-studio:no-transaction\n-- schema-studio:python a:b\n", "neither"),
        (STEP + "SELECT 1;\n-- schema-studio:irreversible\n", "right after a step marker"),
    ],
)
def test_a_bad_directive_is_refused_with_its_line(text: str, problem: str) -> None:
    with pytest.raises(MigrationFileError) as e:
        parse_text(text, "m.sql")
    assert f"m.sql:{problem}" in str(e.value) or problem in str(e.value)


def test_a_python_step_needs_a_down_file_or_irreversible(tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    up = directory / "20250101000001_fill.sql"
    up.write_text(STEP + "-- schema-studio:python app.fill:run\n")
    with pytest.raises(MigrationFileError) as e:
        migrations.load_directory(directory)
    assert str(e.value).endswith(
        "20250101000001_fill.sql:1: step 1 runs python: app.fill:run and the migration has no"
        " down file: write its counterpart in 20250101000001_fill.down.sql or mark the step"
        " `-- schema-studio:irreversible`"
    )
    up.write_text(STEP + "-- schema-studio:python app.fill:run\n-- schema-studio:irreversible\n")
    (m,) = migrations.load_directory(directory)
    assert m.steps[0].irreversible
    up.write_text(STEP + "-- schema-studio:python app.fill:run\n")
    (directory / "20250101000001_fill.down.sql").write_text("DELETE FROM t;\n")
    (m,) = migrations.load_directory(directory)
    assert m.down_steps is not None and m.down_steps[0].kind == "sql"


def test_new_python_writes_a_migration_its_down_file_and_a_module_that_resolve(
    tmp_path: Path,
) -> None:
    settings = Settings(root=tmp_path)
    package = f"dm_{secrets.token_hex(4)}"
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    made = new_python(settings, "Fill notes", package=package, now=now)
    assert made.path == tmp_path / "migrations" / "20250301120000_fill_notes.sql"
    assert made.down_path == tmp_path / "migrations" / "20250301120000_fill_notes.down.sql"
    assert made.module_path == tmp_path / package / "fill_notes.py"
    assert (tmp_path / package / "__init__.py").is_file()
    migrations.verify_sum(tmp_path / "migrations")
    (m,) = migrations.load_directory(tmp_path / "migrations")
    assert m.steps[0].python == PythonCall(f"{package}.fill_notes", "up", (("batch_size", "1000"),))
    assert m.down_steps is not None and m.down_steps[0].python is not None
    assert m.down_steps[0].python.target == f"{package}.fill_notes:down"
    assert python_targets([m]) == (f"{package}.fill_notes:up", f"{package}.fill_notes:down")
    check([m], tmp_path)
    check([m], tmp_path, down=True)
    compile(made.module_path.read_text(), str(made.module_path), "exec")
    # nothing is overwritten, and a bad package name is refused before anything is written
    with pytest.raises(StudioError, match="already exists"):
        new_python(settings, "fill notes", package=package, now=now)
    with pytest.raises(UsageError, match="not a dotted Python package name"):
        new_python(settings, "other", package="my-pkg", now=now)
    assert len(list((tmp_path / "migrations").glob("*.sql"))) == 2


def test_resolve_says_in_one_line_what_is_missing(tmp_path: Path) -> None:
    package = f"dm_{secrets.token_hex(4)}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "ok.py").write_text("async def run(conn, opts): ...\ndef sync(): pass\n")
    (tmp_path / package / "broken.py").write_text("import not_a_module_anywhere_xyz\n")
    (tmp_path / package / "raises.py").write_text("raise KeyError('postgresql://u:pw1@h/db')\n")
    assert resolve(PythonCall(f"{package}.ok", "run"), tmp_path).__name__ == "run"
    cases = {
        (f"{package}.nope", "run"): f"no module {package}.nope (looked in the project root",
        (f"{package}.ok", "gone"): f"module {package}.ok has no function gone",
        (f"{package}.ok", "sync"): f"{package}.ok:sync is not an async function",
        (f"{package}.broken", "run"): f"importing {package}.broken failed: ModuleNotFoundError",
        (f"{package}.raises", "run"): "failed: KeyError: 'postgresql://u:***@h/db'",
    }
    for (module, function), said in cases.items():
        with pytest.raises(StudioError) as e:
            resolve(PythonCall(module, function), tmp_path)
        assert said in e.value.message and "\n" not in e.value.message, e.value.message
        assert "pw1" not in e.value.message
    assert str(tmp_path) not in __import__("sys").path  # the root is only on it while importing


def test_a_python_steps_preview_claims_no_lock_or_time() -> None:
    step = StepEstimate(
        "20250101000001", 1, "python: app.fill:run", True, (), (), Estimate(0, 0, "catalog only"),
        python="app.fill:run",
    )  # fmt: skip
    assert step.lines() == [
        "locks: not analysed: the lock analysis covers SQL only",
        "time:  not estimated (a Python step)",
    ]
    assert step.to_dict()["kind"] == "python" and step.to_dict()["python"] == "app.fill:run"
