"""The migrations directory: file names, the file format, parsing, rendering, checksums.

Pure: nothing here touches a database. A migration is
`migrations/<version>_<slug>.sql` (version: a UTC timestamp YYYYMMDDHHMMSS)
with an optional `<version>_<slug>.down.sql` undoing it. Example::

    -- Add a note to orders.
    -- version: 20250301120000
    -- tool: schema-studio 0.1.0
    -- schema-before: h1:Zm9v...
    -- schema-after: h1:YmFy...
    -- schema-studio:phase expand

    -- schema-studio:step
    -- add column public.orders.note
    ALTER TABLE public.orders ADD COLUMN note text;

    -- schema-studio:step
    -- schema-studio:no-transaction
    -- create index public.orders_note_idx
    CREATE INDEX CONCURRENTLY orders_note_idx ON public.orders (note);

Comments before the first step marker are the header (free text plus the
`version`/`tool`/`schema-before`/`schema-after` keys and the file-level
`phase` directive). Each `-- schema-studio:step` marker opens a step; the
comment lines right after it are the step's annotations and step directives
(`no-transaction`, `backfill`), then its SQL. `-- schema-studio:ignore
<hazard-id> <reason>` may precede any statement (for lint). Any other
`-- schema-studio:` directive is an error.

A hand-written file without any step marker is one step per statement: the
comments right before a statement are that step's annotations and directives,
so `-- schema-studio:no-transaction` goes on the line before a
`CREATE INDEX CONCURRENTLY`. (One step per statement, rather than one step for
the whole file, is what lets such a statement run outside a transaction and a
crashed run resume at the statement where it stopped.)

Statements are split with PostgreSQL's own lexer (pglast's `scan`), so
quotes, dollar quotes, comments and `BEGIN ATOMIC` bodies are respected, and
an unterminated one is reported with its line.

The checksum file `schema-studio.sum` is shaped like atlas.sum: its first line
is a hash over all entries, then one `name hash` line per `.sql` file. Two
branches that both add migrations therefore both change the first line and
conflict in git. Hashes are over the file with line endings normalized to
`\\n`, so a CRLF checkout does not count as an edit.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import hashlib
import os
import re
import tempfile
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from studio import __version__
from studio.errors import ChecksumMismatch, MigrationFileError, StudioError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

SUM_FILE = "schema-studio.sum"
VERSION_FORMAT = "%Y%m%d%H%M%S"
DIRECTIVE_PREFIX = "schema-studio:"

_FILE_NAME = re.compile(
    r"^(?P<version>\d{14})_(?P<slug>[A-Za-z0-9][A-Za-z0-9_-]*)(?P<down>\.down)?\.sql$"
)
_DIRECTIVE = re.compile(r"^--\s*schema-studio:(?P<name>\S*)\s*(?P<arg>.*?)\s*$")
_HEADER_KEY = re.compile(
    r"^--\s*(?P<key>version|tool|schema-before|schema-after):\s*(?P<value>.*?)\s*$"
)
_HAZARD_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
KNOWN_DIRECTIVES = ("step", "no-transaction", "backfill", "phase", "ignore")


class Phase(enum.StrEnum):
    """The expand/contract phase a migration belongs to (file-level directive)."""

    EXPAND = "expand"
    CONTRACT = "contract"


@dataclass(frozen=True, slots=True)
class Ignore:
    """`-- schema-studio:ignore <hazard-id> <reason>`: lint accepts this hazard on the next statement."""

    hazard: str
    reason: str
    line: int = 0


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

    @property
    def title(self) -> str:
        """A one-line description: the first annotation, else the first SQL line."""
        if self.annotations and self.annotations[0].strip():
            return self.annotations[0].strip()
        first = self.sql.strip().splitlines()[0] if self.sql.strip() else ""
        return first if len(first) <= 80 else first[:77] + "..."


@dataclass(frozen=True, slots=True)
class Migration:
    """A parsed migration file (and its down file, when there is one)."""

    version: str
    name: str
    path: Path
    steps: tuple[Step, ...]
    phase: Phase | None = None
    down_path: Path | None = None
    # hash of the up file, as recorded in the sum file and the history table
    checksum: str = ""
    tool_version: str | None = None
    schema_before: str | None = None
    schema_after: str | None = None
    description: tuple[str, ...] = ()
    down_steps: tuple[Step, ...] | None = None

    @property
    def filename(self) -> str:
        """The file name, e.g. `20250301120000_add_note.sql`."""
        return self.path.name

    @property
    def transactional(self) -> bool:
        """Whether every step can run inside one transaction."""
        return all(step.transactional for step in self.steps)


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A step to render: statements, annotation lines and flags."""

    statements: tuple[str | Statement, ...]
    annotations: tuple[str, ...] = ()
    transactional: bool = True
    backfill: bool = False


@dataclass(frozen=True, slots=True)
class _Parsed:
    steps: tuple[Step, ...]
    header: dict[str, str] = field(default_factory=dict)
    description: tuple[str, ...] = ()
    phase: Phase | None = None


# --- names and versions -----------------------------------------------------------


def slugify(name: str) -> str:
    """A file-name slug: lowercase letters, digits and underscores, at most 60 characters."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60].strip("_")
    if not slug:
        raise StudioError(
            f"{name!r} makes an empty migration name", "use letters or digits, e.g. add_orders_note"
        )
    return slug


def version_of(now: datetime) -> str:
    """The version string of a UTC instant."""
    return now.astimezone(UTC).strftime(VERSION_FORMAT)


def next_version(taken: Iterable[str], now: datetime | None = None) -> str:
    """A version for a new migration: now (UTC), bumped past every version already taken.

    A version already taken, or older than the newest one (a clock behind the
    branch's last migration), becomes the newest plus one second, so a new
    migration always sorts last.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    latest = max(taken, default=None)
    if latest is not None:
        newest = datetime.strptime(latest, VERSION_FORMAT).replace(tzinfo=UTC)
        if moment <= newest:
            moment = newest + timedelta(seconds=1)
    return version_of(moment)


def file_name(version: str, slug: str, *, down: bool = False) -> str:
    """`<version>_<slug>.sql` or `<version>_<slug>.down.sql`."""
    return f"{version}_{slug}{'.down' if down else ''}.sql"


# --- parsing ------------------------------------------------------------------------


class _Lines:
    """Character offset -> 1-based line number."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def __call__(self, offset: int) -> int:
        return bisect_right(self.starts, offset)


def _tokens(text: str, where: str, lines: _Lines) -> list[tuple[int, int, str, str]]:
    """PostgreSQL's lexer over the text: (start, end exclusive, token name, kind)."""
    from pglast.parser import ParseError, scan

    if "\x00" in text:
        raise MigrationFileError(where, lines(text.index("\x00")), "the file contains a NUL byte")
    try:
        return [(t.start, t.end + 1, t.name, t.kind) for t in scan(text)]
    except ParseError as e:
        message = str(e.args[0]) if e.args else str(e)
        message = message.split(" at or near ", 1)[0]
        offset = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], int) else 0
        raise MigrationFileError(
            where, lines(min(offset, len(text))), f"{message} (starting here)"
        ) from None


def _comment_text(token_text: str) -> str:
    """An annotation line from a comment token: the text without `--` and one space."""
    if token_text.startswith("--"):
        return token_text[2:].removeprefix(" ")
    return token_text[2:-2].strip()  # /* ... */


# Words psql counts to recognise `CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC`.
_CREATE_ROUTINE = {("CREATE", "FUNCTION"), ("CREATE", "PROCEDURE")}


class _StatementSplitter:
    """Tracks parentheses and BEGIN ... END bodies the way psql does, to find statement ends."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.words: list[str] = []
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
            self.words.append(word)
            if self._in_routine() and self.parens == 0:
                # CASE also ends with END: it only matters inside a BEGIN body
                if word == "BEGIN" or (word == "CASE" and self.begin_depth > 0):
                    self.begin_depth += 1
                elif word == "END" and self.begin_depth > 0:
                    self.begin_depth -= 1
        return False


def parse_text(text: str, where: str = "<text>") -> _Parsed:
    """Parse a migration file's text into steps (see the module docstring for the format).

    Raises:
        MigrationFileError: with `where` and the line of the problem.
    """
    lines = _Lines(text)
    tokens = _tokens(text, where, lines)
    explicit = any(
        kind == "NO_KEYWORD" and name == "SQL_COMMENT" and _directive_name(text[s:e]) == "step"
        for s, e, name, kind in tokens
    )
    p = _Parser(text, where, lines, explicit)
    for start, end, name, kind in tokens:
        p.token(start, end, name, kind)
    return p.finish()


def _directive_name(comment: str) -> str | None:
    m = _DIRECTIVE.match(comment)
    return m["name"] if m else None


class _Parser:
    """The state machine behind `parse_text`: header, then steps of statements."""

    def __init__(self, text: str, where: str, lines: _Lines, explicit: bool) -> None:
        self.text, self.where, self.lines, self.explicit = text, where, lines, explicit
        self.header: dict[str, str] = {}
        self.description: list[str] = []
        self.phase: Phase | None = None
        self.steps: list[Step] = []
        self.in_header = True
        # implicit files: the top comment block, up to the first blank line, is the header
        self.header_open = not explicit
        self.prev_end = 0
        self.splitter = _StatementSplitter()
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
        self.statements: list[Statement] = []
        self.sql_start: int | None = None
        self.sql_end = 0
        self.stmt_start: int | None = None
        self.stmt_end = 0
        self.stmt_last_comment = False
        self.ignores: list[Ignore] = []

    def token(self, start: int, end: int, name: str, kind: str) -> None:
        gap, self.prev_end = self.text[self.prev_end : start], end
        if name in ("SQL_COMMENT", "C_COMMENT") and kind == "NO_KEYWORD":
            self.comment(start, end, blank_before=bool(re.search(r"\n[ \t\r]*\n", gap)))
            return
        self.header_open = False
        if self.explicit and self.in_header:
            raise self.error(start, "SQL before the first `-- schema-studio:step` marker")
        if not self.explicit and self.in_header:
            self.in_header = False
        if self.stmt_start is None:
            self.stmt_start = start
            if self.sql_start is None:
                self.sql_start = start
        self.stmt_end = end
        self.stmt_last_comment = False
        if self.splitter.feed(name, kind):
            self._end_statement(semicolon=start)

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
                    f"`-- schema-studio:{name}` must come right after the step marker, before the step's SQL",
                )
            if name == "no-transaction":
                self.transactional = False
            else:
                self.backfill = True
        elif name == "phase":
            allowed = (
                not self.steps
                and not self.statements
                and (self.in_header if self.explicit else True)
            )
            if not allowed:
                raise self.error(
                    start,
                    "`-- schema-studio:phase` is file-level: put it in the header, before the first step",
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
        elif name == "ignore":
            hazard, _, reason = arg.partition(" ")
            if not _HAZARD_ID.match(hazard) or not reason.strip():
                raise self.error(
                    start,
                    "usage: `-- schema-studio:ignore <hazard-id> <reason>` (the reason is required)",
                )
            if self.explicit and self.in_header:
                raise self.error(
                    start, "`-- schema-studio:ignore` must precede a statement, inside a step"
                )
            self.ignores.append(Ignore(hazard, reason.strip(), self.lines(start)))
        else:
            known = ", ".join(KNOWN_DIRECTIVES)
            raise self.error(start, f"unknown directive `-- schema-studio:{name}` (known: {known})")

    def _no_argument(self, start: int, name: str, arg: str) -> None:
        if arg:
            raise self.error(start, f"`-- schema-studio:{name}` takes no argument (got {arg!r})")

    def _end_statement(self, semicolon: int | None) -> None:
        assert self.stmt_start is not None
        end = self.stmt_end if semicolon is None else semicolon
        sql = self.text[self.stmt_start : end].rstrip()
        self.statements.append(Statement(sql, self.lines(self.stmt_start), tuple(self.ignores)))
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
            raise self.error(
                self.lines.starts[self.ignores[-1].line - 1],
                "`-- schema-studio:ignore` is not followed by a statement",
            )
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
                "(a crash between two statements could not be resumed): split it with `-- schema-studio:step`",
            )
        if self.transactional:
            for stmt in self.statements:
                what = non_transactional_statement(stmt.sql)
                if what:
                    where = (
                        "after this step's marker"
                        if self.explicit
                        else "on the line before the statement"
                    )
                    raise MigrationFileError(
                        self.where,
                        stmt.line,
                        f"{what} cannot run inside a transaction: put `-- schema-studio:no-transaction` {where}",
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
            )
        )

    def finish(self) -> _Parsed:
        self._end_step()
        return _Parsed(tuple(self.steps), self.header, tuple(self.description), self.phase)


# --- statement facts (pglast AST, never a regex over SQL) ---------------------------------


def _parse_one(sql: str) -> object | None:
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        stmts = parse_sql(sql)
    except ParseError:
        return None  # syntax newer than pglast, or wrong: the server will say
    return stmts[0].stmt if len(stmts) == 1 else None


def non_transactional_statement(sql: str) -> str | None:
    """What in `sql` cannot run inside a transaction block, or None."""
    from pglast import ast

    node = _parse_one(sql)
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and any(
        getattr(p, "defname", None) == "concurrently" for p in (node.params or ())
    ):
        return "REINDEX CONCURRENTLY"
    if isinstance(node, ast.VacuumStmt):
        return "VACUUM" if node.is_vacuumcmd else None
    kinds = {
        ast.CreatedbStmt: "CREATE DATABASE",
        ast.DropdbStmt: "DROP DATABASE",
        ast.AlterSystemStmt: "ALTER SYSTEM",
        ast.CreateTableSpaceStmt: "CREATE TABLESPACE",
        ast.DropTableSpaceStmt: "DROP TABLESPACE",
    }
    for cls, what in kinds.items():
        if isinstance(node, cls):
            return what
    return None


def concurrent_index(sql: str) -> str | None:
    """The index a `CREATE INDEX CONCURRENTLY` statement builds, as SQL (`schema.name` or `name`)."""
    from pglast import ast

    from studio.model import qualname, quote_ident

    node = _parse_one(sql)
    if not isinstance(node, ast.IndexStmt) or not node.concurrent or not node.idxname:
        return None
    # an index lives in its table's schema
    schema = node.relation.schemaname if node.relation is not None else None
    return qualname(schema, node.idxname) if schema else quote_ident(node.idxname)


def relations(sql: str) -> tuple[str, ...]:
    """The tables a statement names (as SQL), for reporting who holds locks on them."""
    from pglast import ast
    from pglast.visitors import Visitor

    from studio.model import qualname, quote_ident

    found: list[str] = []

    class _Collect(Visitor):
        def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
            relname = node.relname or ""
            name = qualname(node.schemaname, relname) if node.schemaname else quote_ident(relname)
            if name not in found:
                found.append(name)

    node = _parse_one(sql)
    if isinstance(node, ast.Node):
        _Collect()(node)
    return tuple(found)


# --- files ---------------------------------------------------------------------------


def _normalized(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def file_hash(data: bytes) -> str:
    """`h1:` + base64 SHA-256 of the content with line endings normalized."""
    return "h1:" + base64.b64encode(hashlib.sha256(_normalized(data)).digest()).decode()


def _read(path: Path) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MigrationFileError(str(path), 1, f"cannot read: {e.strerror or e}") from None
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise MigrationFileError(str(path), line, "not valid UTF-8") from None


def _check_version(parsed: _Parsed, path: Path, version: str, text: str) -> None:
    declared = parsed.header.get("version")
    if declared is not None and declared != version:
        line = next(
            (i for i, ln in enumerate(text.splitlines(), 1) if re.match(r"^--\s*version:", ln)), 1
        )
        raise MigrationFileError(
            str(path), line, f"version {declared} does not match the file name ({version})"
        )


def parse_file(path: Path) -> Migration:
    """Parse one up file (its down file, beside it, too)."""
    m = _FILE_NAME.match(path.name)
    if m is None or m["down"]:
        raise MigrationFileError(
            str(path), 1, "not a migration file name: expected <YYYYMMDDHHMMSS>_<slug>.sql"
        )
    version = m["version"]
    try:
        datetime.strptime(version, VERSION_FORMAT)
    except ValueError:
        raise MigrationFileError(
            str(path), 1, f"{version} is not a UTC timestamp YYYYMMDDHHMMSS"
        ) from None
    data, text = _read(path)
    parsed = parse_text(text, str(path))
    _check_version(parsed, path, version, text)
    down_path: Path | None = path.with_name(file_name(version, m["slug"], down=True))
    down_steps = None
    if down_path is not None and down_path.is_file():
        _, down_text = _read(down_path)
        down = parse_text(down_text, str(down_path))
        _check_version(down, down_path, version, down_text)
        down_steps = down.steps
    else:
        down_path = None
    return Migration(
        version=version,
        name=m["slug"],
        path=path,
        steps=parsed.steps,
        phase=parsed.phase,
        down_path=down_path,
        checksum=file_hash(data),
        tool_version=parsed.header.get("tool"),
        schema_before=parsed.header.get("schema-before") or None,
        schema_after=parsed.header.get("schema-after") or None,
        description=parsed.description,
        down_steps=down_steps,
    )


def sql_files(directory: Path) -> list[Path]:
    """Every `.sql` file of the directory, sorted by name."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix == ".sql" and p.is_file())


def load_directory(directory: Path) -> tuple[Migration, ...]:
    """Every migration of the directory, in version order (empty when there is no directory).

    Raises:
        MigrationFileError: a malformed file, a file name that is not a migration's,
            a down file without its migration, or two files with one version.
    """
    ups: dict[str, Path] = {}
    for path in sql_files(directory):
        m = _FILE_NAME.match(path.name)
        if m is None:
            raise MigrationFileError(
                str(path), 1, "not a migration file name: expected <YYYYMMDDHHMMSS>_<slug>.sql"
            )
        if m["down"]:
            if not path.with_name(file_name(m["version"], m["slug"])).is_file():
                raise MigrationFileError(
                    str(path),
                    1,
                    f"down file without its migration {file_name(m['version'], m['slug'])}",
                )
            continue
        other = ups.get(m["version"])
        if other is not None:
            raise MigrationFileError(
                str(path), 1, f"version {m['version']} is also used by {other.name}"
            )
        ups[m["version"]] = path
    return tuple(parse_file(ups[v]) for v in sorted(ups))


# --- rendering -------------------------------------------------------------------------


def _comment_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines() or [""]:
        if re.match(r"^\s*schema-studio:", line):
            raise ValueError(f"an annotation may not look like a directive: {line!r}")
        out.append(f"-- {line}".rstrip())
    return out


def _statement_text(stmt: str | Statement) -> tuple[str, tuple[Ignore, ...]]:
    sql, ignores = (stmt.sql, stmt.ignores) if isinstance(stmt, Statement) else (stmt, ())
    sql = sql.strip()
    if sql.endswith(";"):
        sql = sql[:-1].rstrip()
    # a statement ending in a line comment would swallow the semicolon
    tokens = _tokens(sql, "<statement>", _Lines(sql))
    ends_in_comment = bool(tokens) and tokens[-1][2] == "SQL_COMMENT"
    return (sql + ("\n;" if ends_in_comment else ";")), ignores


def render_migration(
    version: str,
    steps: Sequence[StepSpec],
    *,
    description: Sequence[str] = (),
    schema_before: str | None = None,
    schema_after: str | None = None,
    phase: Phase | None = None,
    tool_version: str = __version__,
) -> str:
    """The text of a migration (or down) file; `parse_text` reads it back to the same steps."""
    out: list[str] = []
    for line in description:
        out += _comment_lines(line)
    out.append(f"-- version: {version}")
    out.append(f"-- tool: schema-studio {tool_version}")
    if schema_before:
        out.append(f"-- schema-before: {schema_before}")
    if schema_after:
        out.append(f"-- schema-after: {schema_after}")
    if phase is not None:
        out.append(f"-- {DIRECTIVE_PREFIX}phase {Phase(phase).value}")
    for spec in steps:
        if not spec.statements:
            raise ValueError("a step needs at least one statement")
        out += ["", f"-- {DIRECTIVE_PREFIX}step"]
        if not spec.transactional:
            out.append(f"-- {DIRECTIVE_PREFIX}no-transaction")
        if spec.backfill:
            out.append(f"-- {DIRECTIVE_PREFIX}backfill")
        for annotation in spec.annotations:
            out += _comment_lines(annotation)
        for stmt in spec.statements:
            sql, ignores = _statement_text(stmt)
            for ig in ignores:
                out.append(f"-- {DIRECTIVE_PREFIX}ignore {ig.hazard} {ig.reason}")
            out.append(sql)
    return "\n".join(out) + "\n"


def render_new(version: str, name: str) -> str:
    """An empty migration for hand-written SQL, with the format explained in comments."""
    return "\n".join(
        [
            f"-- {name}",
            f"-- version: {version}",
            f"-- tool: schema-studio {__version__}",
            "--",
            "-- Write the SQL below. Each statement is one step; or separate steps with",
            f"-- `-- {DIRECTIVE_PREFIX}step` lines. Put `-- {DIRECTIVE_PREFIX}no-transaction` before a",
            "-- statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY).",
            "-- After editing, run `schema-studio hash` to record the file in the sum.",
            "",
        ]
    )


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same folder and a rename: never half-written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_migration(
    directory: Path, version: str, slug: str, text: str, down_text: str | None = None
) -> Path:
    """Write a new migration (and its down file), then the sum. Never overwrites a file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(version, slug)
    down = directory / file_name(version, slug, down=True)
    for target in (path, down):
        if target.exists():
            raise StudioError(
                f"{target} already exists", "migrations are immutable: pick another name"
            )
    try:
        if down_text is not None:
            write_atomic(down, down_text)
        write_atomic(path, text)
    except OSError as e:
        raise StudioError(
            f"cannot write {path}: {e.strerror or e}",
            "check the folder's permissions and free space",
        ) from None
    write_sum(directory)
    return path


# --- the sum file ----------------------------------------------------------------------


def compute_sum(directory: Path) -> tuple[str, dict[str, str]]:
    """The total hash and the hash of every `.sql` file of the directory."""
    entries = {p.name: file_hash(_read(p)[0]) for p in sql_files(directory)}
    total = hashlib.sha256("".join(f"{n} {h}\n" for n, h in sorted(entries.items())).encode())
    return "h1:" + base64.b64encode(total.digest()).decode(), entries


def render_sum(total: str, entries: dict[str, str]) -> str:
    """The sum file's text: the total first, then `name hash` lines sorted by name."""
    return total + "\n" + "".join(f"{n} {h}\n" for n, h in sorted(entries.items()))


def write_sum(directory: Path) -> Path:
    """Rewrite `schema-studio.sum` from the files as they are now."""
    total, entries = compute_sum(directory)
    path = directory / SUM_FILE
    try:
        write_atomic(path, render_sum(total, entries))
    except OSError as e:
        raise StudioError(
            f"cannot write {path}: {e.strerror or e}",
            "check the folder's permissions and free space",
        ) from None
    return path


def read_sum(directory: Path) -> tuple[str, dict[str, str]] | None:
    """The recorded total and entries, or None when there is no sum file."""
    path = directory / SUM_FILE
    if not path.is_file():
        return None
    _, text = _read(path)
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            raise MigrationFileError(
                str(path),
                i,
                "merge conflict in the sum file: two branches added migrations; "
                "rebase your migrations after theirs (new versions), then run `schema-studio hash`",
            )
    if not lines or not lines[0].startswith("h1:"):
        raise MigrationFileError(str(path), 1, "the first line must be the total hash (h1:...)")
    entries: dict[str, str] = {}
    for i, line in enumerate(lines[1:], 2):
        name, _, digest = line.rpartition(" ")
        if not name or not digest.startswith("h1:"):
            raise MigrationFileError(str(path), i, "expected `<file name> h1:<hash>`")
        entries[name] = digest
    return lines[0], entries


def _mismatch(path: Path, message: str) -> ChecksumMismatch:
    err = ChecksumMismatch(str(path))
    err.message = message
    err.args = (message,)
    return err


def verify_sum(directory: Path) -> None:
    """Check every `.sql` file against `schema-studio.sum`.

    Raises:
        ChecksumMismatch: naming the first file edited, added without `hash`,
            or recorded but gone; or the sum file itself when it is missing.
    """
    files = sql_files(directory)
    recorded = read_sum(directory)
    if recorded is None:
        if files:
            raise _mismatch(directory / SUM_FILE, f"{directory / SUM_FILE} is missing")
        return
    total, entries = recorded
    actual_total, actual = compute_sum(directory)
    for name, digest in sorted(actual.items()):
        if name not in entries:
            raise _mismatch(directory / name, f"{directory / name} is not recorded in {SUM_FILE}")
        if entries[name] != digest:
            raise ChecksumMismatch(str(directory / name))
    for name in sorted(entries):
        if name not in actual:
            raise _mismatch(
                directory / name,
                f"{directory / name} is recorded in {SUM_FILE} but missing on disk",
            )
    if total != actual_total:
        raise _mismatch(
            directory / SUM_FILE,
            f"{directory / SUM_FILE}: the total hash (first line) does not match its entries",
        )
