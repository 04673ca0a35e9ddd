"""Bad input: one clear line (what, where, what to do), exit 1, and nothing changed.

Each case runs the command line in a subprocess against a real database and
checks: exit status 1, no traceback, exactly one `error:` line naming the
problem and where it is, a `hint:` line saying what to do, and that neither
the database (its schema and history) nor the project's files changed.

Covered elsewhere, not repeated here (tests/db/test_cli_errors.py): malformed
and unreachable URLs (a socket that never answers), wrong password, missing
database, unknown schema, unknown option.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _rel import (
    assert_one_line_error,
    clean_env,
    execute,
    make_project,
    query,
    run,
    schema_of,
    snapshot_files,
    studio,
    write,
)

from studio.errors import MigrationFileError
from studio.migrations import files as migrations

if TYPE_CHECKING:
    from collections.abc import Callable

    from studio.sources.devdb.cluster import Cluster

V1, V2, V3 = "20250301000001", "20250301000002", "20250301000003"
MODELS = """from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
"""


def _state(url: str, project: Path) -> tuple[Any, ...]:
    """What must not change: the schema, the history rows, every file of the project."""
    has = query(url, "SELECT to_regclass('schema_studio.migrations') IS NOT NULL")[0][0]
    history = query(url, "SELECT * FROM schema_studio.migrations ORDER BY 1") if has else []
    files = {k: v for k, v in snapshot_files(project).items() if not k.startswith("cache/")}
    return run(schema_of(url)), history, files


def _refused(
    project: Path,
    url: str,
    args: tuple[str, ...],
    *needles: str,
    hint: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command that must be refused; check the line, the hint, and that nothing changed."""
    before = _state(url, project)
    r = studio(*args, cwd=project, env=env or clean_env(project / "cache", DATABASE_URL=url))
    assert_one_line_error(r, *needles, hint=hint)
    assert _state(url, project) == before, "a refused command changed something"
    return r


@pytest.fixture
def project(tmp_path: Path, db_url: str, pg: Cluster) -> Path:
    """A project with SQLAlchemy models and one migration applied to `db_url`."""
    root = make_project(tmp_path / "project", schema="app.models:Base", dev_url=pg.url())
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(MODELS)
    write(
        root / "migrations",
        V1,
        "items",
        "CREATE TABLE items (id int PRIMARY KEY, name varchar(80) NOT NULL);\n",
    )
    r = studio("migrate", "--yes", cwd=root, env=clean_env(root / "cache", DATABASE_URL=db_url))
    assert r.returncode == 0, r.stderr
    return root


# --- a role without the privileges migrate needs --------------------------------------------------


def test_role_without_privileges(project: Path, db_url: str) -> None:
    """CONNECT + USAGE + SELECT only.

    migrate names the missing privilege before touching anything.
    """
    dbname = db_url.rsplit("/", 1)[1]
    role = f"ro_{dbname}"
    execute(
        db_url,
        f"CREATE ROLE {role} LOGIN; REVOKE ALL ON DATABASE {dbname} FROM PUBLIC; "
        f"GRANT CONNECT ON DATABASE {dbname} TO {role}; REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
        f" GRANT USAGE ON SCHEMA public TO {role};"
        f" GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    )
    try:
        as_role = db_url.replace("postgres@", f"{role}@", 1)
        write(project / "migrations", V2, "more", "CREATE TABLE more (a int);\n")
        # the history table does not exist for this database name yet: use a table of its own
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + 'history_table = "ops.history"\n')
        env = clean_env(project / "cache", DATABASE_URL=as_role)
        _refused(
            project, db_url, ("migrate", "--yes"),
            f"role {role} lacks the CREATE privilege on database {dbname}", "history schema ops",
            hint=f"GRANT CREATE ON DATABASE {dbname} TO {role}", env=env,
        )  # fmt: skip
        _refused(
            project, db_url, ("baseline", V1), "lacks the CREATE privilege on database",
            hint="GRANT CREATE", env=env,
        )  # fmt: skip
        # the schema made for it by an administrator, without CREATE on it
        execute(db_url, f"CREATE SCHEMA ops; GRANT USAGE ON SCHEMA ops TO {role}")
        _refused(
            project, db_url, ("migrate", "--yes"),
            f"role {role} lacks the CREATE privilege on schema ops", "history table ops.history",
            hint=f"GRANT CREATE ON SCHEMA ops TO {role}", env=env,
        )  # fmt: skip
        # a history table it can read but not write
        query(db_url, f"ALTER SCHEMA ops OWNER TO {role}")
        r = studio("migrate", "--yes", cwd=project, env=env)
        assert "lacks" not in r.stderr
        execute(
            db_url,
            f"ALTER TABLE ops.history OWNER TO postgres; GRANT SELECT ON ops.history TO {role}",
        )
        _refused(
            project, db_url, ("migrate", "--yes"),
            "lacks the INSERT, UPDATE, DELETE privileges on the history table ops.history",
            hint=f"GRANT INSERT, UPDATE, DELETE ON ops.history TO {role}", env=env,
        )  # fmt: skip
        # history writable, but no CREATE in public: the step fails, named, rolled back
        query(db_url, f"GRANT INSERT, UPDATE, DELETE ON ops.history TO {role}")
        _refused(
            project, db_url, ("migrate", "--yes"),
            "permission denied", f"step 1 of {V1}_items.sql, line 1", "schema public",
            hint="grant the role the privilege", env=env,
        )  # fmt: skip
        # the read-only commands work for it
        assert studio("status", cwd=project, env=env).returncode == 0
    finally:
        execute(db_url, f"DROP OWNED BY {role} CASCADE; DROP ROLE {role}")


# --- declared schema that fails to load -----------------------------------------------------------

BAD_MODELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "syntax-error": (
        MODELS.replace("class Item(Base):", "class Item(Base)"),
        ("cannot import app.models", "syntax error", "app/models.py:9"),
    ),
    "import-error": (
        "import no_such_module_here\n" + MODELS,
        ("cannot import app.models", "No module named 'no_such_module_here'", "app/models.py:1"),
    ),
    "raises-at-import": (
        MODELS + '\nraise RuntimeError("models are broken")\n',
        ("RuntimeError: models are broken", "app/models.py:14"),
    ),
    "missing-attribute": (
        MODELS.replace("class Base(", "class Other(").replace("(Base)", "(Other)"),
        ("app.models has no attribute 'Base'",),
    ),
    "wrong-type": ("Base = 42\n", ("app.models:Base is a int, not a MetaData",)),
}


@pytest.mark.parametrize("case", list(BAD_MODELS))
def test_schema_module_that_fails_to_load(project: Path, db_url: str, case: str) -> None:
    text, needles = BAD_MODELS[case]
    (project / "app" / "models.py").write_text(text)
    for args in (("generate", "--name", "next"), ("diff",), ("check",)):
        _refused(project, db_url, args, *needles, hint="fix the source")


BAD_SQL: dict[str, tuple[str, tuple[str, ...]]] = {
    "unknown-relation": (
        "CREATE TABLE a (id int PRIMARY KEY);\n\nCREATE TABLE b (id int REFERENCES nope (id));\n",
        ("schema.sql:3", 'relation "nope" does not exist', "(in: CREATE TABLE b"),
    ),
    "syntax-error": (
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int,, x int);\n",
        ("schema.sql:2", 'syntax error at or near ","', "(in: CREATE TABLE b"),
    ),
    "unterminated-dollar-quote": (
        "CREATE TABLE a (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1;\n",
        ("schema.sql:2", "unterminated dollar-quoted string"),
    ),
}


@pytest.mark.parametrize("case", list(BAD_SQL))
def test_sql_source_that_fails_to_load(project: Path, db_url: str, case: str) -> None:
    text, needles = BAD_SQL[case]
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"app.models:Base"', '"schema.sql"'))
    (project / "schema.sql").write_text(text)
    _refused(
        project, db_url, ("generate", "--name", "next"), *needles, hint="fix the declared schema"
    )
    _refused(project, db_url, ("diff",), *needles, hint="fix the declared schema")


# --- the migrations directory ---------------------------------------------------------------------

MALFORMED: dict[str, tuple[str, bytes, tuple[str, ...]]] = {
    "unknown-directive": (
        f"{V2}_bad.sql",
        b"-- schema-studio:step\nCREATE TABLE t (a int);\n-- schema-studio:bogus\nSELECT 1;\n",
        (f"{V2}_bad.sql:3", "unknown directive `-- schema-studio:bogus`"),
    ),
    "sql-before-first-step": (
        f"{V2}_bad.sql",
        b"CREATE TABLE t (a int);\n-- schema-studio:step\nSELECT 1;\n",
        (f"{V2}_bad.sql:1", "SQL before the first `-- schema-studio:step` marker"),
    ),
    "unterminated-quote": (
        f"{V2}_bad.sql",
        b"CREATE TABLE t (a int);\nINSERT INTO t VALUES ('oops);\n",
        (f"{V2}_bad.sql:2", "unterminated quoted string"),
    ),
    "not-utf8": (
        f"{V2}_bad.sql",
        b"CREATE TABLE t (a int);\n-- caf\xe9\n",
        (f"{V2}_bad.sql:2", "not valid UTF-8"),
    ),
    "bad-file-name": (
        "2025_bad.sql",
        b"SELECT 1;\n",
        ("2025_bad.sql:1", "not a migration file name"),
    ),
    "version-mismatch": (
        f"{V2}_bad.sql",
        f"-- version: {V3}\nSELECT 1;\n".encode(),
        (f"{V2}_bad.sql:1", f"version {V3} does not match the file name"),
    ),
    "duplicate-version": (
        f"{V1}_again.sql",
        b"CREATE TABLE again (a int);\n",
        (f"{V1}_items.sql:1", f"version {V1} is also used by {V1}_again.sql"),
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_migration_file(project: Path, db_url: str, case: str) -> None:
    name, data, needles = MALFORMED[case]
    (project / "migrations" / name).write_bytes(data)
    # `hash` refuses to bless it; with the sum rewritten anyway, every reader refuses it
    _refused(project, db_url, ("hash",), *needles, hint="fix the file")
    with contextlib.suppress(MigrationFileError):  # not UTF-8: not even hashable
        migrations.write_sum(project / "migrations")
    for args in (("migrate", "--yes"), ("status",), ("generate", "--name", "next"), ("lint",)):
        _refused(project, db_url, args, *needles, hint="fix the file")


@pytest.mark.parametrize("case", ["duplicate-version", "unknown-directive", "not-utf8"])
def test_malformed_migrations_as_the_declared_schema(project: Path, db_url: str, case: str) -> None:
    """`schema = "migrations"`: the loads run side by side all fail.

    None is left to die at exit.
    """
    name, data, needles = MALFORMED[case]
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"app.models:Base"', '"migrations"'))
    (project / "migrations" / name).write_bytes(data)
    with contextlib.suppress(MigrationFileError):  # not UTF-8: not even hashable
        migrations.write_sum(project / "migrations")
    for args in (("check",), ("diff",), ("generate", "--name", "next")):
        r = _refused(project, db_url, args, *needles, hint="fix the file")
        assert "unhandled exception" not in r.stderr, r.stderr


def test_unknown_schema_refused_by_migrate_and_status(
    tmp_path: Path, db_url: str, pg: Cluster
) -> None:
    """`--schema nosuch` on a fresh database: refused before anything runs, as `diff` refuses it."""
    root = make_project(tmp_path / "fresh", schema="migrations", dev_url=pg.url())
    write(
        root / "migrations",
        V1,
        "billing",
        "CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id int);\n",
    )
    write(root / "migrations", V2, "items", "CREATE TABLE items (id int);\n")
    for option in ("--schema", "--exclude-schema"):
        for args in (("migrate", "--yes"), ("status",), ("rollback", "--yes"), ("diff",)):
            _refused(
                root,
                db_url,
                (*args, option, "nosuch"),
                "unknown schema 'nosuch'",
                hint="schemas found",
            )
    # known: a schema the pending migrations create, then one the target holds
    env = clean_env(root / "cache", DATABASE_URL=db_url)
    r = studio("migrate", "--yes", "--schema", "billing", cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    assert studio("status", "--schema", "public", cwd=root, env=env).returncode == 0


def test_new_migration_older_than_the_last_applied(project: Path, db_url: str) -> None:
    write(project / "migrations", V3, "third", "CREATE TABLE third (a int);\n")
    env = clean_env(project / "cache", DATABASE_URL=db_url)
    assert studio("migrate", "--yes", cwd=project, env=env).returncode == 0
    write(project / "migrations", V2, "second", "CREATE TABLE second (a int);\n")
    _refused(
        project, db_url, ("migrate", "--yes"),
        f"{V2}_second.sql is older than the last applied migration ({V3})",
        hint="--allow-out-of-order",
    )  # fmt: skip
    r = studio("migrate", "--yes", "--allow-out-of-order", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    assert query(db_url, "SELECT to_regclass('second') IS NOT NULL") == [(True,)]


# --- the history table altered by hand ------------------------------------------------------------

HISTORY_EDITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "column-dropped": (
        "ALTER TABLE schema_studio.migrations DROP COLUMN steps_done",
        ("the history table schema_studio.migrations lacks column steps_done",),
    ),
    "column-retyped": (
        "ALTER TABLE schema_studio.migrations ALTER COLUMN steps_done TYPE text",
        ("column steps_done is text, expected integer",),
    ),
    "replaced-by-a-view": (
        (
            "ALTER TABLE schema_studio.migrations RENAME TO old; "
            "CREATE VIEW schema_studio.migrations AS SELECT 1 AS x"
        ),
        ("lacks columns version, name",),
    ),
    "steps-out-of-range": (
        "UPDATE schema_studio.migrations SET steps_done = -1, finished_at = NULL",
        (f"row {V1} records -1 of 1 step done",),
    ),
    "unknown-kind": (
        "UPDATE schema_studio.migrations SET kind = 'manual'",
        (f"row {V1} has kind 'manual'",),
    ),
    "checksum-forged": (
        "UPDATE schema_studio.migrations SET checksum = 'h1:forged'",
        (f"{V1}_items.sql was changed after it was applied",),
    ),
}


@pytest.mark.parametrize("case", list(HISTORY_EDITS))
def test_history_table_altered_by_hand(project: Path, db_url: str, case: str) -> None:
    sql, needles = HISTORY_EDITS[case]
    execute(db_url, sql)
    write(project / "migrations", V2, "more", "CREATE TABLE more (a int);\n")
    hint = "immutable" if case == "checksum-forged" else "altered by hand"
    _refused(project, db_url, ("migrate", "--yes"), *needles, hint=hint)
    if case != "checksum-forged":  # status reports a forged checksum as MODIFIED, exit 0
        _refused(project, db_url, ("status",), *needles, hint=hint)
    _refused(project, db_url, ("rollback", "--yes"), *needles, hint=hint)


# --- the checksum file ----------------------------------------------------------------------------

SUM_EDITS: dict[str, tuple[Callable[[Path], None], tuple[str, ...], str]] = {
    "sum-missing": (
        lambda d: (d / "schema-studio.sum").unlink(),
        ("schema-studio.sum is missing",),
        "schema-studio hash",
    ),
    "migration-edited": (
        lambda d: (d / f"{V1}_items.sql").write_text("CREATE TABLE items (id bigint);\n"),
        (f"{V1}_items.sql was modified after it was recorded in schema-studio.sum",),
        "immutable",
    ),
    "migration-added-without-hash": (
        lambda d: (d / f"{V2}_sneaky.sql").write_text("DROP TABLE items;\n"),
        (f"{V2}_sneaky.sql is not recorded in schema-studio.sum",),
        "schema-studio hash",
    ),
    "migration-deleted": (
        lambda d: (d / f"{V1}_items.sql").unlink(),
        (f"{V1}_items.sql is recorded in schema-studio.sum but missing on disk",),
        "schema-studio hash",
    ),
    "sum-total-edited": (
        lambda d: (d / "schema-studio.sum").write_text(
            "h2:AAAA" + (d / "schema-studio.sum").read_text()[7:]
        ),
        ("the total hash (first line) does not match its entries",),
        "schema-studio hash",
    ),
    "sum-merge-conflict": (
        lambda d: (d / "schema-studio.sum").write_text(
            "<<<<<<< HEAD\n" + (d / "schema-studio.sum").read_text() + "=======\n>>>>>>> theirs\n"
        ),
        ("schema-studio.sum:1", "merge conflict in the sum file"),
        "schema-studio hash",
    ),
}


@pytest.mark.parametrize("case", list(SUM_EDITS))
def test_checksum_file_missing_or_edited(project: Path, db_url: str, case: str) -> None:
    edit, needles, hint = SUM_EDITS[case]
    edit(project / "migrations")
    for args in (("migrate", "--yes"), ("status",), ("generate", "--name", "next")):
        _refused(project, db_url, args, *needles, hint=hint)


# --- the configuration ----------------------------------------------------------------------------

CONFIGS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "unknown-key": (
        'lock_timout = "2s"\n',
        ("pyproject.toml: unknown key 'lock_timout' in [tool.schema-studio]",),
        "known keys:",
    ),
    "password-key": (
        'password = "hunter2-config"\n',
        ("pyproject.toml: [tool.schema-studio] holds a password",),
        "PGPASSWORD",
    ),
    "password-in-dev-url": (
        'dev_url = "postgresql://u:hunter2-config@localhost/dev"\n',
        ("pyproject.toml: dev_url holds a password",),
        "PGPASSWORD",
    ),
    "wrong-type": (
        'retries = "ten"\n',
        ("pyproject.toml: retries has the wrong type (str)",),
        "configuration",
    ),
    "bad-duration": (
        'lock_timeout = "soon"\n',
        ("lock_timeout = 'soon' is not a duration",),
        "500ms",
    ),
    "not-toml": ("retries = = 3\n", ("cannot read", "pyproject.toml"), "configuration"),
    "negative-retries": (
        "retries = -5\n",
        ("pyproject.toml: retries = -5 must be at least 0",),
        "lock timeout",
    ),
    "zero-connect-timeout": (
        "connect_timeout = 0\n",
        ("pyproject.toml: connect_timeout = 0 must be more than 0",),
        "seconds",
    ),
    "history-table-of-three-names": (
        'history_table = "a.b.c"\n',
        ("history_table = 'a.b.c' is not a table name",),
        "schema.table",
    ),
    "production-pattern-not-a-regex": (
        'production_patterns = ["prod("]\n',
        ("production_patterns: 'prod(' is not a regular expression", "missing )"),
        "escape",
    ),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_bad_configuration(project: Path, db_url: str, case: str) -> None:
    line, needles, hint = CONFIGS[case]
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    if case in ("password-in-dev-url",):
        text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("dev_url")) + "\n"
    pyproject.write_text(text + line)
    for args in (("migrate", "--yes"), ("status",), ("diff",), ("inspect",)):
        r = _refused(project, db_url, args, *needles, hint=hint)
        assert "hunter2-config" not in r.stdout + r.stderr


def test_dev_cluster_folder_missing(project: Path, db_url: str, tmp_path: Path) -> None:
    """STUDIO_DEVDB_DIR naming no folder: one line naming it, not an internal error."""
    pyproject = project / "pyproject.toml"
    kept = [ln for ln in pyproject.read_text().splitlines() if not ln.startswith("dev_url")]
    pyproject.write_text("\n".join(kept) + "\n")
    missing = tmp_path / "no-such-folder"
    env = clean_env(project / "cache", DATABASE_URL=db_url, STUDIO_DEVDB_DIR=str(missing))
    for args in (("diff",), ("check",), ("generate", "--name", "next")):
        _refused(
            project, db_url, args, f"STUDIO_DEVDB_DIR={missing} is not a folder",
            hint="create it", env=env,
        )  # fmt: skip
