"""Materializing a declared schema: its DDL run in batches, in as few round trips as it allows.

Each source kind hands over `Batch`es as it produces them; `run_batches` sends
consecutive ones together, falls back to one by one and then statement by
statement when a group fails, and names a failing statement by file and line.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import asyncpg

from studio.errors import SourceError
from studio.model import quote_ident
from studio.sources.devdb.binaries import servers_with_extension
from studio.sqltext.split import iter_statement_spans
from studio.sqltext.statements import statement_node
from studio.sqltext.syntax_errors import SyntaxProblem, line_of

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncIterator, Iterator


class Batch(NamedTuple):
    """DDL to run: a script, where it came from, and how."""

    script: str
    where: str  # a file, a migration's step, a module:attr: error messages lead with it
    single: bool = False  # cannot run in a transaction: statement by statement, each committed
    line: int = 1  # the line of `where` the script starts on
    hint: str = "fix the declared schema, then run the command again"  # shown when it fails


# what a source's DDL producer hands each batch to, as soon as it has it
Emit = Callable[[Batch], None]


# Batches sent in one round trip (one implicit transaction) at most. A DDL
# statement costs the server more the more its transaction already holds
# (likely the end of each statement holding over 15 locks, as a CREATE TABLE
# with keys does, walking the transaction's whole local lock table): the
# 1,000-table benchmark schema took 1.89 s of server CPU in groups of 25,
# 1.97 s in 50s, 2.16 s in 200s (medians of 8 interleaved runs, tmpfs), and
# on disk 8.9 s in one transaction against 4.8 s in 200s; a transaction per
# statement costs more again, in commits (4.2 s against 3.0 s in 200s).
_GROUP = 25


async def drain(ready: asyncio.Queue[Batch | None]) -> AsyncIterator[list[Batch]]:
    """The batches put in `ready` until None, in lists of what is there at once."""
    while (first := await ready.get()) is not None:
        chunk = [first]
        while not ready.empty():
            if (batch := ready.get_nowait()) is None:
                yield chunk
                return
            chunk.append(batch)
        yield chunk


# told the `where` of the batches that just ran, once the next ones come from elsewhere
UnitEnd = Callable[[str], Awaitable[None]]


async def run_batches(
    conn: asyncpg.Connection,
    batches: Sequence[Batch] | AsyncIterator[list[Batch]],
    on_unit_end: UnitEnd | None = None,
) -> None:
    """Run DDL batches in as few round trips as the statements allow.

    Consecutive batches go together, a multi-statement string that runs in one
    implicit transaction and one round trip. A group that fails is rolled back
    by PostgreSQL and its batches run one by one; a batch that cannot run in a
    transaction (CONCURRENTLY, a new enum value used at once) runs statement by
    statement, each committed on its own, and a failing one names its statement
    and line. With `on_unit_end`, batches of different `where`s never share a
    round trip, and it is awaited after the last batch of each `where` (a file,
    a SQLAlchemy target), before the next one runs.
    """
    units = _Units(on_unit_end)
    if isinstance(batches, Sequence):
        await _run_chunk(conn, list(batches), units)
    else:
        # streamed: whatever is ready when the server is free goes next, so it waits for no one
        async for chunk in batches:
            await _run_chunk(conn, chunk, units)
    await units.end()


class _Units:
    """Tells `on_unit_end` when the batches move on from one `where` to the next."""

    def __init__(self, on_unit_end: UnitEnd | None) -> None:
        self.on_unit_end = on_unit_end
        self.current: str | None = None

    async def enter(self, where: str) -> None:
        if self.on_unit_end is not None and self.current not in (None, where):
            await self.on_unit_end(self.current)
        self.current = where

    async def end(self) -> None:
        if self.on_unit_end is not None and self.current is not None:
            await self.on_unit_end(self.current)


async def _run_chunk(conn: asyncpg.Connection, chunk: list[Batch], units: _Units) -> None:
    if units.on_unit_end is None:
        for group in _groups(chunk):
            await _run_group(conn, group)
        return
    for where, same in itertools.groupby(chunk, key=lambda b: b.where):
        await units.enter(where)
        for group in _groups(list(same)):
            await _run_group(conn, group)


async def _run_group(conn: asyncpg.Connection, group: list[Batch]) -> None:
    if len(group) > 1:
        try:
            await conn.execute("\n;\n".join(batch.script for batch in group))
            return
        except asyncpg.PostgresError:
            pass  # rolled back whole: run its batches one by one
    for batch in group:
        await _run_batch(conn, batch)


def _groups(batches: Sequence[Batch]) -> list[list[Batch]]:
    """Consecutive batches that may share a round trip, at most `_GROUP` each."""
    groups: list[list[Batch]] = []
    for batch in batches:
        if not _has_statement(batch.script):
            continue
        if batch.single or not groups or groups[-1][-1].single or len(groups[-1]) >= _GROUP:
            groups.append([batch])
        else:
            groups[-1].append(batch)
    return groups


async def _run_batch(conn: asyncpg.Connection, batch: Batch) -> None:
    if not batch.single:
        try:
            await conn.execute(batch.script)
            return
        except asyncpg.PostgresError:
            pass  # rolled back whole; run again one statement at a time
    for stmt, offset in split_statements(batch.script, batch.where, batch.line):
        try:
            await conn.execute(stmt)
        except asyncpg.PostgresError as e:
            if not _tolerated(stmt, e):
                raise _source_error(batch, e, offset, stmt, conn) from None


def _tolerated(statement: str, e: asyncpg.PostgresError) -> bool:
    """Whether a failing statement of a declared schema changes nothing the schema is made of.

    - `SET transaction_timeout = 0`: pg_dump 17+ writes it, and a dev server
      of an older major does not know the parameter (42704); a setting this
      server lacks cannot shape the objects it creates.
    - `CREATE SCHEMA public`: some pg_dump versions write it, and every new
      database has it already (42P06).
    - `CREATE ROLE`: roles are cluster-wide, and an earlier materialization on
      the same dev server created it already (42710).
    """
    kind, fields = statement_node(statement)
    state = e.sqlstate
    return (
        (kind == "VariableSetStmt" and state == "42704")
        or (
            kind == "CreateSchemaStmt" and state == "42P06" and fields.get("schemaname") == "public"
        )
        or (kind == "CreateRoleStmt" and state == "42710")
    )


def _has_statement(script: str) -> bool:
    """Whether `script` holds more than comments and semicolons.

    asyncpg fails on an empty query.
    """
    text = script.lstrip()
    while text:
        if text.startswith(";"):
            text = text[1:].lstrip()
        elif text.startswith("--") or (text.startswith("/*") and "*/" in text):
            text = past_comments(text)
        else:
            return True  # a statement, or an unterminated comment the scanner will report
    return False


def past_comments(statement: str) -> str:
    """The statement without the comments and blank lines before it."""
    text = statement.lstrip()
    while text.startswith(("--", "/*")):
        end = text.find("\n") + 1 if text.startswith("--") else text.find("*/") + 2
        text = text[end:].lstrip() if end > 1 else ""
    return text


def split_statements(script: str, where: str, first_line: int = 1) -> list[tuple[str, int]]:
    """Statements of `script` with their character offsets (where psql would end them)."""
    return list(iter_statements(script, where, first_line))


def iter_statements(script: str, where: str, first_line: int = 1) -> Iterator[tuple[str, int]]:
    """`split_statements` one by one, each as soon as the lexer has found its end.

    Raises:
        SourceError: once the lexer reaches an unterminated quote or comment
            (the statements before it have been given).
    """
    from pglast.parser import ParseError  # deferred: pglast loads libpg_query

    try:
        for start, end in iter_statement_spans(script):
            yield script[start:end], start
    except ParseError as e:  # an unterminated quote or comment, where it starts
        problem = SyntaxProblem.of(e)
        line = "" if problem.offset is None else f":{line_of(script, problem.offset, first_line)}"
        raise SourceError(
            f"{where}{line}: {problem.lexer_message()}",
            "fix the declared schema, then run the command again",
        ) from None


def _source_error(
    batch: Batch,
    e: asyncpg.PostgresError,
    offset: int = 0,
    statement: str = "",
    conn: asyncpg.Connection | None = None,
) -> SourceError:
    """`where:line: message (in: statement)`.

    The line is the error's position, else the statement's.
    """
    pos = getattr(e, "position", None)
    body = past_comments(statement)  # the statement from its first keyword, past comments before it
    index = offset + int(pos) - 1 if pos else offset + len(statement) - len(body)
    line = f":{batch.script.count(chr(10), 0, index) + batch.line}" if pos or statement else ""
    msg, hint = str(e).splitlines()[0], batch.hint
    if (missing := _missing_extension(e)) is not None:
        major = conn.get_server_version().major if conn is not None else 0
        msg, hint = _extension_problem(missing, major)
    first = body.strip().splitlines()[0] if body.strip() else ""
    shown = f" (in: {first if len(first) <= 80 else first[:77] + '...'})" if first else ""
    return SourceError(f"{batch.where}{line}: {msg}{shown}", hint)


# CREATE EXTENSION of an extension the server has no files for: 0A000 "extension
# "x" is not available" (PostgreSQL 16+), 58P01 "could not open extension control
# file ".../x.control"" before
_NO_EXTENSION = re.compile(
    r'extension "([^"]+)" is not available|extension control file "[^"]*/([^/"]+)\.control"'
)


def _missing_extension(e: asyncpg.PostgresError) -> str | None:
    """The extension a CREATE EXTENSION failed for because the server lacks it."""
    if e.sqlstate not in ("0A000", "58P01") or not (m := _NO_EXTENSION.search(str(e))):
        return None
    return m.group(1) or m.group(2)


def _extension_problem(name: str, major: int) -> tuple[str, str]:
    """What to say when the dev server lacks extension `name`: message and hint."""
    version = f"PostgreSQL {major}" if major else "PostgreSQL"
    msg = f"extension {quote_ident(name)} is not available on the dev server ({version})"
    fix = (
        f"install {name} for {version} and set STUDIO_PG_BIN to that server's bin folder,"
        f" or set dev_url to a {version} server that has it"
    )
    having = [b for b in servers_with_extension(name) if b.major != major]
    if not having:
        return msg, f"no PostgreSQL server on this machine has {name}: {fix}"
    others = ", ".join(f"PostgreSQL {b.major} ({b.bindir})" for b in having)
    # view and function bodies print differently across majors: the target's major
    # normalizes both sides
    return (
        msg,
        f"{others} has it, but the declared schema is read on the target's major version: {fix}",
    )
