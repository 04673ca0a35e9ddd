"""Lint: every hazard fires on its example and not on its safe twin; ignore comments; exit codes.

Pure: no database. The knowledge base behind the lock facts is proven
against PostgreSQL in tests/db/test_lock_kb.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lint_cases import CASES, LintCase

from studio.cli import cli
from studio.migrations import files as migrations
from studio.model import Column, Schema, Table
from studio.plan.locks import Activity, Context, LockMode, facts_for_statement
from studio.plan.locks.hazards import HAZARDS, Level, hazard
from studio.plan.locks.lint import (
    LintReport,
    lint_sources,
    lint_sql,
    script_source,
    sources_for_paths,
)
from studio.sqltext.syntax_errors import SqlSyntaxError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hazards.md"

# the version each example needs, when it is not the default (18)
_VERSION = {"concurrent-index-corruption": 140002, "statement-needs-newer-server": 140013}


def ids(report: LintReport) -> set[str]:
    return {f.hazard.id for f in report.active()}


@pytest.mark.parametrize("h", HAZARDS, ids=[h.id for h in HAZARDS])
def test_example_triggers_the_hazard(h: object) -> None:
    assert hasattr(h, "id")
    report = lint_sql(
        h.example, server_version=_VERSION.get(h.id, 180000), external=h.external_only
    )  # type: ignore[attr-defined]
    assert h.id in ids(report), f"{h.id} not found in its example; found {sorted(ids(report))}"  # type: ignore[attr-defined]


@pytest.mark.parametrize("h", HAZARDS, ids=[h.id for h in HAZARDS])
def test_safe_twin_does_not(h: object) -> None:
    report = lint_sql(h.safe, external=h.external_only)  # type: ignore[attr-defined]
    assert h.id not in ids(report), f"{h.id} found in its safe twin"  # type: ignore[attr-defined]


def test_catalogue_is_well_formed() -> None:
    seen = set()
    for h in HAZARDS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", h.id), h.id
        assert h.id not in seen
        seen.add(h.id)
        assert h.message and "\n" not in h.message and h.fix and "\n" not in h.fix
        assert h.example != h.safe or h.id in _VERSION


# --- the golden cases (tests/unit/lint_cases.py) ------------------------------------------------

_RUNS = [(c, v) for c in CASES for v in c.versions]


@pytest.mark.parametrize(
    ("case", "version"),
    _RUNS,
    ids=[f"{c.rule.split(':')[1]}-{i}-pg{v // 10000}" for i, (c, v) in enumerate(_RUNS)],
)
def test_golden_case(case: LintCase, version: int) -> None:
    found = {(f.hazard.id, f.level) for f in case.run(version).active()}
    raised = {(h, lv) for h, lv in found if lv >= Level.WARNING}
    expected = set(case.expect)
    assert raised == {(h, lv) for h, lv in expected if lv >= Level.WARNING}, case.sql
    assert expected <= found, case.sql
    if not case.must_flag:  # a near miss: nothing of its rule, at any level
        assert not {h for h, _ in found} & case.mapped, case.sql


def test_golden_cases_cover_every_squawk_rule() -> None:
    rules = {c.rule for c in CASES}
    for name in PEER_RULES["squawk"].split():
        if name not in ("syntax-error", "require-timeout-settings"):
            assert f"squawk:{name}" in rules, name
            assert any(c.must_flag for c in CASES if c.rule == f"squawk:{name}"), name
            assert any(not c.must_flag for c in CASES if c.rule == f"squawk:{name}"), name


# --- knowledge that makes the difference ------------------------------------------------------


def test_non_volatile_default_is_catalog_only_since_11() -> None:
    sql = "ALTER TABLE orders ADD COLUMN region text DEFAULT 'eu'"
    assert "add-column-volatile-default" not in ids(lint_sql(sql))
    assert "add-column-volatile-default" in ids(lint_sql(sql, server_version=100000))
    assert "add-column-volatile-default" in ids(
        lint_sql("ALTER TABLE orders ADD COLUMN at timestamptz DEFAULT clock_timestamp()")
    )
    assert "add-column-volatile-default" not in ids(
        lint_sql("ALTER TABLE orders ADD COLUMN at timestamptz DEFAULT now()")
    )


def test_unknown_function_default_is_assumed_volatile_unless_declared() -> None:
    assert "add-column-volatile-default" in ids(
        lint_sql("ALTER TABLE orders ADD COLUMN c int DEFAULT pick()")
    )
    declared = (
        "CREATE FUNCTION pick() RETURNS int LANGUAGE sql IMMUTABLE AS 'select 1';\n"
        "ALTER TABLE orders ADD COLUMN c int DEFAULT pick();"
    )
    assert "add-column-volatile-default" not in ids(lint_sql(declared))


def _files(tmp_path: Path, **files: str) -> list[Path]:
    out = []
    for name, text in files.items():
        p = tmp_path / f"{name}.sql"
        p.write_text(text)
        out.append(p)
    return out


def test_type_change_knows_the_old_type_from_earlier_files(tmp_path: Path) -> None:
    files = _files(
        tmp_path,
        a_create="CREATE TABLE orders (id bigint PRIMARY KEY, label varchar(20), qty integer);",
        b_widen="ALTER TABLE orders ALTER COLUMN label TYPE varchar(40);\n"
        "ALTER TABLE orders ALTER COLUMN label TYPE text;",
        c_int="ALTER TABLE orders ALTER COLUMN qty TYPE bigint;",
    )
    report = lint_sources(sources_for_paths(files))
    rewrites = [f for f in report.active() if f.hazard.id == "rewriting-type-change"]
    assert [Path(f.path).name for f in rewrites] == ["c_int.sql"]


def test_a_column_moved_to_a_recreated_collation_rebuilds_its_indexes(tmp_path: Path) -> None:
    """What the diff writes for a redefined collation: the old one renamed away, then the
    column moved to the new one of the same name; its indexes are rebuilt, no rewrite."""
    files = _files(
        tmp_path,
        a_create="CREATE COLLATION coll (locale = 'C');\n"
        "CREATE TABLE t (id bigint PRIMARY KEY, note text COLLATE coll);",
        b_recreate="ALTER COLLATION coll RENAME TO coll__old;\n"
        "CREATE COLLATION coll (locale = 'POSIX');\n"
        "ALTER TABLE t ALTER COLUMN note TYPE text COLLATE coll;\n"
        "DROP COLLATION coll__old;",
    )
    report = lint_sources(sources_for_paths(files))
    (moved,) = [s for s in report.statements if s.statement.startswith("ALTER TABLE")]
    assert [f.entry for f in moved.facts] == ["alter_table.alter_column_type.index_rebuild"]
    # against the live schema (migrate's preview), which names the collation as read
    live = Table("public", "t", (Column("note", "text", collation="public.coll", position=1),))
    script = (
        "ALTER COLLATION public.coll RENAME TO coll__old;\n"
        "CREATE COLLATION public.coll (locale = 'POSIX');\n"
        "ALTER TABLE public.t ALTER COLUMN note TYPE text COLLATE public.coll;\n"
        "DROP COLLATION public.coll__old;"
    )
    report = lint_sources(
        [script_source(script, "b.sql")], context=Context.of(Schema(tables={live.key: live}))
    )
    (moved,) = [s for s in report.statements if s.statement.startswith("ALTER TABLE")]
    assert [f.entry for f in moved.facts] == ["alter_table.alter_column_type.index_rebuild"]


def test_the_diffs_collation_recreation_says_the_moved_columns_indexes_are_rebuilt() -> None:
    from studio.model import CatalogObject
    from studio.model.changes import CollatedColumn, RecreateCollation
    from studio.plan.locks import facts_for_change

    def coll(locale: str) -> CatalogObject:
        sql = f"CREATE COLLATION public.coll (locale = '{locale}')"
        return CatalogObject("collation", "public.coll", (sql,), schema="public")

    live = Table("public", "t", (Column("note", "text", collation="public.coll", position=1),))
    change = RecreateCollation(
        coll("C"), coll("POSIX"), (CollatedColumn("public.t", "note", "text"),)
    )
    facts = facts_for_change(change, 180000, Context.of(Schema(tables={live.key: live})))
    on_table = [f for f in facts if f.relation == "public.t"]
    assert [f.entry for f in on_table] == ["alter_table.alter_column_type.index_rebuild"]
    assert on_table[0].mode is LockMode.ACCESS_EXCLUSIVE


def test_set_not_null_proven_by_a_validated_check(tmp_path: Path) -> None:
    files = _files(
        tmp_path,
        a="CREATE TABLE orders (id bigint, note text);",
        b="ALTER TABLE orders ADD CONSTRAINT note_nn CHECK (note IS NOT NULL) NOT VALID;",
        c="ALTER TABLE orders VALIDATE CONSTRAINT note_nn;",
        d="ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
    )
    assert "scanning-set-not-null" not in ids(lint_sources(sources_for_paths(files)))
    # without the VALIDATE the check proves nothing
    assert "scanning-set-not-null" in ids(
        lint_sources(sources_for_paths([files[0], files[1], files[3]]))
    )
    # and before PostgreSQL 12 the scan is never skipped
    assert "scanning-set-not-null" in ids(
        lint_sources(sources_for_paths(files), server_version=110000)
    )


def test_dropping_a_constraint_the_same_migration_added_takes_nothing_away(tmp_path: Path) -> None:
    # the safe SET NOT NULL: its temporary CHECK guaranteed nothing before this migration
    safe = (
        "ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK ((a IS NOT NULL)) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT t_a_nn;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
        'ALTER TABLE t DROP CONSTRAINT "t_a_nn";\n'
    )
    assert "drop-constraint" not in ids(lint_sql(safe))
    assert "drop-constraint" in ids(lint_sql("ALTER TABLE t DROP CONSTRAINT t_b_check;"))
    # added by an earlier migration (another file): a guarantee the application may rely on
    files = _files(
        tmp_path,
        a="ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK ((a IS NOT NULL));",
        b="ALTER TABLE t DROP CONSTRAINT t_a_nn;",
    )
    assert "drop-constraint" in ids(lint_sources(sources_for_paths(files)))


def test_index_on_a_table_created_by_the_same_file_is_not_blocking(tmp_path: Path) -> None:
    same = "CREATE TABLE t (id bigint, a int);\nCREATE INDEX t_a ON t (a);"
    assert "blocking-index-build" not in ids(lint_sql(same))
    files = _files(tmp_path, a="CREATE TABLE t (id bigint, a int);", b="CREATE INDEX t_a ON t (a);")
    assert "blocking-index-build" in ids(lint_sources(sources_for_paths(files)))


def test_drop_index_names_its_table_when_known() -> None:
    report = lint_sql(
        "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nCOMMIT;\nDROP INDEX t_a;"
    )
    facts = report.statements[-1].facts
    assert {f.relation for f in facts} == {"public.t", "public.t_a"}


def test_facts_for_statement_locks_the_referenced_table() -> None:
    facts = facts_for_statement(
        "ALTER TABLE s.orders ADD FOREIGN KEY (user_id) REFERENCES s.users (id)", 150000
    )
    by = {f.relation: f for f in facts}
    assert by["s.orders"].mode is LockMode.SHARE_ROW_EXCLUSIVE
    assert by["s.users"].mode is LockMode.SHARE_ROW_EXCLUSIVE
    assert by["s.users"].blocks_writes and not by["s.users"].blocks_reads
    assert Activity.SELECT not in by["s.orders"].blocks


def test_detach_concurrently_needs_14() -> None:
    assert "blocking-partition-detach" in ids(lint_sql("ALTER TABLE e DETACH PARTITION e1"))
    assert "blocking-partition-detach" not in ids(
        lint_sql("ALTER TABLE e DETACH PARTITION e1 CONCURRENTLY")
    )


# --- transactions ---------------------------------------------------------------------------


def test_psql_semantics_commit_each_statement() -> None:
    # outside BEGIN each statement commits: using the new value next is fine
    ok = "ALTER TYPE st ADD VALUE 'x';\nUPDATE t SET s = 'x' WHERE id = 1;"
    assert "enum-value-used-in-transaction" not in ids(lint_sql(ok))
    assert "enum-value-used-in-transaction" in ids(lint_sql(f"BEGIN;\n{ok}\nCOMMIT;"))


def test_migration_is_one_transaction(tmp_path: Path) -> None:
    mdir = tmp_path / "migrations"
    mdir.mkdir()
    (mdir / "20250101000000_add.sql").write_text(
        "ALTER TABLE orders ADD CONSTRAINT total_pos CHECK (total >= 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT total_pos;\n"
    )
    report = lint_sources(sources_for_paths([mdir]))
    assert "validate-in-same-transaction" in ids(report)
    assert "missing-lock-timeout" not in {f.hazard.id for f in report.findings}
    external = lint_sources(sources_for_paths([mdir], external=True), external=True)
    assert "missing-lock-timeout" in ids(external)
    # with --external the file runs statement by statement (psql): no shared transaction
    assert "validate-in-same-transaction" not in ids(external)


def test_transaction_control_in_a_migration_is_reported(tmp_path: Path) -> None:
    (tmp_path / "20250101000000_tx.sql").write_text(
        "BEGIN;\nALTER TABLE t ADD COLUMN a text;\nCOMMIT;\n"
    )
    assert "transaction-nesting" in ids(lint_sources(sources_for_paths([tmp_path])))


def test_lock_timeout_must_precede_the_statement() -> None:
    assert "missing-lock-timeout" in ids(
        lint_sql("ALTER TABLE t ADD COLUMN a text;\nSET lock_timeout = '1s';", external=True)
    )
    local = (
        "BEGIN;\nSET LOCAL lock_timeout = '1s';\nALTER TABLE t ADD COLUMN a text;\nCOMMIT;\n"
        "ALTER TABLE t ADD COLUMN b text;"
    )
    found = [
        f for f in lint_sql(local, external=True).active() if f.hazard.id == "missing-lock-timeout"
    ]
    assert [f.line for f in found] == [5]  # SET LOCAL lasted only for its transaction
    assert "missing-lock-timeout" in ids(
        lint_sql("SET lock_timeout = 0;\nALTER TABLE t ADD COLUMN a text;", external=True)
    )
    # a lock that blocks neither reads nor writes cannot stall the application while it waits
    assert "missing-lock-timeout" not in ids(
        lint_sql("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);", external=True)
    )


# --- ignore comments ------------------------------------------------------------------------


IGNORED = """\
-- schema-studio:ignore drop-column unused since v2.3 (#412)
ALTER TABLE orders DROP COLUMN legacy_note;
ALTER TABLE orders DROP COLUMN other_note;
"""


def test_ignore_suppresses_the_next_statement_only() -> None:
    report = lint_sql(IGNORED)
    drops = [f for f in report.findings if f.hazard.id == "drop-column"]
    assert [(f.line, f.ignored) for f in drops] == [(2, "unused since v2.3 (#412)"), (3, None)]
    assert report.exit_code() == 2  # the second drop still counts
    assert (
        lint_sql(
            IGNORED.splitlines(keepends=True)[0] + IGNORED.splitlines(keepends=True)[1]
        ).exit_code()
        == 0
    )


def test_unused_and_unknown_ignores_are_reported() -> None:
    report = lint_sql(
        "-- schema-studio:ignore drop-table not here\n-- schema-studio:ignore no-such-thing x\n"
        "SELECT 1;"
    )
    unused = [f for f in report.findings if f.hazard.id == "unused-ignore"]
    assert [f.line for f in unused] == [1, 2]
    assert "no hazard is called no-such-thing" in unused[1].detail


def test_ignore_without_reason_is_an_error() -> None:
    with pytest.raises(SqlSyntaxError, match=r"f.sql:2: .*reason is required"):
        lint_sql(
            "SELECT 1;\n-- schema-studio:ignore drop-column\nALTER TABLE t DROP COLUMN a;", "f.sql"
        )


def test_ignore_in_a_migration_file(tmp_path: Path) -> None:
    (tmp_path / "20250101000000_drop.sql").write_text(IGNORED)
    report = lint_sources(sources_for_paths([tmp_path]))
    assert [f.ignored for f in report.findings if f.hazard.id == "drop-column"] == [
        "unused since v2.3 (#412)",
        None,
    ]


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
    (tmp_path / "migrations").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["lint", *args])
    return result.exit_code, result.stdout, result.stderr


def test_exit_codes(project: Path) -> None:
    (project / "danger.sql").write_text("CREATE INDEX i ON orders (a);\n")
    (project / "info.sql").write_text("CREATE TYPE s AS ENUM ('a');\n")
    (project / "clean.sql").write_text("SELECT 1;\n")
    assert invoke("danger.sql")[0] == 2
    assert invoke("info.sql")[0] == 0
    assert invoke("info.sql", "--fail-on", "info")[0] == 2
    assert invoke("danger.sql", "--fail-on", "danger")[0] == 2
    assert invoke("clean.sql")[0] == 0


def test_unparsable_file_is_one_line_and_exit_1(project: Path) -> None:
    (project / "bad.sql").write_text("SELECT 1;\n\nALTER TABLE orders ADD COLUMN;\n")
    code, out, err = invoke("bad.sql")
    assert code == 1
    assert out == ""
    assert err.splitlines()[0].startswith("error: bad.sql:3: syntax error")


def test_text_output_shows_locks_fix_and_ignore_reason(project: Path) -> None:
    (project / "m.sql").write_text(IGNORED + "CREATE INDEX orders_a ON orders (a);\n")
    code, out, err = invoke("m.sql")
    assert code == 2
    assert "m.sql:2: ALTER TABLE orders DROP COLUMN legacy_note\n" in out
    assert "  danger drop-column: " in out and "ignored: unused since v2.3 (#412)" in out
    assert "m.sql:4: CREATE INDEX orders_a ON orders (a)\n" in out
    assert "  danger blocking-index-build: " in out
    assert "locks: SHARE on public.orders, blocks writes, VACUUM and DDL; builds an index" in out
    assert "fix: CREATE INDEX CONCURRENTLY" in out
    assert "1 ignored" in err


def test_json_output(project: Path) -> None:
    (project / "m.sql").write_text(IGNORED)
    code, out, _ = invoke("m.sql", "--format", "json")
    data = json.loads(out)
    assert code == data["exit_code"] == 2
    first = data["findings"][0]
    assert (
        first["hazard"] == "drop-column"
        and first["ignored"]
        and first["reason"] == "unused since v2.3 (#412)"
    )
    assert (
        first["locks"][0]["mode"] == "ACCESS EXCLUSIVE" and "select" in first["locks"][0]["blocks"]
    )
    assert data["summary"]["ignored"] == 1
    # every statement, with or without a hazard, carries its lock facts
    assert [st["line"] for st in data["statements"]] == [2, 3]
    assert data["statements"][1]["locks"][0]["effect"] == "catalog"


def test_default_is_the_migrations_directory(project: Path) -> None:
    (project / "migrations" / "20250101000000_a.sql").write_text(
        "CREATE TABLE t (id bigint PRIMARY KEY);\n"
    )
    (project / "migrations" / "20250102000000_b.sql").write_text("CREATE INDEX t_id2 ON t (id);\n")
    code, out, err = invoke()
    assert code == 2
    assert "20250102000000_b.sql:1: CREATE INDEX t_id2 ON t (id)\n" in out
    assert "  danger blocking-index-build: " in out
    assert "no database given: linting every migration" in err


def test_pg_version_option(project: Path) -> None:
    (project / "a.sql").write_text("ALTER TABLE t ADD COLUMN c int DEFAULT 0;\n")
    assert invoke("a.sql")[0] == 0
    assert invoke("a.sql", "--pg-version", "10")[0] == 2
    assert invoke("a.sql", "--pg-version", "x")[0] == 1


# --- the document ---------------------------------------------------------------------------

PEER_RULES = {
    "squawk": """adding-field-with-default adding-foreign-key-constraint adding-not-nullable-field
        adding-required-field adding-serial-primary-key-field
        ban-alter-domain-with-add-constraint ban-char-field
        ban-concurrent-index-creation-in-transaction ban-create-domain-with-constraint
        ban-drop-column ban-drop-database ban-drop-not-null ban-drop-table
        ban-duplicate-column-assignments ban-truncate-cascade ban-uncommitted-transaction
        changing-column-type constraint-missing-not-valid disallowed-unique-constraint
        identifier-too-long prefer-bigint-over-int prefer-bigint-over-smallint prefer-identity
        prefer-repack prefer-robust-stmts prefer-text-field prefer-timestamptz renaming-column
        renaming-table require-concurrent-index-creation require-concurrent-index-deletion
        require-concurrent-partition-detach require-concurrent-reindex
        require-enum-value-ordering require-lock-timeout require-statement-timeout
        require-table-schema transaction-nesting unused-ignore syntax-error
        require-timeout-settings""",
    "strong_migrations": """remove_column change_column rename_column rename_table create_table
        add_column_auto_incrementing add_column_generated_stored add_foreign_key
        validate_foreign_key add_check_constraint validate_check_constraint execute backfill
        add_index add_reference
        add_unique_constraint add_exclusion_constraint add_column_json add_column_default
        add_column_default_callable change_column_null_postgresql rename_enum_value rename_schema
        add_index_columns remove_index add_index_corruption change_column_default""",
    "pg-schema-diff": """ACQUIRES_ACCESS_EXCLUSIVE_LOCK ACQUIRES_SHARE_LOCK
        ACQUIRES_SHARE_ROW_EXCLUSIVE_LOCK CORRECTNESS DELETES_DATA HAS_UNTRACKABLE_DEPENDENCIES
        INDEX_BUILD INDEX_DROPPED IMPACTS_DATABASE_PERFORMANCE IS_USER_GENERATED
        UPGRADING_EXTENSION_VERSION AUTHZ_UPDATE""",
    "eugene": "E1 E2 E3 E4 E5 E6 E7 E8 E9 E10 E11 W12 W13 W14 E15",
    "atlas": "DS101 DS102 DS103 BC101 BC102 MF101 MF102 MF103 MF104 CD101",
}


def test_docs_list_every_hazard_with_example_and_fix() -> None:
    text = DOCS.read_text()
    for h in HAZARDS:
        assert f"#### `{h.id}` ({h.level.label})" in text, h.id
        assert h.example in text and h.safe in text, h.id


def test_docs_map_every_peer_rule() -> None:
    text = DOCS.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for linter, names in PEER_RULES.items():
        for name in names.split():
            assert any(re.match(rf"\| {re.escape(name)}\b", row) for row in rows), (
                f"{linter}:{name} not mapped"
            )


def test_every_mapped_hazard_exists() -> None:
    text = DOCS.read_text()
    for tail in re.findall(r"^\|[^|]+\|(.*)\|$", text, flags=re.MULTILINE):
        for used in re.findall(r"`([a-z0-9-]+)`", tail):
            if "-" in used and not used.startswith("--"):
                hazard(used)  # raises KeyError for an unknown id


def test_levels_parse() -> None:
    assert Level.parse("Warning") is Level.WARNING


def test_drops_of_functions_and_types_replay() -> None:
    # a contract migration drops the sync trigger's function: its name is not a list of strings
    report = lint_sql("DROP FUNCTION public.f(int); DROP TYPE public.e; DROP TABLE public.t;")
    assert [f.hazard.id for f in report.findings if f.level.label == "danger"] == ["drop-table"]


def test_lock_held_names_five_relations_then_counts_the_rest() -> None:
    # seven tables locked ACCESS EXCLUSIVE in one transaction, then an eighth statement
    renames = "".join(f"ALTER TABLE t{i} RENAME COLUMN a TO b;\n" for i in range(1, 8))
    report = lint_sql(f"BEGIN;\n{renames}ALTER TABLE t8 ADD COLUMN c int;\nCOMMIT;")
    details = [f.detail for f in report.findings if f.hazard.id == "lock-held-across-statements"]
    assert details
    assert (
        details[-1] == "public.t1, public.t2, public.t3, public.t4,"
        " public.t5 and 2 more held while this locks public.t8"
    )


EIGHT = """\
ALTER TABLE orders ADD COLUMN tag_id bigint;
UPDATE orders SET tag_id = 1;
ALTER TABLE orders ADD CONSTRAINT orders_tag_fk FOREIGN KEY (tag_id) REFERENCES tags (id);
CREATE INDEX orders_tag_idx ON orders (tag_id);
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
ALTER TABLE tags ADD COLUMN color text;
ALTER TABLE tags ADD COLUMN size bigint;
ALTER TABLE public.tags ADD COLUMN weight bigint;
"""


def test_findings_grouped_per_statement_and_style_said_once(project: Path) -> None:
    """8 statements: each with its locks once and its findings under it; `unqualified-name`
    once per file naming the lines; a hazard's fix said once per file. The `new` template
    and lint agree: the steps share one transaction, unless one is no-transaction."""
    mdir = project / "migrations"
    (mdir / "20250101000000_init.sql").write_text(
        "CREATE TABLE tags (id bigint PRIMARY KEY);\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY, total bigint);\n"
    )
    template = migrations.render_new("20250102000000", "tags")
    (mdir / "20250102000000_tags.sql").write_text(template + EIGHT)
    code, out, err = invoke()
    assert code == 2
    first = template.count("\n") + 1  # the line of EIGHT's first statement
    statements = EIGHT.splitlines()
    for i in (1, 2, 3, 4, 6, 7):  # those with a finding besides unqualified-name
        assert out.count(f":{first + i}: {statements[i].rstrip(';')}\n") == 1, statements[i]
    for i in (0, 5):  # only unqualified-name: not listed on their own
        assert statements[i].rstrip(";") not in out
    assert out.count("locks: SHARE on public.orders") == 1
    heads = [ln for ln in out.splitlines() if "unqualified-name" in ln]
    assert len(heads) == 2  # once per file
    assert heads[1].endswith(
        "info unqualified-name on 6 statements: an unqualified table name depends on the"
        " search_path of whoever runs the migration"
    )
    named = [f"{first + i} ({t})" for i, t in enumerate(["orders"] * 5 + ["tags"] * 2)]
    assert "lines: " + ", ".join(named[:1] + named[2:]) in out
    assert out.count("fix: put the slow or lock-taking statement") == 1
    assert f"warning lock-held-across-statements: as at line {first + 1}" in out
    assert "19 hazards in 2 files" in err
    # what the template says is what lint finds: one transaction ...
    assert "The steps share one transaction" in " ".join(template.split())
    found = lint_sources(sources_for_paths([mdir]))
    assert "lock-held-across-statements" in ids(found)
    # ... unless a step is no-transaction: then each step commits on its own
    split = EIGHT.replace(
        "CREATE INDEX orders_tag_idx",
        "-- schema-studio:no-transaction\nCREATE INDEX orders_tag_idx",
    )
    (mdir / "20250102000000_tags.sql").write_text(template + split)
    assert "lock-held-across-statements" not in ids(lint_sources(sources_for_paths([mdir])))


def test_the_preview_says_which_standbys_replay_a_long_exclusive_lock() -> None:
    from studio.plan.estimates import Estimate, RelationSize
    from studio.plan.preview import replica_notes

    facts = facts_for_statement("ALTER TABLE public.orders ALTER COLUMN qty TYPE bigint", 180000)
    sizes = {"public.orders": RelationSize("public.orders", "r", 10**7, 2**30, 2**31, 2**30)}
    two = Context.of(None, standbys=2)
    (note,) = replica_notes(facts, (), Estimate(2.0, 8.0, "measured"), sizes, two)
    assert note.startswith(
        "ACCESS EXCLUSIVE on public.orders for 2.0–8.0 s is replayed on the 2 hot standbys"
        " streaming from this server: queries there on the table wait as long"
    )
    assert "max_standby_streaming_delay" in note
    # brief, or on a table not on the target yet: nothing a standby's reader would notice
    assert replica_notes(facts, (), Estimate(0.1, 0.6, "measured"), sizes, two) == ()
    assert replica_notes(facts, (), Estimate(2.0, 8.0, "measured"), {}, two) == ()
    none = Context.of(None, standbys=0)
    (unused,) = replica_notes(facts, (), Estimate(2.0, 8.0, "measured"), sizes, none)
    assert "any hot standby (none streams from this server now)" in unused


def test_publication_membership_follows_the_sql_and_orders_each_change() -> None:
    pub = "CREATE PUBLICATION p FOR TABLE orders;\nCREATE PUBLICATION s FOR TABLES IN SCHEMA app;\n"
    sql = (
        pub + "ALTER TABLE orders RENAME COLUMN note TO memo;\n"
        "ALTER TABLE app.items ALTER COLUMN qty TYPE bigint;\n"
        "ALTER TABLE orders RENAME TO purchases;\n"
        "ALTER TABLE purchases DROP COLUMN total;\n"
        "ALTER PUBLICATION p DROP TABLE purchases;\nDROP TABLE purchases;\n"
    )
    found = [f.detail for f in lint_sql(sql).active() if f.hazard.id == "published-table-change"]
    assert found == [
        "public.orders is in publication p: RENAME COLUMN note TO memo breaks the subscribers in"
        " either order (they match tables and columns by name): add the new one, move the"
        " readers, then drop the old one",
        "app.items is in publication s: ALTER COLUMN qty TYPE is additive: apply it on the"
        " subscribers first, then here",
        "public.orders is in publication p: RENAME TO purchases breaks the subscribers in either"
        " order (they match tables and columns by name): add the new one, move the readers,"
        " then drop the old one",
        "public.purchases is in publication p: DROP COLUMN total is destructive: apply it here"
        " first, then on the subscribers",
    ]
