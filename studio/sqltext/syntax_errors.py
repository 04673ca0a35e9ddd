"""pglast's errors, located: PostgreSQL's message and offset turned into a line and one short line.

pglast raises `ParseError(message, offset)` for what PostgreSQL's lexer or
parser refuses; the offset (0-based, in the text given) may be missing. Each
stage reports such an error in its own error class, but reads it here:
`SyntaxProblem.of(e)`, then `lexer_message()` or `parser_message()` and
`line_of()` (or `Lines` for many offsets of one text, in order).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.errors import MigrationFileError, StudioError

if TYPE_CHECKING:
    from collections.abc import Iterator


class SqlSyntaxError(StudioError):
    """SQL that PostgreSQL's grammar does not accept."""

    hint = "fix the statement (it would fail on the server too)"

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """What a pglast `ParseError` says: PostgreSQL's message and the offset of the problem."""

    message: str
    offset: int | None  # in the text pglast was given; None when it gives none

    @classmethod
    def of(cls, e: BaseException) -> SyntaxProblem:
        """The message and offset of pglast's error `e` (its args, when it has them)."""
        args = e.args
        offset = args[1] if len(args) > 1 and isinstance(args[1], int) else None
        return cls(str(args[0]) if args else str(e), offset)

    def lexer_message(self) -> str:
        """A lexer's complaint, without the rest of the file it quotes: `... (starting here)`.

        The lexer says `unterminated quoted string at or near "'abc...`, the
        quoted text running to the end of the file; the offset is where the
        quote starts.
        """
        return f"{self.message.split(' at or near ', 1)[0].partition(chr(10))[0]} (starting here)"

    def parser_message(self) -> str:
        """The parser's message on one line: a quoted `at or near "<token>` cut at its line end."""
        first, _, rest = self.message.partition("\n")
        if not rest:
            return first
        return first + ('…"' if ' at or near "' in first else "…")


def line_of(text: str, offset: int, first_line: int = 1) -> int:
    """The line of a character offset of `text`, the first line being `first_line`."""
    return text.count("\n", 0, max(0, offset)) + first_line


class Lines:
    """Character offset -> 1-based line number, for statements and errors located in a file."""

    def __init__(self, text: str) -> None:
        # Newlines are counted from the last offset asked, as the parser asks in
        # order: a list of every line's start took 0.5 s for a 400,000-line file,
        # one count per statement from the top would be quadratic.
        self.text = text
        self.at, self.line = 0, 1

    def __call__(self, offset: int) -> int:
        if offset < self.at:
            self.at, self.line = 0, 1
        self.line += self.text.count("\n", self.at, offset)
        self.at = max(self.at, offset)
        return self.line


def refuse_nul(text: str, where: str, lines: Lines) -> None:
    """MigrationFileError at the first NUL character: PostgreSQL takes none."""
    if "\x00" in text:
        raise MigrationFileError(where, lines(text.index("\x00")), "the file contains a NUL byte")


@contextmanager
def located(text: str, where: str, lines: Lines) -> Iterator[None]:
    """The lexer's error as a MigrationFileError at the line where the problem starts."""
    from pglast.parser import ParseError  # deferred: pglast loads libpg_query

    try:
        yield
    except ParseError as e:
        problem = SyntaxProblem.of(e)
        offset = min(problem.offset or 0, len(text))
        raise MigrationFileError(where, lines(offset), problem.lexer_message()) from None
