"""A 45 MB migration: hashing streams, splitting is linear, parsing is minimal.

status and lint parse no more than they need.

The figures live in docs/reliability.md (bench/big_migration.py); these tests
pin the shapes that keep them, without a clock: chunked reads, work counted
per window, parsers made to fail where they must not be called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.errors import MigrationFileError
from studio.migrations import checksums

if TYPE_CHECKING:
    from pathlib import Path


# --- checksums ----------------------------------------------------------------------


def _outcome(fn: Any, *args: Any) -> tuple[str | None, str | None]:
    try:
        return fn(*args), None
    except MigrationFileError as e:
        return None, str(e)


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=60)
    | st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\xc3\xa9", b"\xc3", b"'"]), max_size=30).map(
        b"".join
    )
)
def test_the_streamed_hash_is_the_hash_of_the_whole_file(
    data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """CRLF pairs and UTF-8 sequences cut by a chunk boundary.

    They change neither the hash nor the error's line.
    """
    path = tmp_path_factory.mktemp("sum") / "m.sql"
    path.write_bytes(data)
    whole = _outcome(lambda p: checksums.file_hash(checksums.read_file(p)[0]), path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checksums, "CHUNK", 3)
        assert _outcome(checksums.path_hash, path) == whole


def test_hashing_reads_a_file_in_bounded_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never the whole file at once: memory stays flat whatever the migration's size."""
    path = tmp_path / "m.sql"
    path.write_bytes(b"INSERT INTO t VALUES (1);\r\n" * 10_000)
    sizes: list[int] = []
    real_open = type(path).open

    def recording_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        f = real_open(self, *args, **kwargs)
        real_read = f.read

        class Reader:
            def __enter__(self) -> Self:
                return self

            def __exit__(self, *exc: object) -> None:
                f.close()

            def read(self, size: int = -1) -> bytes:
                sizes.append(size)
                return real_read(size)

        return Reader()

    monkeypatch.setattr(checksums, "CHUNK", 4096)
    monkeypatch.setattr(type(path), "open", recording_open)
    digest = checksums.path_hash(path)
    monkeypatch.undo()
    assert sizes and all(0 < s <= 4096 for s in sizes)
    assert digest == checksums.file_hash(path.read_bytes())


# --- splitting: windows and plain spans give what one lexer pass gives --------------------

# what statement splitting cares about, and what a VALUES list is made of
_PIECES = [
    "INSERT INTO t VALUES ", "CREATE TABLE t (a int)", "SELECT ", "(", ")", ", ", "1", "-1", "'a'",
    "'it''s'", "'x;y'", "'--'", "'/*'", "'a\nb'", "'", '"q"', "$$;$$", "$t$ ' $t$", "E'\\''",
    "U&'d'", ";", "\n", "\n\n", " ", "-- c\n", "/* c */", "/* ; */", "--", "/*", "*/",
    "-- schema-studio:step\n", "-- schema-studio:no-transaction\n", "-- schema-studio:ignore x y\n",
    "'-- schema-studio:step\n'", "-- schema-studio:phase expand\n", "-- version: 20250301120000\n",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC ", "END", "CASE", "BEGIN",
    "CREATE INDEX CONCURRENTLY i ON t (a)", "é", "\r\n", "\t",
    "CREATE TABLE t1 (a1b int, CHECK (a1b > 0))", "ALTER TABLE t1_x ADD c2 int", "2x", ".5e",
    # names with digits (no number), numbers run into names, a table over several lines
    "t00001_pkey", "a1b", "x.1y", "x1.5e3y", "é1x", "1_000", "$1", "1.5e3x",
    "CREATE TABLE t1 (\n  a1 int DEFAULT 'x',\n  b_2c numeric(12,2),\n  CHECK (a1 > 0)\n)",
]  # fmt: skip


def _parse(text: str) -> object:
    from studio.migrations.format import parse_text

    try:
        return parse_text(text, "m.sql")
    except MigrationFileError as e:
        return str(e)


def _one_pass(text: str) -> object:
    """The reference: one window over the whole text, no span skipped."""
    from studio.sqltext import lexer, split

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexer, "WINDOW", 1 << 30)
        mp.setattr(lexer, "HEAD", 1 << 30)
        mp.setattr(split, "plain_span", lambda *a: None)
        return _parse(text)


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_PIECES), max_size=60),
    window=st.integers(1, 40),
    head=st.integers(1, 40),
)
def test_windows_and_plain_spans_split_as_one_lexer_pass(
    parts: list[str], window: int, head: int
) -> None:
    """Windows cut anywhere (inside strings, comments, tokens) and spans skipped change no step."""
    from studio.sqltext import lexer

    text = "".join(parts)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexer, "WINDOW", window)
        mp.setattr(lexer, "HEAD", head)
        windowed = _parse(text)
    assert windowed == _one_pass(text)


_VALUES = ["1", "-2", "'a'", "'it''s'", "'x;y'", "'--'", "'a\nb'", "NULL", "'é'"]
_ODD = ["(1)", "((", "))", "now()", "1e5", "1abc", "'q' -- c\n", "/* c */",
        "-- schema-studio:step\n", "$$a$$", '"x"', "E'\\''", "'", "'\n'", ";"]  # fmt: skip
_ROW = st.lists(st.sampled_from(_VALUES) | st.sampled_from(_ODD), min_size=1, max_size=4).map(
    lambda vs: "(" + ", ".join(vs) + ")"
)


@settings(max_examples=300, deadline=None)
@given(
    head=st.sampled_from(["", "-- schema-studio:step\n", "-- a header\n\n"]),
    rows=st.lists(_ROW, min_size=1, max_size=15),
    tail=st.sampled_from(["", ";", ";\n", ";\nSELECT 1;\n", ";\n-- schema-studio:step\nSELECT 2"]),
    window=st.integers(1, 60),
)
def test_a_values_list_skipped_in_plain_spans_splits_as_one_lexer_pass(
    head: str, rows: list[str], tail: str, window: int
) -> None:
    """The shape the shortcut is for: rows of constants, now and then something it must not skip."""
    from studio.sqltext import lexer

    text = head + "INSERT INTO t VALUES\n" + ",\n".join(rows) + tail
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexer, "WINDOW", window)
        windowed = _parse(text)
    assert windowed == _one_pass(text)


# --- lint: a long VALUES list is parsed as its first row ------------------------------------


def _insert(rows: int, last: str = "") -> str:
    body = ",\n".join(f"({i}, 'user {i}', NULL, -{i}.5e1)" for i in range(rows))
    return f"INSERT INTO public.t (id, name, note, score) VALUES\n{body}{last}"


def test_lint_parses_a_long_values_list_as_its_first_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """What pglast builds a tree of stays small, and the report is the one the whole tree gives."""
    import pglast

    from studio.plan.locks.lint import lint_sql
    from studio.sqltext import lexer

    sql = "CREATE TABLE public.t (id int, name text, note text, score float8);\n" + _insert(5_000)
    sql += " ON CONFLICT (id) DO NOTHING;\n"
    assert len(sql) > lexer.LITERAL_ROWS_ABOVE
    parsed: list[int] = []
    real = pglast.parse_sql
    monkeypatch.setattr(pglast, "parse_sql", lambda text: parsed.append(len(text)) or real(text))
    reduced = lint_sql(sql, "m.sql").to_dict()
    assert parsed and max(parsed) < 1_000
    monkeypatch.setattr(lexer, "LITERAL_ROWS_ABOVE", 1 << 40)  # the whole tree
    assert lint_sql(sql, "m.sql").to_dict() == reduced
    assert reduced["statements"][1]["statement"] == sql.split(";\n")[1]


@pytest.mark.parametrize(
    "odd",
    ["(1, now(), NULL, 1)", "(1, E'a\\'b', NULL, 1)", "(1, 'a' -- note\n, NULL, 1)",
     "(1, (SELECT 2), NULL, 1)", "(1, 'a'::text, NULL, 1)", "(1, $$a$$, NULL, 1)"],
)  # fmt: skip
def test_rows_after_one_that_is_not_constants_are_parsed(odd: str) -> None:
    """Only rows of plain constants are left out: the first other row and the rest are parsed."""
    from studio.sqltext.lexer import literal_rows, without

    sql = _insert(3_000, f",\n{odd},\n(7, 'x', NULL, 1)")
    (span,) = literal_rows(sql)
    kept = without(sql, [span])
    assert kept.endswith(f"{odd},\n(7, 'x', NULL, 1)") and "'user 2999'" not in kept


def test_values_in_a_string_or_comment_is_not_a_values_list() -> None:
    from studio.sqltext.lexer import literal_rows

    rows = ", ".join(f"({i})" for i in range(20_000))
    assert literal_rows(f"SELECT 'VALUES {rows}'") == []
    assert literal_rows(f"SELECT 1 -- VALUES {rows}\n") == []
    assert literal_rows(f"SELECT 1; /* VALUES {rows} */") == []
    assert literal_rows(f'SELECT 1 AS "VALUES {rows}"') == []
    assert literal_rows(f"SELECT * FROM (VALUES {rows}) AS v") != []


def test_a_new_enum_value_in_a_dropped_row_is_still_seen() -> None:
    """The dropped rows' strings are read for the enum hazard.

    It is the only rule that wants constants.
    """
    from studio.plan.locks.lint import lint_sql

    rows = ",\n".join(f"({i}, 'pending')" for i in range(8_000)) + ",\n(8000, 'held')"
    sql = (
        f"BEGIN;\nALTER TYPE st ADD VALUE 'held';\nINSERT INTO t (id, s) VALUES\n{rows};\nCOMMIT;\n"
    )
    found = [f for f in lint_sql(sql).findings if f.hazard.id == "enum-value-used-in-transaction"]
    assert [f.detail for f in found] == ["'held'"]


def test_splitting_a_values_list_keeps_offsets_and_lines() -> None:
    """Statements after a dropped list start where they are written, on their own line."""
    from studio.sqltext.split import parse_statements

    sql = _insert(4_000, ";\n") + "\n-- after\nUPDATE public.t SET note = 'x' WHERE id = 1;\n"
    first, second = parse_statements(sql)
    assert first.dropped and first.text == sql.split(";\n")[0]
    assert sql[second.start :].startswith("UPDATE") and second.line == sql.count("\n") - 0
    assert second.dropped == ()


_LINT_ODD = [*_ODD, "'a'::text", "(SELECT 1)", "nextval('s')", "'held'", "'unterminated", "TRUE"]


@settings(max_examples=200, deadline=None)
@given(
    before=st.sampled_from(
        ["", "BEGIN;\nALTER TYPE st ADD VALUE 'held';\n", "CREATE TABLE t (a int);\n"]
    ),
    rows=st.lists(
        st.lists(st.sampled_from(_VALUES) | st.sampled_from(_LINT_ODD), min_size=1, max_size=3).map(
            lambda vs: "(" + ", ".join(vs) + ")"
        ),
        min_size=1,
        max_size=12,
    ),
    after=st.sampled_from(["", ";", " ON CONFLICT DO NOTHING;", " RETURNING a;\nSELECT 1;"]),
)
def test_lint_without_the_rows_of_constants_reports_what_the_whole_tree_does(
    before: str, rows: list[str], after: str
) -> None:
    from studio.errors import StudioError
    from studio.plan.locks.lint import lint_sql
    from studio.sqltext import lexer

    sql = before + "INSERT INTO t VALUES " + ",\n".join(rows) + after

    def report(above: int) -> object:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(lexer, "LITERAL_ROWS_ABOVE", above)
            try:
                return lint_sql(sql).to_dict()
            except StudioError as e:
                return str(e)

    assert report(0) == report(1 << 40)


def test_the_roles_a_script_names_are_read_without_its_rows_of_constants(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The replay asks every batch which roles it names.

    A long VALUES list is not turned into JSON.
    """
    import pglast.parser

    from studio.sqltext.statements import roles_named

    seen: list[int] = []
    real = pglast.parser.parse_sql_json
    monkeypatch.setattr(
        pglast.parser, "parse_sql_json", lambda sql: seen.append(len(sql)) or real(sql)
    )
    script = _insert(5_000, ";\n") + "GRANT SELECT ON public.t TO reader;\n"
    found = roles_named(script)
    assert found.named == {"reader"} and max(seen) < 1_000


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE public.t OWNER TO r",
        "alter schema s owner to r",
        "GRANT SELECT ON public.t TO r",
        "GRANT SELECT ON public.t TO GROUP r",
        "GRANT SELECT ON public.t TO PUBLIC GRANTED BY r",
        "REVOKE SELECT ON public.t FROM r",
        "GRANT r TO other_r",
        "CREATE SCHEMA AUTHORIZATION r",
        "CREATE SCHEMA s AUTHORIZATION r",
        "ALTER DEFAULT PRIVILEGES FOR ROLE r GRANT SELECT ON TABLES TO PUBLIC",
        "ALTER DEFAULT PRIVILEGES FOR USER r REVOKE SELECT ON TABLES FROM PUBLIC",
        "CREATE POLICY p ON public.t TO r USING (true)",
        "ALTER POLICY p ON public.t TO r",
        "CREATE USER MAPPING FOR r SERVER s",
        "REASSIGN OWNED BY r TO other_r",
        "DROP OWNED BY r",
        "SET ROLE r",
        "SET SESSION AUTHORIZATION r",
        "ALTER ROLE r SET search_path = s",
        "ALTER USER r SET search_path = s",
        "ALTER GROUP g ADD USER r",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET role = r AS 'SELECT 1'",
    ],
)
def test_the_roles_a_statement_names_are_found(statement: str) -> None:
    """Every statement that can name a role holds a word of the text checked before parsing."""
    from studio.sqltext.statements import roles_named

    assert "r" in roles_named(statement + ";\n").named


def test_a_script_that_can_name_no_role_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    import pglast.parser

    from studio.sqltext.statements import roles_named

    parsed: list[int] = []
    real = pglast.parser.parse_sql_json
    monkeypatch.setattr(
        pglast.parser, "parse_sql_json", lambda sql: parsed.append(len(sql)) or real(sql)
    )
    script = "CREATE TABLE public.t (id int PRIMARY KEY, note text);\n" * 500
    assert roles_named(script).named == frozenset() and parsed == []
    assert roles_named(script + "ALTER TABLE public.t OWNER TO r;\n").named == {"r"}
    assert parsed


@pytest.mark.parametrize("sep", [",\n", ", "], ids=["a-row-a-line", "one-line"])
def test_the_lexer_reads_a_small_part_of_a_long_values_list(
    sep: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work counted, not timed: the bulk of 1 MB of rows is skipped in plain spans, not lexed."""
    import pglast.parser

    from studio.migrations.format import parse_text
    from studio.sqltext import lexer

    lexed: list[int] = []
    real = pglast.parser.scan
    monkeypatch.setattr(pglast.parser, "scan", lambda text: lexed.append(len(text)) or real(text))
    monkeypatch.setattr(lexer, "WINDOW", 16_384)
    rows = sep.join(f"({i}, 'user {i}', NULL, -{i}.5)" for i in range(30_000))
    head = "-- the old system's rows\n"  # a quote outside any string
    text = f"{head}INSERT INTO public.t VALUES\n{rows};\n"
    (step,) = parse_text(text, "m.sql").steps
    assert step.statements[0].sql == text[len(head) : -2]
    assert len(text) > 1_000_000 and sum(lexed) < 10 * lexer.WINDOW


def test_the_lexer_reads_the_first_words_of_plain_statements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Work counted: a schema's long CREATE TABLEs are lexed up to their first line or so."""
    import pglast.parser

    from studio.sqltext.split import statement_spans

    columns = ",\n".join(f"  c{i}_value numeric(12,2) NOT NULL DEFAULT 0" for i in range(20))
    text = "".join(
        f"CREATE TABLE public.t{n:05d} (\n  id bigint PRIMARY KEY,\n{columns},\n"
        f"  CONSTRAINT t{n:05d}_c0_check CHECK (c0_value >= 0)\n);\n"
        f"CREATE INDEX t{n:05d}_c1_idx ON public.t{n:05d} (c1_value);\n"
        for n in range(300)
    )
    expected = _one_pass_spans(text)
    lexed: list[int] = []
    real = pglast.parser.scan
    monkeypatch.setattr(pglast.parser, "scan", lambda t: lexed.append(len(t)) or real(t))
    assert statement_spans(text) == expected and len(expected) == 600
    assert sum(lexed) < len(text) / 5, (sum(lexed), len(text))


def _one_pass_spans(text: str) -> list[tuple[int, int]]:
    """The reference: one window over the whole text, no span skipped."""
    from studio.sqltext import lexer, split

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexer, "WINDOW", 1 << 30)
        mp.setattr(lexer, "HEAD", 1 << 30)
        mp.setattr(split, "plain_span", lambda *a: None)
        return split.statement_spans(text)


def _tables(n: int) -> str:
    """A squash baseline's shape: CREATE TABLEs of a line per column, names with digits."""
    return "".join(
        f"CREATE TABLE public.t{i:05} (\n"
        "    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,\n"
        f"    status public.status_{i % 20:02} DEFAULT 'new'::public.status_{i % 20:02} NOT NULL,\n"
        "    amount numeric(12,2) DEFAULT 0 NOT NULL,\n"
        "    note text DEFAULT ''::text NOT NULL,\n"
        f"    CONSTRAINT t{i:05}_amount_check CHECK ((amount >= (0)::numeric)),\n"
        f"    CONSTRAINT t{i:05}_pkey PRIMARY KEY (id)\n"
        ");\n"
        for i in range(n)
    )


def test_the_lexer_reads_the_first_and_last_lines_of_each_create_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Work counted, not timed: the column lines of a statement are skipped in plain spans."""
    import pglast.parser

    from studio.migrations.format import parse_text

    lexed: list[int] = []
    real = pglast.parser.scan
    monkeypatch.setattr(pglast.parser, "scan", lambda text: lexed.append(len(text)) or real(text))
    text = "-- schema-studio:step\n" + _tables(1_000)
    (step,) = parse_text(text, "m.sql").steps
    assert len(step.statements) == 1_000
    assert step.statements[1].sql == _tables(2).split(";\n")[1]
    # each table's first line and the next (a window of `HEAD` characters), and its `);`
    assert sum(lexed) < len(text) / 2
