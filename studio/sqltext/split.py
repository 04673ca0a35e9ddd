"""SQL scripts cut into statements: where psql would end each, and pglast's trees of them.

Two ways, one grammar:

- `statement_spans` and `StatementEnds` find statement ends the way psql
  does, from PostgreSQL's lexer alone (`studio.sqltext.lexer`, a window at a
  time), so a statement the parser would refuse is still cut out whole for
  the server to judge: quotes, dollar quotes, comments, parentheses and
  `BEGIN ATOMIC` bodies are respected, in time and memory proportional to
  the text. The migration file parser walks the same tokens
  (`statement_tokens`) and adds its directives.
- `parse_statements` parses a script with pglast into trees, each with its
  text and line, for lock analysis; a syntax error is a `SqlSyntaxError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.sqltext.lexer import (
    PlainSpan,
    first_window,
    lex,
    lex_window,
    literal_rows,
    next_window,
    offset_in,
    plain_span,
    without,
)
from studio.sqltext.syntax_errors import SqlSyntaxError, SyntaxProblem, line_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.sqltext.lexer import Token

_COMMENTS = ("SQL_COMMENT", "C_COMMENT")
# Words psql counts to recognise `CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC`.
_CREATE_ROUTINE = {("CREATE", "FUNCTION"), ("CREATE", "PROCEDURE")}


class StatementEnds:
    """Tracks parentheses and BEGIN ... END bodies the way psql does, to find statement ends."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start a new statement."""
        self.words: list[str] = []  # the first four: enough to tell a routine
        self.parens = 0
        self.begin_depth = 0

    def _in_routine(self) -> bool:
        w = self.words
        if len(w) >= 2 and (w[0], w[1]) in _CREATE_ROUTINE:
            return True
        return (
            len(w) >= 4
            and w[0] == "CREATE"
            and w[1] == "OR"
            and w[2] == "REPLACE"
            and w[3] in ("FUNCTION", "PROCEDURE")
        )

    def feed(self, name: str, kind: str) -> bool:
        """Take one token; True when it is the semicolon that ends the statement."""
        if name == "ASCII_40":
            self.parens += 1
        elif name == "ASCII_41":
            self.parens = max(0, self.parens - 1)
        elif name == "ASCII_59":
            return self.parens == 0 and self.begin_depth == 0
        elif kind != "NO_KEYWORD" or name == "IDENT":
            word = name.removesuffix("_P")
            if len(self.words) < 4:
                self.words.append(word)
            if self._in_routine() and self.parens == 0:
                # CASE also ends with END: it only matters inside a BEGIN body
                if word == "BEGIN" or (word == "CASE" and self.begin_depth > 0):
                    self.begin_depth += 1
                elif word == "END" and self.begin_depth > 0:
                    self.begin_depth -= 1
        return False

    def plain(self) -> bool:
        """Whether the statement is known not to be a routine: only `;` and parens matter now."""
        w = self.words
        return bool(w) and (w[0] != "CREATE" or (len(w) >= 4 and not self._in_routine()))


def statement_tokens(text: str, ends: StatementEnds) -> Iterator[Token | PlainSpan]:
    """Every token of `text`, but for spans of an open plain statement, skipped unlexed.

    The caller feeds the tokens (not comments) to `ends`, resetting it at
    each statement end; while `ends.plain()`, the bulk of a huge statement (a
    45 MB VALUES list) comes as `PlainSpan`s, whose parentheses are already
    counted in `ends`.

    Raises:
        pglast.parser.ParseError: what the lexer refuses, with its offset in `text`.
    """
    pos, size = 0, first_window()
    while pos < len(text):
        if ends.plain() and (span := plain_span(text, pos, ends.parens)) is not None:
            ends.parens = span.parens
            yield span
            pos, size = span.end, first_window()
            continue
        # a short window first: a statement's head is lexed, its body may then be skipped
        tokens, pos = lex_window(text, pos, size)
        size = next_window(size)
        yield from tokens


def statement_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each statement of `text`, as psql would send them: empty ones left out.

    A statement starts at its first token (comments before it are not part
    of it) and ends before its `;`, or, the last one, after its last token.

    Raises:
        pglast.parser.ParseError: what the lexer refuses, with its offset in `text`.
    """
    return list(iter_statement_spans(text))


def iter_statement_spans(text: str) -> Iterator[tuple[int, int]]:
    """`statement_spans` one by one, each as soon as its end is found, the rest not lexed yet.

    Raises:
        pglast.parser.ParseError: once the lexer reaches what it refuses (the
            statements before it have been given).
    """
    ends = StatementEnds()
    start: int | None = None
    last = 0
    for item in statement_tokens(text, ends):
        if isinstance(item, PlainSpan):
            last = item.last if item.last >= 0 else last
            continue
        begin, end, name, kind = item
        comment = name in _COMMENTS and kind == "NO_KEYWORD"
        if start is None:
            if comment:
                continue
            start = begin
        last = end
        if not comment and ends.feed(name, kind):
            if begin > start:
                yield start, begin
            start = None
            ends.reset()
    if start is not None:
        yield start, last


# --- statements parsed ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One parsed statement: its tree, its text and where it starts."""

    node: Any
    text: str
    start: int  # character offset of its first token in the source
    line: int  # 1-based line of its first token
    # spans of `text` left out of `node`: rows of constants of a VALUES list (`lexer.literal_rows`)
    dropped: tuple[tuple[int, int], ...] = ()

    def analysed_text(self) -> str:
        """The text of what `node` holds: `text` without the dropped rows."""
        return without(self.text, list(self.dropped))


def parse_statements(source: str, path: str = "<sql>") -> tuple[ParsedStatement, ...]:
    """Parse `source` into statements; a syntax error raises `SqlSyntaxError` with its line.

    The rows of constants of a long VALUES list after its first are left out
    of the trees (they take no lock and call nothing); each statement says
    which (`ParsedStatement.dropped`).
    """
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast import parse_sql

    # deferred: pglast loads its parser only when SQL is parsed
    from pglast.parser import ParseError

    if "\x00" in source:
        # libpg_query reads a C string: what follows a NUL would go unseen
        raise SqlSyntaxError(path, line_of(source, source.index("\x00")), "a NUL byte in the SQL")
    dropped = literal_rows(source)
    try:
        raw = parse_sql(without(source, dropped))
    except ParseError as e:
        problem = SyntaxProblem.of(e)
        location = offset_in(dropped, problem.offset - 1) if problem.offset else -1
        raise SqlSyntaxError(path, line_of(source, location), problem.parser_message()) from None
    out = []
    for r in raw:
        start = first_token(source, offset_in(dropped, r.stmt_location or 0))
        end = offset_in(dropped, (r.stmt_location or 0) + r.stmt_len) if r.stmt_len else len(source)
        text = source[start:end].strip().rstrip(";").strip()
        mine = tuple((a - start, b - start) for a, b in dropped if start <= a < end)
        out.append(ParsedStatement(r.stmt, text, start, line_of(source, start), mine))
    return tuple(out)


def first_token(source: str, offset: int) -> int:
    """The offset of the first token at or after `offset` (comments and blanks skipped).

    Only the first tokens are lexed, not the rest of the source.
    """
    for start, _, name, _ in lex(source, offset, size=4096):
        if name not in _COMMENTS:
            return start
    return offset
