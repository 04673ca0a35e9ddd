"""The migration file format: steps, directives and annotations, parsed with PostgreSQL's lexer.

See `studio.migrations.files` for the format itself. Statements are split the
way psql does, with PostgreSQL's own lexer (`studio.sqltext.split`), so quotes,
dollar quotes, comments and `BEGIN ATOMIC` bodies are respected, and an
unterminated one is reported with its line. Parsing is pure: text in,
steps out, in time and memory proportional to the text.
"""

from __future__ import annotations

import enum
import re
import shlex
from dataclasses import dataclass, field

from studio.errors import MigrationFileError
from studio.sqltext.lexer import PlainSpan, comment_tokens
from studio.sqltext.split import StatementEnds, statement_tokens
from studio.sqltext.statements import non_transactional_statement
from studio.sqltext.syntax_errors import Lines, located, refuse_nul

DIRECTIVE_PREFIX = "schema-studio:"
_DIRECTIVE = re.compile(r"^--\s*schema-studio:(?P<name>\S*)\s*(?P<arg>.*?)\s*$")
_HEADER_KEY = re.compile(
    r"^--\s*(?P<key>version|tool|schema-before|schema-after):\s*(?P<value>.*?)\s*$"
)
_HAZARD_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
KNOWN_DIRECTIVES = (
    "step",
    "no-transaction",
    "backfill",
    "python",
    "irreversible",
    "phase",
    "ignore",
    "squashes",
)
_PYTHON_TARGET = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
_OPTION_KEY = re.compile(r"^[A-Za-z_][\w-]*$")
_PYTHON_USAGE = "usage: `-- schema-studio:python package.module:function [key=value ...]`"
# `-- schema-studio:squashes <version>_<name> <checksum>`: a migration a baseline replaced
_SQUASHED = re.compile(r"^(?P<version>\d{14})_(?P<name>\S+)\s+(?P<checksum>h1:\S+)$")


class Phase(enum.StrEnum):
    """The expand/contract phase a migration belongs to (file-level directive)."""

    EXPAND = "expand"
    CONTRACT = "contract"


@dataclass(frozen=True, slots=True)
class Ignore:
    """An accepted hazard: `-- schema-studio:ignore <hazard-id> <reason>` before a statement.

    Lint keeps the finding of that hazard on the statement, marked ignored, with the reason.
    """

    hazard: str
    reason: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class PythonCall:
    """A Python step's function: `-- schema-studio:python package.module:function key=value ...`.

    The runner imports `module` (the project root on sys.path) and awaits
    `function(conn, options)`; `options` are the directive's `key=value` pairs, as text.
    """

    module: str
    function: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def target(self) -> str:
        """`package.module:function`."""
        return f"{self.module}:{self.function}"


@dataclass(frozen=True, slots=True)
class Squashed:
    """A migration a squash baseline replaced, as its header lists it: the history a database
    that applied it holds (`-- schema-studio:squashes <version>_<name> <checksum>`)."""

    version: str
    name: str
    checksum: str

    @property
    def directive(self) -> str:
        """The header line that records it."""
        return f"-- {DIRECTIVE_PREFIX}squashes {self.version}_{self.name} {self.checksum}"


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement of a step (without its terminating semicolon)."""

    sql: str
    line: int = 0
    ignores: tuple[Ignore, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """A unit the runner applies and records: numbered from 1 within its migration."""

    index: int
    # the step's SQL as written: its statements with the comments between them
    sql: str
    annotations: tuple[str, ...]
    transactional: bool = True
    backfill: bool = False
    line: int = 0
    statements: tuple[Statement, ...] = ()
    # a Python step (no SQL): the function the runner calls
    python: PythonCall | None = None
    # `-- schema-studio:irreversible`: rollback refuses the migration
    irreversible: bool = False

    @property
    def kind(self) -> str:
        """What runs: `sql`, `backfill` or `python`."""
        return "python" if self.python else "backfill" if self.backfill else "sql"

    @property
    def title(self) -> str:
        """A one-line description: the first annotation, else the first SQL line.

        A Python step's title names its function first: `python: pkg.mod:fn`.
        """
        note = self.annotations[0].strip() if self.annotations else ""
        if self.python is not None:
            return f"python: {self.python.target}" + (f" ({note})" if note else "")
        if note:
            return note
        first = self.sql.strip().splitlines()[0] if self.sql.strip() else ""
        return first if len(first) <= 80 else first[:77] + "..."


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed file: its steps, header keys, free header comments and phase."""

    steps: tuple[Step, ...]
    header: dict[str, str] = field(default_factory=dict)
    description: tuple[str, ...] = ()
    phase: Phase | None = None
    # a squash baseline: the migrations it replaced, in version order
    squashes: tuple[Squashed, ...] = ()


# --- parsing ------------------------------------------------------------------------


def _comment_text(token_text: str) -> str:
    """An annotation line from a comment token: the text without `--` and one space."""
    if token_text.startswith("--"):
        return token_text[2:].removeprefix(" ")
    return token_text[2:-2].strip()  # /* ... */


def parse_text(text: str, where: str = "<text>") -> Parsed:
    """Parse a migration file's text into steps (see the module docstring for the format).

    Raises:
        MigrationFileError: with `where` and the line of the problem.
    """
    lines = Lines(text)
    refuse_nul(text, where, lines)
    with located(text, where, lines):
        p = _Parser(text, where, lines, _explicit(text))
        # the bulk of a huge statement (a 45 MB VALUES list) comes as plain spans, not lexed
        items = statement_tokens(text, p.splitter)
        try:
            for item in items:
                if isinstance(item, PlainSpan):
                    p.skip(item.last)
                else:
                    p.token(*item)
        except MigrationFileError:
            # the lexer's complaint comes first wherever it is, as when files were lexed whole
            for _ in items:
                pass
            raise
    return p.finish()


def _explicit(text: str) -> bool:
    """Whether a `-- schema-studio:step` comment (not text in a string) is in the file."""
    if "schema-studio:step" not in text:
        return False
    return any(
        name == "SQL_COMMENT" and _directive_name(text[s:e]) == "step"
        for s, e, name, _ in comment_tokens(text)
    )


def _directive_name(comment: str) -> str | None:
    m = _DIRECTIVE.match(comment)
    return m["name"] if m else None


class _Parser:
    """The state machine behind `parse_text`: header, then steps of statements."""

    def __init__(self, text: str, where: str, lines: Lines, explicit: bool) -> None:
        self.text, self.where, self.lines, self.explicit = text, where, lines, explicit
        self.header: dict[str, str] = {}
        self.description: list[str] = []
        self.phase: Phase | None = None
        self.squashes: list[Squashed] = []
        self.steps: list[Step] = []
        self.in_header = True
        # implicit files: the top comment block, up to the first blank line, is the header
        self.header_open = not explicit
        self.prev_end = 0
        self.splitter = StatementEnds()
        self._new_step(None)

    def error(self, offset: int, problem: str) -> MigrationFileError:
        return MigrationFileError(self.where, self.lines(offset), problem)

    # a step being collected
    def _new_step(self, marker_offset: int | None) -> None:
        self.step_line = self.lines(marker_offset) if marker_offset is not None else 0
        self.step_offset = marker_offset
        self.annotations: list[str] = []
        self.transactional = True
        self.backfill = False
        self.python: PythonCall | None = None
        self.irreversible = False
        self.statements: list[Statement] = []
        # each statement's first token names (`lead` of non_transactional_statement), None when
        # a plain span skipped some of its first four
        self.leads: list[tuple[str, ...] | None] = []
        self.lead: list[str] = []
        self.lead_whole = True
        self.sql_start: int | None = None
        self.sql_end = 0
        self.stmt_start: int | None = None
        self.stmt_end = 0
        self.stmt_last_comment = False
        self.ignores: list[Ignore] = []

    def skip(self, last: int) -> None:
        """Take a plain span of the open statement: its last token's end (-1: none)."""
        if last >= 0:
            self.stmt_end = self.prev_end = last
            self.stmt_last_comment = False
            self.lead_whole = self.lead_whole and len(self.lead) >= 4

    def token(self, start: int, end: int, name: str, kind: str) -> None:
        prev_end, self.prev_end = self.prev_end, end
        if name in ("SQL_COMMENT", "C_COMMENT") and kind == "NO_KEYWORD":
            gap = self.text[prev_end:start]
            self.comment(start, end, blank_before=bool(re.search(r"\n[ \t\r]*\n", gap)))
            return
        self.header_open = False
        if self.explicit and self.in_header:
            raise self.error(start, "SQL before the first `-- schema-studio:step` marker")
        if not self.explicit and self.in_header:
            self.in_header = False
        if self.python is not None and self.stmt_start is None:
            raise self.error(
                start,
                "a Python step holds no SQL: open a new step with `-- schema-studio:step`",
            )
        if self.stmt_start is None:
            self.stmt_start = start
            if self.sql_start is None:
                self.sql_start = start
        self.stmt_end = end
        self.stmt_last_comment = False
        if self.splitter.feed(name, kind):
            self._end_statement(semicolon=start)
        elif len(self.lead) < 4:
            self.lead.append(name.removesuffix("_P"))

    def comment(self, start: int, end: int, *, blank_before: bool) -> None:
        body = self.text[start:end]
        m = _DIRECTIVE.match(body) if body.startswith("--") else None
        if self.header_open and blank_before and start > 0:
            self.header_open = False
        if m is None:
            if self.stmt_start is not None:  # inside a statement: part of its text
                self.stmt_end = end
                self.stmt_last_comment = body.startswith("--")
            elif (self.in_header and self.explicit) or self.header_open:
                self._header_comment(body)
            elif not self.statements:
                self.annotations.append(_comment_text(body))
            # a comment between two statements of a step stays in the step's SQL text only
            return
        self.directive(start, m["name"], m["arg"])

    def _header_comment(self, body: str) -> None:
        key = _HEADER_KEY.match(body)
        if key:
            self.header[key["key"]] = key["value"]
        else:
            self.description.append(_comment_text(body))

    def directive(self, start: int, name: str, arg: str) -> None:
        if name == "step" and self.stmt_start is not None:
            self._end_statement(semicolon=None)  # a marker ends a statement missing its `;`
        if self.stmt_start is not None:
            raise self.error(
                start,
                f"`-- schema-studio:{name}` inside a statement: end the statement with `;` first",
            )
        if name == "step":
            self._no_argument(start, name, arg)
            self._end_step()
            self.in_header = False
            self._new_step(start)
        elif name in ("no-transaction", "backfill"):
            self._no_argument(start, name, arg)
            if self.explicit and self.in_header:
                raise self.error(
                    start,
                    f"`-- schema-studio:{name}` is a step directive: put it after a step marker",
                )
            if self.statements:
                raise self.error(
                    start,
                    f"`-- schema-studio:{name}` must come right after the step marker,"
                    " before the step's SQL",
                )
            if name == "no-transaction":
                self.transactional = False
            else:
                self.backfill = True
        elif name in ("python", "irreversible"):
            self._step_directive(start, name, arg)
        elif name == "phase":
            allowed = (
                not self.steps
                and not self.statements
                and (self.in_header if self.explicit else True)
            )
            if not allowed:
                raise self.error(
                    start,
                    "`-- schema-studio:phase` is file-level:"
                    " put it in the header, before the first step",
                )
            try:
                phase = Phase(arg)
            except ValueError:
                raise self.error(
                    start, f"phase must be `expand` or `contract`, not {arg!r}"
                ) from None
            if self.phase is not None and self.phase is not phase:
                raise self.error(start, "two different phases in one file")
            self.phase = phase
        elif name == "squashes":
            self._squashes(start, arg)
        elif name == "ignore":
            hazard, _, reason = arg.partition(" ")
            if not _HAZARD_ID.match(hazard) or not reason.strip():
                raise self.error(
                    start,
                    "usage: `-- schema-studio:ignore <hazard-id> <reason>`"
                    " (the reason is required)",
                )
            if self.explicit and self.in_header:
                raise self.error(
                    start, "`-- schema-studio:ignore` must precede a statement, inside a step"
                )
            self.ignores.append(Ignore(hazard, reason.strip(), self.lines(start)))
        else:
            known = ", ".join(KNOWN_DIRECTIVES)
            raise self.error(start, f"unknown directive `-- schema-studio:{name}` (known: {known})")

    def _step_directive(self, start: int, name: str, arg: str) -> None:
        """`python` (a step that calls a function) or `irreversible`, after a step marker."""
        if not self.explicit:
            raise self.error(
                start, f"`-- schema-studio:{name}` needs its step's `-- schema-studio:step` marker"
            )
        if self.in_header or self.statements:
            raise self.error(
                start,
                f"`-- schema-studio:{name}` is a step directive: put it right after a step marker",
            )
        if name == "irreversible":
            self._no_argument(start, name, arg)
            self.irreversible = True
            return
        if self.python is not None:
            raise self.error(start, "two `-- schema-studio:python` directives in one step")
        self.python = self._python_call(start, arg)

    def _python_call(self, start: int, arg: str) -> PythonCall:
        try:
            words = shlex.split(arg)
        except ValueError as e:
            raise self.error(start, f"{_PYTHON_USAGE}: {e}") from None
        if not words or not _PYTHON_TARGET.match(words[0]):
            raise self.error(start, _PYTHON_USAGE)
        options: dict[str, str] = {}
        for word in words[1:]:
            key, eq, value = word.partition("=")
            if not eq or not _OPTION_KEY.match(key):
                raise self.error(start, f"{_PYTHON_USAGE}: {word!r} is not key=value")
            if key in options:
                raise self.error(start, f"option {key!r} given twice")
            options[key] = value
        module, _, function = words[0].partition(":")
        return PythonCall(module, function, tuple(options.items()))

    def _squashes(self, start: int, arg: str) -> None:
        if self.steps or self.statements or (self.explicit and not self.in_header):
            raise self.error(
                start, "`-- schema-studio:squashes` is file-level: put it in the header"
            )
        m = _SQUASHED.match(arg)
        if m is None:
            raise self.error(
                start, "usage: `-- schema-studio:squashes <version>_<name> h1:<checksum>`"
            )
        squashed = Squashed(m["version"], m["name"], m["checksum"])
        if self.squashes and squashed.version <= self.squashes[-1].version:
            raise self.error(start, f"squashed migration {squashed.version} out of version order")
        self.squashes.append(squashed)

    def _no_argument(self, start: int, name: str, arg: str) -> None:
        if arg:
            raise self.error(start, f"`-- schema-studio:{name}` takes no argument (got {arg!r})")

    def _end_statement(self, semicolon: int | None) -> None:
        assert self.stmt_start is not None
        end = self.stmt_end if semicolon is None else semicolon
        sql = self.text[self.stmt_start : end].rstrip()
        self.statements.append(Statement(sql, self.lines(self.stmt_start), tuple(self.ignores)))
        self.leads.append(tuple(self.lead) if self.lead_whole else None)
        self.lead, self.lead_whole = [], True
        self.sql_end = self.stmt_end
        self.ignores = []
        self.stmt_start = None
        self.splitter.reset()
        if not self.explicit:
            self._end_step()
            self._new_step(None)

    def _end_step(self) -> None:
        if self.stmt_start is not None:  # a last statement without `;`
            self._end_statement(semicolon=None)
            if not self.explicit:
                return
        if self.ignores:
            raise MigrationFileError(
                self.where,
                self.ignores[-1].line,
                "`-- schema-studio:ignore` is not followed by a statement",
            )
        if self.python is not None:
            self._python_step()
            return
        if not self.statements:
            if self.step_offset is not None:
                raise self.error(self.step_offset, "empty step: a step marker with no SQL after it")
            if not self.transactional or self.backfill:
                raise self.error(len(self.text), "a step directive with no statement after it")
            return
        assert self.sql_start is not None
        # an implicit step is found by its statement's line
        line = self.step_line or self.statements[0].line
        index = len(self.steps) + 1
        if not self.transactional and len(self.statements) > 1:
            raise self.error(
                self.sql_start,
                f"step {index} runs outside a transaction and so must hold exactly one statement "
                "(a crash between two statements could not be resumed):"
                " split it with `-- schema-studio:step`",
            )
        if self.transactional:
            for stmt, lead in zip(self.statements, self.leads, strict=True):
                what = non_transactional_statement(stmt.sql, lead)
                if what:
                    where = (
                        "after this step's marker"
                        if self.explicit
                        else "on the line before the statement"
                    )
                    raise MigrationFileError(
                        self.where,
                        stmt.line,
                        f"{what} cannot run inside a transaction:"
                        f" put `-- schema-studio:no-transaction` {where}",
                    )
        sql = self.text[self.sql_start : self.sql_end].strip()
        if self.stmt_last_comment or not sql.endswith(";"):
            sql += "\n;" if self.stmt_last_comment else ";"
        self.steps.append(
            Step(
                index,
                sql,
                tuple(self.annotations),
                self.transactional,
                self.backfill,
                line,
                tuple(self.statements),
                irreversible=self.irreversible,
            )
        )

    def _python_step(self) -> None:
        """A Python step: no SQL, run in a transaction of its own (or batch by batch)."""
        assert self.step_offset is not None  # a python directive needs a step marker
        if not self.transactional or self.backfill:
            raise self.error(
                self.step_offset,
                "a Python step takes neither `no-transaction` nor `backfill`"
                " (its batches come from the batches() helper)",
            )
        self.steps.append(
            Step(
                len(self.steps) + 1,
                "",
                tuple(self.annotations),
                line=self.step_line,
                python=self.python,
                irreversible=self.irreversible,
            )
        )

    def finish(self) -> Parsed:
        self._end_step()
        return Parsed(
            tuple(self.steps),
            self.header,
            tuple(self.description),
            self.phase,
            tuple(self.squashes),
        )
