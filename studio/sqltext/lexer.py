"""PostgreSQL's lexer over SQL text of any size: a window at a time, plain spans skipped whole.

pglast's `scan` turns a whole string into a list of Python tokens, about
1 µs and 600 bytes each: 2 GB and seconds for a 45 MB INSERT of 400,000
rows. Here it runs on windows of `WINDOW` characters, each starting at a
token boundary, so memory stays flat and time is proportional to the text.

Most of such a statement needs no tokens at all: a statement splitter only
looks for `;`, comments and parentheses. `plain_span` finds stretches of
text where the lexer could produce nothing else, by an argument that holds
for PostgreSQL's lexer (standard_conforming_strings on, as in pglast): when a
stretch starting at a token boundary holds no `$`, `"` or backslash, each
`'` opens or closes a plain string literal (a doubled `''` closes and
reopens one; `E''`, `B''`, `X''`, `N''` and `U&''` quote alike without
backslashes), so what lies outside the strings is known by splitting on
`'`; if that holds no `;`, `--` or `/*`, the stretch has no statement end
and no comment, and its parentheses are the `(` and `)` outside the strings.
(A number run into a letter, which the lexer may refuse, is left to it; a
digit inside a name, `t00001_pkey`, starts no number.) A span ends at a
newline, before the first line that holds a `;`, a comment or one of those
characters, so the lines of a statement before its last are skipped too: a
CREATE TABLE of twenty columns is lexed on its first and last lines only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from studio.sqltext.syntax_errors import Lines, SyntaxProblem, located, refuse_nul

if TYPE_CHECKING:
    from collections.abc import Iterator

# (start, end exclusive, token name, keyword kind), offsets in the whole text
Token = tuple[int, int, str, str]

# characters of text per call to pglast's lexer (about 20,000 tokens of a VALUES list)
WINDOW = 1 << 18
_HORIZONTAL_BLANK = re.compile(r"[ \t\r\f\v]")
# every byte but ( and ): deleted from a span's UTF-8 to leave its parentheses
_NOT_PAREN = bytes(b for b in range(256) if b not in b"()")
# a VALUES list's parentheses, its rows cut anywhere: the end of one, whole ones, the start of one
_ROW_PARENS = re.compile(rb"(\))?(?:\(\))*(\()?")
# a digit run into a name (`1abc`, `1.x`; also `1e5`, `0x1f`, `t1a`): the lexer may refuse a
# number followed by an identifier's first character, so such text is lexed (`_number_into_name`)
_DIGIT_THEN_LETTER = re.compile(r"\d\.?(?:[^\W\d]|[^\x00-\x7f])")
# what a plain span ends before: a possible statement end or comment, or a character plain text
# cannot hold (`;` first: in DDL the nearest, and each later search stops where one was found)
_NOT_PLAIN = (";", "$", '"', "\\", "--", "/*")
# the first window after a plain span, or at the text's start: a window ends at the first
# newline past its size, so this one is the rest of the line, where a statement's head is (or
# its end). The windows double from there while no span can be taken: a run of short statements
# is lexed in big ones.
HEAD = 1
_PAREN_STEP = {ord("("): 1, ord(")"): -1}


def _cut(text: str, pos: int, at: int, odd: bool = False) -> int | None:
    """Where text from `pos` may be cut at or after `at`: after a newline, else after a blank.

    The blank is one after an even number of `'` since `pos` (odd with `odd`:
    a quote in a comment before): outside a string as far as counting tells
    (a file of one 45 MB line has no newline to cut at). None when there is
    neither within `WINDOW` characters; the text's end when `at` is past it.
    """
    if at >= len(text):
        return len(text)
    newline = text.find("\n", at, at + WINDOW)
    if newline >= 0:
        return newline + 1
    quotes, blank = text.count("'", pos, at), at
    while (m := _HORIZONTAL_BLANK.search(text, blank, at + WINDOW)) is not None:
        quotes += text.count("'", blank, m.start())
        if quotes % 2 == odd:
            return m.end()
        blank = m.end()
    return None


def _any_blank(text: str, at: int) -> int:
    """After the first blank at or after `at`, else the text's end: a cut between two tokens."""
    blank = _HORIZONTAL_BLANK.search(text, at)
    return blank.end() if blank else len(text)


def lex_window(text: str, pos: int, size: int | None = None) -> tuple[list[Token], int]:
    """The tokens of about `size` characters of `text` from `pos` (a token boundary); where next.

    A window that ends inside a quote, comment or dollar-quoted body is cut
    at a blank after the other count of quotes, then taken twice as long,
    until it does not; its last tokens are left for the next window (see
    `_unsettled`).

    Raises:
        pglast.parser.ParseError: as pglast's, with the problem's offset in `text`.
    """
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast.parser import ParseError, scan

    n, size, odd = len(text), size or WINDOW, False
    while True:
        end = _cut(text, pos, pos + size, odd) or _any_blank(text, pos + size)
        try:
            raw = scan(text[pos:end])
        except ParseError as e:
            if end < n:
                size, odd = (size, True) if not odd else (size * 2, False)
                continue
            problem = SyntaxProblem.of(e)
            offset = None if problem.offset is None else pos + problem.offset
            raise ParseError(problem.message, offset) from None
        following = end
        if end < n and raw:
            following = pos + _unsettled(raw)
            if following == pos:  # one token as long as the window: take more
                size *= 2
                continue
        return [(pos + t.start, pos + t.end + 1, t.name, t.kind) for t in raw], following


_STRINGS = frozenset({"SCONST", "USCONST", "BCONST", "XCONST"})
_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})


def _unsettled(raw: list[Any]) -> int:
    """Drop from `raw` the tokens what follows the window may change; the first one's offset.

    The last token may go on past the cut; so may a string before it and
    comments: `'a' -- note` then `'b'` on the next line is one string.
    """
    start = raw.pop().start
    while raw and raw[-1].name in _COMMENTS:
        start = raw.pop().start
    if raw and raw[-1].name in _STRINGS:
        start = raw.pop().start
    return int(start)


def lex(text: str, start: int = 0, size: int | None = None) -> Iterator[Token]:
    """Every token of `text` from `start` (a token boundary), lexed `size` characters at a time.

    Stop early and the rest is never lexed: a small `size` reads a statement's first words cheaply.
    """
    pos = start
    while pos < len(text):
        tokens, pos = lex_window(text, pos, size)
        yield from tokens


@dataclass(frozen=True, slots=True)
class PlainSpan:
    """Text with no statement end and no comment (see the module docstring)."""

    end: int  # where it ends: after a newline, or the text's end
    last: int  # the end of its last token; -1 when it is all blanks
    parens: int  # the parenthesis depth after it


def plain_span(text: str, pos: int, parens: int | None = None) -> PlainSpan | None:
    """Up to `WINDOW` characters from `pos` (a token boundary) when they are plain, else None.

    The span ends before the first line that may hold something else (see the
    module docstring); None when that is the line `pos` is on.

    With `parens` (the depth at `pos`), None too when a `)` would take the
    depth below zero, where a splitter that clamps it would see otherwise.
    """
    if (end := _cut(text, pos, pos + WINDOW)) is None:
        return None
    if (stop := _not_plain_at(text, pos, end)) < end:
        end = text.rfind("\n", pos, stop) + 1  # the line before it: a token boundary
        if end <= pos:
            return None
    span = text[pos:end]
    if "$" in span or '"' in span or "\\" in span or span.count("'") % 2:
        return None
    outside = " ".join(span.split("'")[::2])
    if ";" in outside or "--" in outside or "/*" in outside or _number_into_name(outside):
        return None
    depth = parens or 0
    if parens is not None and (steps := outside.encode().translate(None, _NOT_PAREN)):
        if (rows := _ROW_PARENS.fullmatch(steps)) is not None:
            depth = parens - (rows[1] is not None) + (rows[2] is not None)
            lowest = parens - (rows[1] is not None)
        else:
            depths = list(accumulate(map(_PAREN_STEP.__getitem__, steps), initial=parens))
            lowest, depth = min(depths), depths[-1]
        if lowest < 0:
            return None
    body = len(span.rstrip(" \t\n\r\f\v"))
    if span[:body].endswith("'"):
        return None  # the string may go on in the next line's: lexed, not cut
    return PlainSpan(end, pos + body if body else -1, depth)


def _not_plain_at(text: str, pos: int, end: int) -> int:
    """The first of `_NOT_PLAIN` in `text[pos:end]`, else `end`."""
    for mark in _NOT_PLAIN:
        if (found := text.find(mark, pos, end)) >= 0:
            end = found
    return end


def _number_into_name(outside: str) -> bool:
    """Whether a number may run into a name in `outside` (text outside strings, no `$` in it).

    A digit run right after a name's character (a letter, a digit, `_`, or
    any non-ASCII character, as PostgreSQL's lexer reads names) continues that
    name: `t00001_pkey` holds no number, and a span of such names is plain.
    """
    for m in _DIGIT_THEN_LETTER.finditer(outside):
        start = m.start()
        while start and outside[start - 1] in "0123456789":
            start -= 1
        before = outside[start - 1] if start else " "
        if not (before.isalpha() or before == "_" or before >= "\x80"):
            return True
    return False


def first_window() -> int:
    """The size of a window lexed at a statement's head, or after a plain span."""
    return min(HEAD, WINDOW)


def next_window(size: int) -> int:
    """The size of the window after one of `size` that took no plain span: twice, up to `WINDOW`."""
    return min(size * 2, WINDOW)


def comment_tokens(text: str, start: int = 0) -> Iterator[Token]:
    """Every comment token of `text` from `start`, plain spans (which hold none) skipped unlexed.

    Read to the end, it also checks that the lexer accepts the rest of the text.
    """
    pos, size = start, first_window()
    while pos < len(text):
        if (span := plain_span(text, pos)) is not None:
            pos, size = span.end, first_window()
            continue
        tokens, pos = lex_window(text, pos, size)
        size = next_window(size)
        yield from (
            t for t in tokens if t[2] in ("SQL_COMMENT", "C_COMMENT") and t[3] == "NO_KEYWORD"
        )


# --- rows of constants -----------------------------------------------------------------

# PostgreSQL's blanks (Python's \s also takes characters the lexer reads as part of a name)
_BLANK = r"[ \t\n\r\f\v]*"
# a constant as the lexer reads it: a plain string ('' inside), a number, or a keyword constant
_STRING = r"'[^']*(?:''[^']*)*'"
_CONSTANT = rf"(?:{_STRING}|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|NULL|TRUE|FALSE|DEFAULT)"
_ROW = rf"\({_BLANK}{_CONSTANT}(?:{_BLANK},{_BLANK}{_CONSTANT})*{_BLANK}\)"
_VALUES = re.compile(r"\bVALUES" + _BLANK + r"\(", re.IGNORECASE)
_FIRST_ROW = re.compile(rf"VALUES{_BLANK}{_ROW}", re.IGNORECASE)
# rows a thousand at a time: one pattern for 400,000 rows kept 5 GB of backtracking state
_MORE_ROWS = re.compile(rf"(?:{_BLANK},{_BLANK}{_ROW}){{1,1000}}", re.IGNORECASE)
_STRINGS_IN = re.compile(_STRING)
# statements shorter than this are parsed whole
LITERAL_ROWS_ABOVE = 1 << 16


def literal_rows(text: str) -> list[tuple[int, int]]:
    """Spans of `text` holding the rows of a VALUES list after its first, when all are constants.

    `, (1, 'a'), (2, 'b')` takes no lock and calls nothing, so what a parser
    needs for lock facts is the statement without it: pglast's tree of a
    400,000-row VALUES list took 50 s and 2 GB to build and walk. A `VALUES`
    counts only where the lexer reads that keyword; the rows are matched by
    what the lexer reads as constants, so a span ends at anything else (a
    comment, a function call, an `E''` string). Shorter texts give none.
    """
    spans: list[tuple[int, int]] = []
    if len(text) < LITERAL_ROWS_ABOVE:
        return spans
    tokens, search = lex(text), 0
    while (m := _VALUES.search(text, search)) is not None:
        search = m.end()
        if (first := _FIRST_ROW.match(text, m.start())) is None:
            continue
        end = _rows_end(text, first.end())
        if end == first.end() or not _keyword_at(tokens, m.start()):
            continue
        spans.append((first.end(), end))
        # after a row's `)`: a token boundary, where the lexer may start again
        tokens, search = lex(text, end), end
    return spans


def _rows_end(text: str, pos: int) -> int:
    """The end of the rows of constants that follow `pos` (`pos` itself when none)."""
    while (more := _MORE_ROWS.match(text, pos)) is not None:
        pos = more.end()
    return pos


def _keyword_at(tokens: Iterator[Token], at: int) -> bool:
    """Whether the lexer reads the keyword VALUES at `at` (the tokens before are consumed)."""
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast.parser import ParseError

    try:
        for start, _, name, _ in tokens:
            if start >= at:
                return start == at and name == "VALUES"
    except ParseError:
        pass  # text the lexer refuses: left whole, for the parser to report
    return False


def without(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the spans (in order, apart) left out."""
    if not spans:
        return text
    kept, pos = [], 0
    for a, b in spans:
        kept.append(text[pos:a])
        pos = b
    kept.append(text[pos:])
    return "".join(kept)


def offset_in(spans: list[tuple[int, int]], offset: int) -> int:
    """The offset in the whole text of `offset` in the text `without` the spans."""
    for a, b in spans:
        if offset >= a:
            offset += b - a
    return offset


def string_constants(text: str, spans: list[tuple[int, int]]) -> set[str]:
    """The values of the string constants in the spans of `literal_rows`."""
    return {
        m[0][1:-1].replace("''", "'") for a, b in spans for m in _STRINGS_IN.finditer(text, a, b)
    }


# --- short texts ----------------------------------------------------------------------


def tokens_of(text: str, where: str, lines: Lines | None = None) -> list[Token]:
    """PostgreSQL's lexer over a short text: (start, end exclusive, token name, kind)."""
    lines = lines or Lines(text)
    refuse_nul(text, where, lines)
    with located(text, where, lines):
        return list(lex(text))
