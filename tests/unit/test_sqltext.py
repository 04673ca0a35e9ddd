"""The SQL-text tools the stages share: statement ends, pglast's errors located, quote scanning."""

from __future__ import annotations

import pytest
from pglast.parser import ParseError

from studio.errors import MigrationFileError
from studio.sqltext import lexer
from studio.sqltext.scan import find_top, paren_end, paren_items, split_top
from studio.sqltext.split import parse_statements, statement_spans
from studio.sqltext.syntax_errors import (
    Lines,
    SqlSyntaxError,
    SyntaxProblem,
    line_of,
    located,
)

# --- statement ends --------------------------------------------------------------------------


def _statements(text: str) -> list[str]:
    return [text[a:b] for a, b in statement_spans(text)]


def test_statements_start_at_their_first_token_and_end_before_their_semicolon() -> None:
    text = "-- head\nSELECT 1;\n/* c */ SELECT ';' -- x\n;\n;; SELECT 2"
    assert _statements(text) == ["SELECT 1", "SELECT ';' -- x\n", "SELECT 2"]
    assert statement_spans(text)[0][0] == text.index("SELECT 1")


@pytest.mark.parametrize("text", ["", "  \n", "-- only a comment", ";;", "/* a */ ; -- b\n"])
def test_no_statement(text: str) -> None:
    assert statement_spans(text) == []


def test_what_psql_keeps_in_one_statement() -> None:
    """Semicolons in quotes, dollar quotes, comments, parentheses and BEGIN ATOMIC bodies."""
    atomic = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END"
    replace = "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END"
    rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); DELETE FROM b)"
    case = "CREATE FUNCTION g() RETURNS int BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END"
    texts = [
        "SELECT 'a;b', \"c;d\", E'\\';'",
        "DO $x$ BEGIN; END $x$",
        "SELECT 1 /* ; */ -- ;\n",
        atomic,
        replace,
        rule,
        case,
        "BEGIN",
        "END",
    ]
    assert _statements(";\n".join(texts)) == texts


def test_an_unbalanced_close_parenthesis_does_not_swallow_the_rest() -> None:
    assert _statements("SELECT 1) ; SELECT 2") == ["SELECT 1) ", "SELECT 2"]


@pytest.mark.parametrize("window", [None, 5])
@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("SELECT 1;\nSELECT 'abc", 'unterminated quoted string at or near "\'abc"', 17),
        ("SELECT 1;\n/* x", 'unterminated /* comment at or near "/* x"', 10),
        ("SELECT $$a", 'unterminated dollar-quoted string at or near "$$a"', 7),
        ('SELECT "a', 'unterminated quoted identifier at or near ""a"', 7),
    ],
)
def test_the_lexers_complaint_is_pglasts_with_its_offset_in_the_text(
    text: str, message: str, offset: int, window: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if window:
        monkeypatch.setattr(lexer, "WINDOW", window)
    with pytest.raises(ParseError) as e:
        statement_spans(text)
    assert e.value.args == (message, offset)


def test_a_long_values_list_is_cut_without_lexing_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    import pglast.parser

    lexed: list[int] = []
    real = pglast.parser.scan
    monkeypatch.setattr(pglast.parser, "scan", lambda text: lexed.append(len(text)) or real(text))
    monkeypatch.setattr(lexer, "WINDOW", 4096)
    rows = ",\n".join(f"({i}, 'user {i}')" for i in range(20_000))
    text = f"INSERT INTO t VALUES\n{rows};\nSELECT 1;\n"
    first, second = _statements(text)
    assert first == text.split(";\n")[0] and second == "SELECT 1"
    assert sum(lexed) < len(text) / 10


# --- pglast's errors, located ----------------------------------------------------------------


def test_a_problem_reads_pglasts_message_and_offset() -> None:
    assert SyntaxProblem.of(ParseError("bad", 3)) == SyntaxProblem("bad", 3)
    assert SyntaxProblem.of(ParseError("bad")) == SyntaxProblem("bad", None)
    assert SyntaxProblem.of(ParseError("bad", "x")) == SyntaxProblem("bad", None)


def test_the_lexers_message_leaves_out_the_text_it_quotes() -> None:
    problem = SyntaxProblem('unterminated quoted string at or near "\'abc\ndef"', 7)
    assert problem.lexer_message() == "unterminated quoted string (starting here)"
    assert SyntaxProblem("invalid Unicode escape", 1).lexer_message() == (
        "invalid Unicode escape (starting here)"
    )


def test_the_parsers_message_is_one_line() -> None:
    assert SyntaxProblem('syntax error at or near ","', 1).parser_message() == (
        'syntax error at or near ","'
    )
    assert SyntaxProblem('unterminated quoted string at or near "\'a\nb"', 1).parser_message() == (
        'unterminated quoted string at or near "\'a…"'
    )
    assert SyntaxProblem("first\nsecond", 1).parser_message() == "first…"


def test_lines() -> None:
    text = "a\nb\n\nc"
    assert [line_of(text, o) for o in (-1, 0, 1, 2, 5, 6)] == [1, 1, 1, 2, 4, 4]
    assert line_of(text, 2, first_line=10) == 11
    lines = Lines(text)
    assert [lines(o) for o in (0, 2, 5, 2, 6)] == [1, 2, 4, 2, 4]


def test_located_turns_the_lexers_error_into_a_migration_file_error() -> None:
    text = "SELECT 1;\n\nSELECT 'abc\n"
    with pytest.raises(MigrationFileError) as e, located(text, "m.sql", Lines(text)):
        list(lexer.lex(text))
    assert str(e.value) == "m.sql:3: unterminated quoted string (starting here)"


def test_a_nul_character_is_refused_at_its_line() -> None:
    with pytest.raises(MigrationFileError, match=r"^m.sql:2: the file contains a NUL byte$"):
        lexer.tokens_of("SELECT 1;\nSELECT '\x00';", "m.sql")


# --- statements parsed -----------------------------------------------------------------------


def test_parsed_statements_keep_their_text_offset_and_line() -> None:
    text = "-- a\nSELECT 1;\n\n  /* b */ UPDATE t SET a = 1 ;\n"
    first, second = parse_statements(text)
    assert (first.text, first.start, first.line) == ("SELECT 1", 5, 2)
    assert (second.text, second.line) == ("UPDATE t SET a = 1", 4)
    assert text[second.start :].startswith("UPDATE")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT 1;\n\nALTER TABLE t ADD COLUMN;\n", 'f.sql:3: syntax error at or near ";"'),
        ("SELECT 1;\n'abc\n\nfoo", 'f.sql:1: unterminated quoted string at or near "\'abc…"'),
        ("selec", 'f.sql:1: syntax error at or near "selec"'),
    ],
)
def test_a_syntax_error_names_its_line(text: str, expected: str) -> None:
    with pytest.raises(SqlSyntaxError) as e:
        parse_statements(text, "f.sql")
    assert str(e.value) == expected


# --- quotes and parentheses in printed SQL --------------------------------------------------

_INDEX = (
    'CREATE INDEX "i(" ON public."t,1" USING btree (a, lower((b)::text) DESC, "c,""d")'
    " INCLUDE (e, \"f)\") WHERE ((s)::text <> 'x) WHERE (')"
)


def test_paren_end_skips_quotes_and_nested_parentheses() -> None:
    start = _INDEX.index("(a,")
    assert _INDEX[start : paren_end(_INDEX, start)] == '(a, lower((b)::text) DESC, "c,""d")'
    with pytest.raises(ValueError, match="unbalanced parentheses"):
        paren_end("f((a)", 1)


def test_paren_items_are_the_first_lists_items_outside_quotes() -> None:
    keys, end = paren_items(_INDEX, 0)
    assert keys == ("a", "lower((b)::text) DESC", '"c,""d"')
    assert _INDEX[end:].startswith(" INCLUDE (")
    assert paren_items(_INDEX, end) == (("e", '"f)"'), _INDEX.index(" WHERE"))
    assert paren_items("()", 0) == (("",), 2)
    with pytest.raises(ValueError, match="unbalanced parentheses"):
        paren_items("x 'a(b'", 0)


def test_split_top_and_find_top_look_outside_quotes_and_parentheses() -> None:
    assert split_top("a, f(b, c), 'd,e', \"g,h\" ,") == ["a", "f(b, c)", "'d,e'", '"g,h"', ""]
    assert split_top("") == [""]
    where = find_top(_INDEX, " WHERE ")
    assert _INDEX[where:] == " WHERE ((s)::text <> 'x) WHERE (')"
    assert find_top("(a WHERE b) 'x WHERE y'", " WHERE ") == -1
    assert find_top("a\tWHERE b", " WHERE ") == -1


def test_an_unterminated_quote_runs_to_the_end() -> None:
    assert split_top("a, 'b, c") == ["a", "'b, c"]
    assert find_top("'a WHERE b", " WHERE ") == -1
    assert split_top("a, 'it''s, here', b") == ["a", "'it''s, here'", "b"]
