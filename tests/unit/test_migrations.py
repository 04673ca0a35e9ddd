"""The migrations directory, pure.

Parsing, directives, errors with lines, rendering, sum file, versions.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.errors import ChecksumMismatch, MigrationFileError, StudioError
from studio.migrations import checksums
from studio.migrations import files as migrations
from studio.migrations.files import Ignore, Phase, Statement, StepSpec, parse_text
from studio.migrations.naming import name_from
from studio.model import Column, Index, Table
from studio.model.changes import AddColumn, AddEnumValue, CreateIndex, CreateTable, SetNotNull
from studio.sqltext.statements import concurrent_index, non_transactional_statement, relations

V1, V2, V3 = "20250301120000", "20250301120001", "20250301120002"


def error_of(text: str) -> MigrationFileError:
    with pytest.raises(MigrationFileError) as err:
        parse_text(text, "m.sql")
    return err.value


# --- explicit steps -------------------------------------------------------------------------------

GENERATED = """-- Add a note to orders.
-- version: 20250301120000
-- tool: schema-studio 0.1.0
-- schema-before: h1:before
-- schema-after: h1:after
-- schema-studio:phase expand

-- schema-studio:step
-- add column public.orders.note
-- takes ACCESS EXCLUSIVE briefly
ALTER TABLE public.orders ADD COLUMN note text; -- trailing comment
-- schema-studio:ignore add-column-volatile-default we checked
ALTER TABLE public.orders ADD COLUMN n int DEFAULT 1;

-- schema-studio:step
-- schema-studio:no-transaction
-- create index public.orders_note_idx
CREATE INDEX CONCURRENTLY orders_note_idx ON public.orders (note);

-- schema-studio:step
-- schema-studio:backfill
UPDATE public.orders SET n = 2 WHERE n IS NULL;
"""


def test_explicit_steps_annotations_and_directives() -> None:
    parsed = parse_text(GENERATED, "m.sql")
    assert parsed.header == {
        "version": V1,
        "tool": "schema-studio 0.1.0",
        "schema-before": "h1:before",
        "schema-after": "h1:after",
    }
    assert parsed.description == ("Add a note to orders.",)
    assert parsed.phase is Phase.EXPAND
    one, two, three = parsed.steps
    assert (one.index, one.line, one.transactional, one.backfill) == (1, 8, True, False)
    assert one.annotations == ("add column public.orders.note", "takes ACCESS EXCLUSIVE briefly")
    assert one.title == "add column public.orders.note"
    assert [s.sql for s in one.statements] == [
        "ALTER TABLE public.orders ADD COLUMN note text",
        "ALTER TABLE public.orders ADD COLUMN n int DEFAULT 1",
    ]
    assert [s.line for s in one.statements] == [11, 13]
    assert one.statements[1].ignores == (Ignore("add-column-volatile-default", "we checked", 12),)
    assert one.sql.startswith(
        "ALTER TABLE public.orders ADD COLUMN note text;"
    ) and one.sql.endswith("DEFAULT 1;")
    assert (two.index, two.line, two.transactional) == (2, 15, False)
    assert two.annotations == ("create index public.orders_note_idx",)
    assert (three.transactional, three.backfill) == (True, True)


def test_splitting_respects_quotes_dollar_quotes_comments_and_begin_atomic() -> None:
    text = """-- schema-studio:step
SELECT 'a;b', E'c\\';d', "weird;name", $$ e; f $$, $tag$ $$; $tag$ /* g; /* nested; */ h; */;
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; \
SELECT CASE WHEN true THEN 2 END; END;
CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;
SELECT 1 -- a comment; not a statement end
;
SELECT (1); SELECT 2
"""
    step = parse_text(text, "m.sql").steps[0]
    assert len(step.statements) == 6
    assert step.statements[1].sql.endswith("END")
    assert step.statements[3].sql == "SELECT 1 -- a comment; not a statement end"
    assert step.statements[5].sql == "SELECT 2" and step.sql.endswith("SELECT 2;")
    assert [s.line for s in step.statements] == [2, 3, 4, 5, 7, 7]


def test_directive_text_inside_a_string_or_body_is_not_a_directive() -> None:
    text = (
        "-- schema-studio:step\nCREATE FUNCTION g() RETURNS text AS $b$\n"
        "-- schema-studio:bogus\nSELECT 'x'\n$b$ LANGUAGE sql;\n"
    )
    (step,) = parse_text(text, "m.sql").steps
    assert "schema-studio:bogus" in step.statements[0].sql


def test_a_marker_ends_a_statement_missing_its_semicolon() -> None:
    steps = parse_text(
        "-- schema-studio:step\nSELECT 1\n-- schema-studio:step\nSELECT 2", "m.sql"
    ).steps
    assert [s.sql for s in steps] == ["SELECT 1;", "SELECT 2;"]


# --- files without markers: one step per statement ------------------------------------------------


def test_hand_written_file_is_one_step_per_statement() -> None:
    text = """-- Backfill and index.
-- version: 20250301120000
-- schema-studio:phase contract

-- create the table
CREATE TABLE t (a int);
INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);

-- schema-studio:no-transaction
-- index it
CREATE INDEX CONCURRENTLY t_a ON t (a);
"""
    parsed = parse_text(text, "m.sql")
    assert parsed.header == {"version": V1} and parsed.description == ("Backfill and index.",)
    assert parsed.phase is Phase.CONTRACT
    assert [(s.index, s.line, s.transactional, s.annotations) for s in parsed.steps] == [
        (1, 6, True, ("create the table",)),
        (2, 7, True, ()),
        (3, 7, True, ()),
        (4, 11, False, ("index it",)),
    ]


def test_empty_and_comment_only_files_have_no_steps() -> None:
    assert parse_text("", "m.sql").steps == ()
    assert parse_text("-- nothing yet\n", "m.sql").steps == ()
    assert parse_text(migrations.render_new(V1, "later"), "m.sql").steps == ()


# --- errors, each with its line -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "SELECT 1;\n-- schema-studio:frobnicate\nSELECT 2;",
            2,
            "unknown directive `-- schema-studio:frobnicate`",
        ),
        ("SELECT 1;\nSELECT $$abc;\nSELECT 2;", 2, "unterminated dollar-quoted string"),
        ("SELECT 1;\n\nSELECT 'abc;\n", 3, "unterminated quoted string"),
        ('SELECT "abc;\n', 1, "unterminated quoted identifier"),
        ("SELECT 1;\n/* open\n", 2, "unterminated /* comment"),
        ("-- schema-studio:step\n\n-- schema-studio:step\nSELECT 1;", 1, "empty step"),
        ("SELECT 1;\n-- schema-studio:step\nSELECT 2;", 1, "SQL before the first"),
        ("-- schema-studio:step\nSELECT 1;\n-- schema-studio:phase expand\n", 3, "file-level"),
        ("-- schema-studio:phase sideways\n", 1, "expand` or `contract"),
        (
            "-- schema-studio:step\nSELECT 1;\n-- schema-studio:no-transaction\nSELECT 2;",
            3,
            "right after the step marker",
        ),
        ("-- schema-studio:no-transaction\n-- schema-studio:step\nSELECT 1;", 1, "step directive"),
        (
            "-- schema-studio:step\n-- schema-studio:no-transaction\nSELECT 1;\nSELECT 2;",
            3,
            "exactly one statement",
        ),
        ("-- schema-studio:step now\nSELECT 1;", 1, "takes no argument"),
        ("SELECT 1;\n-- schema-studio:ignore some-hazard\nSELECT 2;", 2, "reason is required"),
        (
            "SELECT 1;\n-- schema-studio:ignore some-hazard why not\n",
            2,
            "not followed by a statement",
        ),
        ("SELECT 1\n-- schema-studio:no-transaction\nSELECT 2;", 2, "inside a statement"),
        (
            "CREATE TABLE t (a int);\n\nCREATE INDEX CONCURRENTLY i ON t (a);",
            3,
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction",
        ),
        ("-- schema-studio:step\nVACUUM t;", 2, "VACUUM cannot run inside a transaction"),
        # the words after DROP are skipped in a plain span: the statement is lexed again for them
        (
            "-- schema-studio:step\nSELECT 1;\nDROP\nINDEX\nCONCURRENTLY\ni\n;",
            3,
            "DROP INDEX CONCURRENTLY cannot run inside a transaction",
        ),
        (
            "-- schema-studio:step\nCREATE UNIQUE\n  INDEX CONCURRENTLY\n  i ON t\n  (a);",
            2,
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction",
        ),
        ("SELECT 1;\nSELECT '\x00';", 2, "NUL byte"),
    ],
)
def test_malformed_files_fail_with_file_and_line(text: str, line: int, fragment: str) -> None:
    err = error_of(text)
    assert (err.path, err.line) == ("m.sql", line)
    assert fragment in err.message
    assert err.message.startswith(f"m.sql:{line}: ")


# --- statement facts ------------------------------------------------------------------------------


def test_statement_facts_come_from_the_parse_tree() -> None:
    assert (
        non_transactional_statement("create index concurrently i on t (a)")
        == "CREATE INDEX CONCURRENTLY"
    )
    assert (
        non_transactional_statement("drop index concurrently if exists i")
        == "DROP INDEX CONCURRENTLY"
    )
    assert non_transactional_statement("reindex (concurrently) index i") == "REINDEX CONCURRENTLY"
    assert non_transactional_statement("analyze t") is None
    assert non_transactional_statement("create index i on t (a)") is None
    assert non_transactional_statement("drop index i") is None
    assert non_transactional_statement("reindex index i") is None
    # a boolean option set false is off (defGetBoolean): this REINDEX runs in a transaction
    assert non_transactional_statement("reindex (concurrently false) index i") is None
    assert non_transactional_statement("reindex (concurrently off) table t") is None
    assert non_transactional_statement("reindex (concurrently 1) index i") == "REINDEX CONCURRENTLY"
    assert non_transactional_statement("vacuum t") == "VACUUM"
    assert non_transactional_statement("create database d") == "CREATE DATABASE"
    assert non_transactional_statement("vacuum t; vacuum u") is None  # one statement at a time
    assert non_transactional_statement("not sql at all") is None
    assert concurrent_index('create index concurrently "Odd Idx" on app.t (a)') == 'app."Odd Idx"'
    assert concurrent_index("create index concurrently i on t (a)") == "i"
    assert concurrent_index("create index i on t (a)") is None
    assert relations("alter table a add foreign key (x) references s.b (y)") == ("a", "s.b")


@pytest.mark.parametrize(
    ("sql", "parsed", "what"),
    [
        ("create index i on t (a)", False, None),
        ("CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a)", False, None),
        ("drop index if exists i, j", False, None),
        ("create index concurrently i on t (a)", True, "CREATE INDEX CONCURRENTLY"),
        ("create unique index concurrently i on t (a)", True, "CREATE INDEX CONCURRENTLY"),
        (
            "create unique /* c */ index\n concurrently i on t (a)",
            True,
            "CREATE INDEX CONCURRENTLY",
        ),
        ("drop index concurrently i", True, "DROP INDEX CONCURRENTLY"),
        # CONCURRENTLY elsewhere is a name, not the keyword: the tree is not needed to say so
        ("create index i on t (concurrently)", False, None),
        ("create index concurrently on t (a)", True, "CREATE INDEX CONCURRENTLY"),
    ],
)
def test_an_index_statement_is_parsed_only_when_concurrently_follows_index(
    sql: str, parsed: bool, what: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A squash baseline's 2,000 CREATE INDEX are told from their first words, not their trees."""
    import pglast.parser

    seen: list[str] = []
    real = pglast.parser.parse_sql_json
    monkeypatch.setattr(pglast.parser, "parse_sql_json", lambda s: seen.append(s) or real(s))
    assert non_transactional_statement(sql) == what
    assert bool(seen) is parsed


# --- files and directories ------------------------------------------------------------------------


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def test_load_directory_in_version_order_with_down_files(tmp_path: Path) -> None:
    write(tmp_path, f"{V2}_second.sql", "CREATE TABLE b (x int);\n")
    write(tmp_path, f"{V1}_first.sql", f"-- version: {V1}\nCREATE TABLE a (x int);\n")
    write(tmp_path, f"{V1}_first.down.sql", f"-- version: {V1}\nDROP TABLE a;\n")
    write(tmp_path, "README.md", "not a migration")
    ms = migrations.load_directory(tmp_path)
    assert [(m.version, m.name) for m in ms] == [(V1, "first"), (V2, "second")]
    first, second = ms
    assert first.down_path == tmp_path / f"{V1}_first.down.sql"
    assert first.down_steps is not None and first.down_steps[0].sql == "DROP TABLE a;"
    assert second.down_path is None and second.down_steps is None
    assert first.checksum.startswith("h1:") and first.transactional
    assert migrations.load_directory(tmp_path / "nope") == ()


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The `where` of each file parse_text parses from now on (the memo emptied first)."""
    from studio.migrations import format as fmt

    parsed: list[str] = []
    real = fmt.parse_text
    monkeypatch.setattr(migrations, "parse_text", lambda t, w: parsed.append(w) or real(t, w))
    migrations._PARSED.clear()
    return parsed


def test_a_folder_read_twice_is_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check` reads the migrations for the history, then replays them: one parse of each file."""
    write(tmp_path, f"{V1}_first.sql", "CREATE TABLE a (x int);\n")
    write(tmp_path, f"{V1}_first.down.sql", "DROP TABLE a;\n")
    write(tmp_path, f"{V2}_second.sql", "CREATE TABLE b (x int);\n")
    parsed = _counting_parses(monkeypatch)
    first = migrations.load_directory(tmp_path)
    assert migrations.load_directory(tmp_path) == first
    assert len(parsed) == 3
    # an edit of a file (or of its down file) is parsed anew, the others are not
    write(tmp_path, f"{V1}_first.down.sql", "DROP TABLE IF EXISTS a;\n")
    write(tmp_path, f"{V2}_second.sql", "CREATE TABLE b (y int);\n")
    again = migrations.load_directory(tmp_path)
    assert [p.rsplit("/", 1)[1] for p in parsed[3:]] == [
        f"{V1}_first.sql", f"{V1}_first.down.sql", f"{V2}_second.sql"
    ]  # fmt: skip
    assert again[0].down_steps is not None and again[0].down_steps[0].sql.endswith("EXISTS a;")
    assert again[1].steps[0].sql == "CREATE TABLE b (y int);"


def test_a_malformed_file_fails_each_time_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, f"{V1}_first.sql", "-- schema-studio:nope\nSELECT 1;\n")
    _counting_parses(monkeypatch)
    for _ in range(2):
        with pytest.raises(MigrationFileError, match="unknown directive"):
            migrations.load_directory(tmp_path)


def test_parsed_files_keep_the_most_recent_within_their_budget() -> None:
    from studio.migrations.memo import ParsedFiles

    made: list[str] = []
    memo: ParsedFiles[str] = ParsedFiles(10)

    def get(key: str, size: int) -> str:
        return memo.get(key, size, lambda: made.append(key) or key.upper())

    assert get("a", 4) == "A" and get("b", 4) == "B" and get("a", 4) == "A"
    assert get("c", 4) == "C"  # over 10: b, the least recently used, goes
    assert get("b", 4) == "B" and get("big", 11) == "BIG" and get("big", 11) == "BIG"
    assert made == ["a", "b", "c", "b", "big", "big"] and memo.size <= 10


def test_a_file_two_threads_ask_for_at_once_is_made_once() -> None:
    import threading

    from studio.migrations.memo import ParsedFiles

    memo: ParsedFiles[int] = ParsedFiles(100)
    started, release = threading.Event(), threading.Event()
    made: list[int] = []

    def make() -> int:
        started.set()
        release.wait(5)
        made.append(1)
        return len(made)

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(memo.get("k", 1, make)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(memo.get("k", 1, make)))
    second.start()
    second.join(0.2)  # time to reach the memo: it waits for the first's result
    release.set()
    first.join(5)
    second.join(5)
    assert results == [1, 1] and made == [1]


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({f"{V1}_a.sql": "-- version: 20250301120009\nSELECT 1;"}, "does not match the file name"),
        ({f"{V1}_a.sql": "SELECT 1;", f"{V1}_b.sql": "SELECT 2;"}, "also used by"),
        ({"20251301120000_a.sql": "SELECT 1;"}, "not a UTC timestamp"),
        ({"add_thing.sql": "SELECT 1;"}, "not a migration file name"),
        ({f"{V1}_a.down.sql": "SELECT 1;"}, "down file without its migration"),
        (
            {f"{V1}_a.sql": "SELECT 1;", f"{V1}_a.down.sql": "SELECT $$"},
            "unterminated dollar-quoted string",
        ),
    ],
)
def test_directory_errors_name_the_file(
    tmp_path: Path, files: dict[str, str], fragment: str
) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(MigrationFileError) as err:
        migrations.load_directory(tmp_path)
    assert fragment in err.value.message
    assert Path(err.value.path).parent == tmp_path


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / f"{V1}_a.sql").write_bytes(b"SELECT 1;\nSELECT '\xff';\n")
    with pytest.raises(MigrationFileError, match=r":2: not valid UTF-8"):
        migrations.load_directory(tmp_path)


# --- versions and names ---------------------------------------------------------------------------


def test_next_version_is_now_bumped_past_taken_versions() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)
    assert migrations.next_version([], now) == V1
    assert migrations.next_version([V1], now) == V2
    assert migrations.next_version([V1, V2], now) == "20250301120002"
    # a clock behind the newest migration still sorts the new one last
    assert migrations.next_version(["20250401000000"], now) == "20250401000001"
    assert migrations.next_version(["20250101000000"], now) == V1


def test_slugify() -> None:
    assert migrations.slugify("Add orders.note (nullable)!") == "add_orders_note_nullable"
    with pytest.raises(StudioError):
        migrations.slugify("!!!")
    # a long name is cut between words, never inside one
    long = migrations.slugify("add " + "customer_account_" * 5 + "identifiers")
    assert (
        long == "add_customer_account_customer_account_customer_account"
    )  # 54: "_customer" ends at 63


def test_names_from_changes_are_short_and_whole() -> None:
    """`generate` without --name: the first change's verb and object, then how many more."""
    status = AddColumn("public.orders", Column("status", "text"))
    tags = CreateTable(Table("public", "tags"))
    note = SetNotNull("public.orders", "note")
    index = CreateIndex("public.orders", Index("orders_user_id_idx", "CREATE INDEX ..."))
    assert name_from([status]) == "add_orders_status"
    assert name_from([status, tags]) == "add_orders_status_and_create_tags"
    assert name_from([status, tags, note]) == "add_orders_status_and_2_more"
    assert name_from([note]) == "set_not_null_orders_note"
    assert name_from([index]) == "create_orders_user_id_idx"
    assert name_from([AddEnumValue("public.mood", "ok")]) == "add_value_mood"
    wide = "a_very_long_column_name_made_of_many_words_for_a_wide_table_x"
    long = name_from([AddColumn("shop.customer_accounts", Column(wide, "text")), tags, note])
    assert len(long) <= 50 and long.endswith("_and_2_more"), long
    full = ["add", *"customer_accounts".split("_"), *wide.split("_")]
    assert long.removesuffix("_and_2_more").split("_") == full[: len(long.split("_")) - 3]


# --- rendering ------------------------------------------------------------------------------------


def test_render_then_parse_round_trips() -> None:
    specs = [
        StepSpec(
            ("CREATE TABLE t (a int)", "INSERT INTO t VALUES (1);"),
            ("create table t", "two lines\nof note"),
        ),
        StepSpec(
            ("CREATE INDEX CONCURRENTLY t_a ON t (a) -- trailing",), ("index",), transactional=False
        ),
        StepSpec(
            (
                Statement(
                    "UPDATE t SET a = 2", ignores=(Ignore("update-without-where", "tiny table"),)
                ),
            ),
            backfill=True,
        ),
    ]
    text = migrations.render_migration(
        V1,
        specs,
        description=["A test."],
        schema_before="h1:x",
        schema_after="h1:y",
        phase=Phase.EXPAND,
    )
    parsed = parse_text(text, "m.sql")
    assert parsed.header == {
        "version": V1,
        "tool": f"schema-studio {migrations.__version__}",
        "schema-before": "h1:x",
        "schema-after": "h1:y",
    }
    assert parsed.phase is Phase.EXPAND and parsed.description == ("A test.",)
    assert [[s.sql for s in step.statements] for step in parsed.steps] == [
        ["CREATE TABLE t (a int)", "INSERT INTO t VALUES (1)"],
        ["CREATE INDEX CONCURRENTLY t_a ON t (a) -- trailing"],
        ["UPDATE t SET a = 2"],
    ]
    assert [s.annotations for s in parsed.steps] == [
        ("create table t", "two lines", "of note"),
        ("index",),
        (),
    ]
    assert [(s.transactional, s.backfill) for s in parsed.steps] == [
        (True, False),
        (False, False),
        (True, True),
    ]
    (ignore,) = parsed.steps[2].statements[0].ignores
    assert (ignore.hazard, ignore.reason) == ("update-without-where", "tiny table")
    assert migrations.render_migration(V1, specs) == migrations.render_migration(
        V1, specs
    )  # deterministic


def test_render_refuses_what_would_not_read_back() -> None:
    with pytest.raises(ValueError, match="directive"):
        migrations.render_migration(V1, [StepSpec(("SELECT 1",), ("schema-studio:step",))])
    with pytest.raises(ValueError, match="at least one statement"):
        migrations.render_migration(V1, [StepSpec(())])


# --- the sum file ---------------------------------------------------------------------------------


def test_sum_file_shape_and_verification(tmp_path: Path) -> None:
    write(tmp_path, f"{V1}_a.sql", "CREATE TABLE a (x int);\n")
    write(tmp_path, f"{V1}_a.down.sql", "DROP TABLE a;\n")
    migrations.write_sum(tmp_path)
    lines = (tmp_path / migrations.SUM_FILE).read_text().splitlines()
    assert lines[0].startswith("h2:")
    assert [line.split(" ")[0] for line in lines[1:]] == [f"{V1}_a.down.sql", f"{V1}_a.sql"]
    migrations.verify_sum(tmp_path)

    # two branches adding a migration each change the first line: git conflicts there
    write(tmp_path, f"{V2}_b.sql", "SELECT 1;\n")
    total_before = lines[0]
    migrations.write_sum(tmp_path)
    assert (tmp_path / migrations.SUM_FILE).read_text().splitlines()[0] != total_before


def test_sum_chain_old_format_and_broken_chain(tmp_path: Path) -> None:
    sum_path = tmp_path / migrations.SUM_FILE
    write(tmp_path, f"{V1}_a.sql", "SELECT 1;\n")
    write(tmp_path, f"{V2}_b.sql", "SELECT 2;\n")
    migrations.write_sum(tmp_path)
    a_line, b_line = sum_path.read_text().splitlines()[1:]
    # each line's hash covers the line before it: the same file after another line hashes apart
    alone = tmp_path / "alone"
    alone.mkdir()
    write(alone, f"{V2}_b.sql", "SELECT 2;\n")
    migrations.write_sum(alone)
    b_alone = (alone / migrations.SUM_FILE).read_text().splitlines()[1]
    assert b_alone.split(" ")[0] == b_line.split(" ")[0] and b_alone != b_line

    # the first format (file hashes, unchained) is still verified, and `hash` rewrites it chained
    entries = {n: checksums.path_hash(tmp_path / n) for n in (f"{V1}_a.sql", f"{V2}_b.sql")}
    total = hashlib.sha256("".join(f"{n} {h}\n" for n, h in entries.items()).encode())
    old = "h1:" + base64.b64encode(total.digest()).decode() + "\n"
    sum_path.write_text(old + "".join(f"{n} {h}\n" for n, h in entries.items()))
    migrations.verify_sum(tmp_path)
    (tmp_path / f"{V1}_a.sql").write_text("SELECT 3;\n")
    with pytest.raises(ChecksumMismatch, match=f"{V1}_a.sql was modified"):
        migrations.verify_sum(tmp_path)
    (tmp_path / f"{V1}_a.sql").write_text("SELECT 1;\n")

    # a merge resolved by keeping both branches' lines: the second does not follow the first
    write(tmp_path, f"{V3}_c.sql", "SELECT 3;\n")
    (tmp_path / f"{V2}_b.sql").unlink()
    migrations.write_sum(tmp_path)  # the other branch: a, c
    c_line = sum_path.read_text().splitlines()[-1]
    write(tmp_path, f"{V2}_b.sql", "SELECT 2;\n")
    before = sum_path.read_text().splitlines()[0] + f"\n{a_line}\n{b_line}\n{c_line}\n"
    sum_path.write_text(before)
    with pytest.raises(ChecksumMismatch, match=r":4: the hash chain is broken") as err:
        migrations.verify_sum(tmp_path)
    assert f"{V3}_c.sql" in str(err.value) and "rebase" in err.value.hint
    # lines moved by hand out of name order
    sum_path.write_text(sum_path.read_text().splitlines()[0] + f"\n{b_line}\n{a_line}\n")
    with pytest.raises(ChecksumMismatch, match=r":3: the hash chain is broken.*name order"):
        migrations.verify_sum(tmp_path)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda d: (d / f"{V1}_a.sql").write_text("CREATE TABLE a (y int);\n"),
            f"{V1}_a.sql was modified",
        ),
        (
            lambda d: (d / f"{V1}_a.down.sql").write_text("SELECT 1;\n"),
            f"{V1}_a.down.sql was modified",
        ),
        (lambda d: (d / f"{V2}_b.sql").write_text("SELECT 1;\n"), f"{V2}_b.sql is not recorded"),
        (
            lambda d: (d / f"{V1}_a.down.sql").unlink(),
            f"{V1}_a.down.sql is recorded in schema-studio.sum but missing",
        ),
        (lambda d: (d / migrations.SUM_FILE).unlink(), "schema-studio.sum is missing"),
    ],
)
def test_sum_mismatch_names_the_file(tmp_path: Path, change: object, fragment: str) -> None:
    write(tmp_path, f"{V1}_a.sql", "CREATE TABLE a (x int);\n")
    write(tmp_path, f"{V1}_a.down.sql", "DROP TABLE a;\n")
    migrations.write_sum(tmp_path)
    change(tmp_path)  # type: ignore[operator]
    with pytest.raises(ChecksumMismatch) as err:
        migrations.verify_sum(tmp_path)
    assert fragment in str(err.value)
    assert err.value.hint


def test_sum_file_problems(tmp_path: Path) -> None:
    write(tmp_path, f"{V1}_a.sql", "SELECT 1;\n")
    migrations.write_sum(tmp_path)
    sum_path = tmp_path / migrations.SUM_FILE
    good = sum_path.read_text()
    sum_path.write_text("h2:bogus\n" + good.split("\n", 1)[1])
    with pytest.raises(ChecksumMismatch, match="total hash"):
        migrations.verify_sum(tmp_path)
    sum_path.write_text("<<<<<<< HEAD\n" + good + "=======\n>>>>>>> theirs\n")
    with pytest.raises(MigrationFileError, match="merge conflict"):
        migrations.verify_sum(tmp_path)
    sum_path.write_text(good + "garbage\n")
    with pytest.raises(MigrationFileError, match=":3: expected `<file name> h2:<hash>`"):
        migrations.verify_sum(tmp_path)


def test_crlf_checkout_is_not_an_edit(tmp_path: Path) -> None:
    path = write(tmp_path, f"{V1}_a.sql", "CREATE TABLE a (x int);\nSELECT 1;\n")
    migrations.write_sum(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    migrations.verify_sum(tmp_path)


def test_empty_directory_needs_no_sum(tmp_path: Path) -> None:
    migrations.verify_sum(tmp_path)
    migrations.verify_sum(tmp_path / "absent")


# --- writing --------------------------------------------------------------------------------------


def test_write_migration_writes_files_and_sum(tmp_path: Path) -> None:
    d = tmp_path / "migrations"
    path = migrations.write_migration(
        d, V1, "init", migrations.render_migration(V1, [StepSpec(("SELECT 1",))]), "SELECT 2;\n"
    )
    assert path == d / f"{V1}_init.sql" and (d / f"{V1}_init.down.sql").is_file()
    migrations.verify_sum(d)
    with pytest.raises(StudioError, match="already exists"):
        migrations.write_migration(d, V1, "init", "SELECT 1;\n")
    # an edited file is not blessed by writing the next migration
    path.write_text("SELECT 3;\n")
    with pytest.raises(ChecksumMismatch, match=path.name):
        migrations.write_migration(d, V2, "next", "SELECT 4;\n")
    assert not (d / f"{V2}_next.sql").exists()


def test_atomic_write_leaves_the_old_file_or_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.sql"
    target.write_text("old\n")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        migrations.write_atomic(target, "new\n" * 1000)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.sql"]  # no temp file left behind
    monkeypatch.undo()
    migrations.write_atomic(target, "new\n")
    assert target.read_text() == "new\n"


def test_write_migration_reports_an_unwritable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "migrations"
    d.mkdir()

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", denied)
    with pytest.raises(StudioError, match="cannot write .*Permission denied"):
        migrations.write_migration(d, V1, "init", "SELECT 1;\n")
    assert list(d.iterdir()) == []


# --- never anything but a clear error -------------------------------------------------------------

_FRAGMENTS = [
    "SELECT 1",
    ";",
    "\n",
    " ",
    "'",
    '"',
    "$$",
    "$t$",
    "/*",
    "*/",
    "--",
    "-- schema-studio:step\n",
    "-- schema-studio:no-transaction\n",
    "-- schema-studio:phase expand\n",
    "-- schema-studio:ignore x y\n",
    "-- schema-studio:",
    "BEGIN ATOMIC",
    "END",
    "CASE",
    "CREATE FUNCTION f() ",
    "(",
    ")",
    "E'\\'",
    "é",
    "\r\n",
    "CREATE INDEX CONCURRENTLY i ON t (a)",
    "-- version: 20250301120000\n",
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40))
@settings(max_examples=300, deadline=None)
def test_parser_fails_only_with_migration_file_errors(parts: list[str]) -> None:
    text = "".join(parts)
    try:
        parsed = parse_text(text, "m.sql")
    except MigrationFileError as e:
        assert 1 <= e.line <= text.count("\n") + 1
        return
    for step in parsed.steps:
        assert step.statements and step.index >= 1


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    """A migration, its down file and the sum are source files: 0o666 less the umask, as any
    editor writes them (they were 0o600, the temp file's mode)."""
    old = os.umask(umask)
    try:
        path = migrations.write_migration(tmp_path, "20250101000001", "a", "SELECT 1;\n", "--\n")
        written = [
            path,
            path.with_name("20250101000001_a.down.sql"),
            tmp_path / migrations.SUM_FILE,
        ]
        assert [oct(p.stat().st_mode & 0o777) for p in written] == [oct(mode)] * 3
        assert not list(tmp_path.glob(".*.tmp"))  # still through a temp file and a rename
    finally:
        os.umask(old)
