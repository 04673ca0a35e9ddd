"""Declared and live sources, each turned into a `Schema` by the one introspector.

A declared source (SQLAlchemy metadata, SQL files, the migrations directory)
is materialized in a fresh throwaway database of the dev server, then read
back like any live database: PostgreSQL itself normalizes types, defaults and
definitions, so the two sides of a diff never disagree on spelling.

Materializations are cached under the user's cache folder, keyed by a hash of
the files the declared schema is loaded from, the tool's version and the dev
server's major version: an unchanged schema costs neither an import of the
user's models nor a dev database.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import importlib
import importlib.util
import json
import os
import re
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, TypeVar

import asyncpg

from studio import __version__
from studio.catalog import connect as db
from studio.catalog.introspect import introspect
from studio.config import mask_dsn, split_table_name
from studio.errors import SourceError, UsageError, translate
from studio.model import Schema, quote_ident, quote_literal
from studio.sqltext.split import statement_spans
from studio.sqltext.syntax_errors import SyntaxProblem, line_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from studio.config import Settings

T = TypeVar("T")


class SourceKind(enum.StrEnum):
    """Where a schema comes from."""

    URL = "url"
    SQLALCHEMY = "sqlalchemy"
    SQL = "sql"
    MIGRATIONS = "migrations"


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed source specification."""

    kind: SourceKind
    spec: str
    # resolved file or folder for SQL and migrations sources
    path: Path | None = None
    # migrations: replay only these versions (None: all of them)
    versions: tuple[str, ...] | None = None

    def describe(self) -> str:
        """How the source is shown to the user (URLs masked)."""
        if self.kind is SourceKind.URL:
            return mask_dsn(self.spec)
        if self.kind is SourceKind.MIGRATIONS:
            return f"migrations ({self.path})"
        return self.spec


@dataclass(frozen=True, slots=True)
class Loaded:
    """A schema read from a source, with what it took."""

    source: Source
    schema: Schema
    # schemas the declared SQLAlchemy metadata uses (for the managed-schema default)
    declared_schemas: tuple[str, ...] = ()
    cached: bool = False
    server_version: int = 0


def major_mismatch(live: int, declared: int) -> str | None:
    """A warning when the declared side was read on a dev server of another major version.

    `live` and `declared` are server_version_num values (0: unknown). The dev
    server runs the target's major when the machine has its binaries, else the
    embedded one; PostgreSQL prints view, rule and routine bodies differently
    across majors (a view of one table qualifies its columns before 16), so the
    two sides may differ where the schemas do not.
    """
    a, b = live // 10000, declared // 10000
    if not a or not b or a == b:
        return None
    return (
        f"the database runs PostgreSQL {a}, the declared schema was read on a dev server of"
        f" PostgreSQL {b}: view and function bodies print differently across versions and may"
        f" show as changes; set dev_url to a PostgreSQL {a} server (or STUDIO_PG_BIN to its binaries)"
    )


def parse_source(spec: str, settings: Settings) -> Source:
    """Recognize a source: a database URL, `migrations`, a .sql file or folder, or `module:attr`."""
    if spec.startswith(("postgresql://", "postgres://")):
        return Source(SourceKind.URL, spec)
    if spec == "migrations":
        return Source(SourceKind.MIGRATIONS, spec, settings.migrations_dir)
    for base in (Path.cwd(), settings.root):
        if base is None:
            continue
        candidate = base / spec
        if candidate.is_dir() or (candidate.is_file() and candidate.suffix == ".sql"):
            if candidate.is_dir() and (candidate / "schema-studio.sum").exists():
                return Source(SourceKind.MIGRATIONS, spec, candidate)
            return Source(SourceKind.SQL, spec, candidate)
    if spec.endswith(".sql") or "/" in spec:
        raise UsageError(f"no such SQL file or folder: {spec}")
    module, sep, attr = spec.partition(":")
    if sep and module and attr and all(p.isidentifier() for p in module.split(".")):
        return Source(SourceKind.SQLALCHEMY, spec)
    raise UsageError(
        f"not a schema source: {spec!r}",
        "use a database URL, package.module:attr, a .sql file or folder, or `migrations`",
    )


def declared_source(settings: Settings) -> Source:
    """The declared schema from config (`schema`), or the migrations directory."""
    if settings.schema:
        return parse_source(settings.schema, settings)
    raise UsageError(
        "no declared schema configured",
        'set schema = "package.module:metadata" (or a .sql path) in [tool.schema-studio], or pass --to',
    )


async def load(
    source: Source,
    settings: Settings,
    *,
    major: int | None = None,
    use_cache: bool = True,
    with_privileges: bool = False,
) -> Loaded:
    """Read `source` into a Schema; declared sources go through the dev server.

    `major` picks the dev server's PostgreSQL major version (the target's,
    so both sides are normalized by the same server).
    """
    if source.kind is SourceKind.URL:
        return await _load_url(source, settings, with_privileges)
    kinds = {
        SourceKind.SQLALCHEMY: (_sqlalchemy_files, _sqlalchemy_ddl),
        SourceKind.SQL: (_sql_files, _sql_ddl),
        SourceKind.MIGRATIONS: (_migration_files, _migration_ddl),
    }
    files, ddl = kinds[source.kind]
    return await _load_declared(source, settings, major, use_cache, files, ddl, with_privileges)


async def concurrently(*coros: Coroutine[Any, Any, T]) -> list[T]:
    """Run the coroutines side by side; at the first failure, cancel and await the rest, then raise it."""
    # not asyncio.gather: it returns at the first failure and leaves the others running, so a
    # second side failing too (both replay one broken migrations folder) dies unobserved at
    # asyncio.run's shutdown with a traceback, and a live read loses its connection under it
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None  # the first to fail: the one that stopped the rest
    return [t.result() for t in tasks]


async def _load_url(source: Source, settings: Settings, with_privileges: bool = False) -> Loaded:
    async with live_connection(source, settings) as (conn, version):
        return await read_live(conn, source, settings, version, with_privileges)


@contextlib.asynccontextmanager
async def live_connection(
    source: Source, settings: Settings
) -> AsyncIterator[tuple[asyncpg.Connection, int]]:
    """A read-only connection to a URL source, and its server_version_num."""
    conn = await db.connect(source.spec, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(source.spec)):
            version = await db.server_version_num(conn)
        yield conn, version
    finally:
        await conn.close()


async def read_live(
    conn: asyncpg.Connection,
    source: Source,
    settings: Settings,
    version: int,
    with_privileges: bool = False,
) -> Loaded:
    """Read a live database (except the migration history's schema) on `conn`."""
    with translate(mask_dsn(source.spec)):
        names = [n for n in await db.schema_names(conn) if n != _history_schema(settings)]
        schema = await introspect(
            conn,
            names,
            with_privileges=with_privileges,
            # a large schema is read on a second connection too (same snapshot)
            connect=lambda: db.connect(
                source.spec, timeout=settings.connect_timeout, read_only=True
            ),
        )
    return Loaded(source, schema, server_version=version)


def _history_schema(settings: Settings) -> str:
    return split_table_name(settings.history_table)[0]


# --- materialization ----------------------------------------------------------


class Batch(NamedTuple):
    """DDL to run: a script, where it came from, and how."""

    script: str
    where: str  # a file, a migration's step, a module:attr: error messages lead with it
    single: bool = False  # cannot run in a transaction: statement by statement, each committed
    line: int = 1  # the line of `where` the script starts on
    hint: str = "fix the declared schema, then run the command again"  # shown when it fails


# what a source's DDL producer hands each batch to, as soon as it has it
Emit = Callable[[Batch], None]


async def _load_declared(
    source: Source,
    settings: Settings,
    major: int | None,
    use_cache: bool,
    files: Any,
    ddl: Any,
    with_privileges: bool = False,
) -> Loaded:
    server_major = _dev_major(settings, major)
    paths: list[Path] = files(source, settings)
    key = _cache_key(source, paths, server_major, with_privileges)
    cache_file = cache_dir() / f"{key}.json"
    if use_cache and cache_file.is_file():
        text = cache_file.read_text(encoding="utf-8")
        head, _, body = text.partition("\n")
        meta = json.loads(head)
        return Loaded(
            source, Schema.from_json(body), tuple(meta["declared"]), True, meta["server_version"]
        )
    # The user's models import (CPU, a worker thread) while the dev server starts
    # and makes the throwaway database (another process); then their DDL runs
    # there as it is compiled. At 1,000 tables: import 1.3 s, server 0.2 s,
    # compile 0.3 s, DDL 1.2 s.
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[Batch | None] = asyncio.Queue()

    def produce() -> list[str]:
        try:
            return ddl(
                source, settings, lambda batch: loop.call_soon_threadsafe(ready.put_nowait, batch)
            )
        finally:
            loop.call_soon_threadsafe(ready.put_nowait, None)

    compiled = asyncio.ensure_future(asyncio.to_thread(_without_gc, produce))
    compiled.add_done_callback(
        lambda f: f.cancelled() or f.exception()
    )  # read, even when we fail first
    try:
        async with dev_database(settings, server_major) as conn:
            await run_batches(conn, _drain(ready))
            declared = await compiled
            version = await db.server_version_num(conn)
            schema = await introspect(conn, None, with_privileges=with_privileges)
    except BaseException:
        if compiled.done() and not compiled.cancelled() and compiled.exception() is not None:
            raise compiled.exception() from None  # the user's code failing says more than what it interrupted
        raise
    if use_cache:
        meta = json.dumps({"declared": list(declared), "server_version": version})
        _write_atomic(cache_file, meta + "\n" + schema.to_json())
    return Loaded(source, schema, tuple(declared), False, version)


def _dev_major(settings: Settings, major: int | None) -> int:
    if settings.dev_url:
        return major or 0
    from studio.sources.devdb.binaries import find_binaries

    return find_binaries(major).major


@contextlib.asynccontextmanager
async def dev_database(
    settings: Settings, major: int | None = None
) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh throwaway database on the dev server, dropped afterwards."""
    async with dev_database_url(settings, major) as url:
        conn = await db.connect(url, timeout=settings.connect_timeout)
        try:
            yield conn
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def dev_database_url(settings: Settings, major: int | None = None) -> AsyncIterator[str]:
    """The URL of a fresh throwaway database on the dev server (for several connections), dropped afterwards."""
    if settings.dev_url:
        async with _throwaway_on(settings.dev_url, settings) as url:
            yield url
        return
    lease = await _DevLease.take(major or None)
    try:
        async with lease.cluster.throwaway("ss_declared") as url:
            yield url
    finally:
        await lease.give_back()


class _DevLease:
    """The dev cluster as this event loop's loads share it.

    Loads running side by side (the replay of the migrations and the models'
    materialization of `generate`) use one server: the first starts it, the
    last stops it if this process started it. Taking and giving back are
    serialized, so the server is never stopped under a load that just took it;
    between processes, the lock of `devdb.lease.use_dev_cluster` does the same.
    """

    _by_loop: ClassVar[
        weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int | None, _DevLease]]
    ] = weakref.WeakKeyDictionary()

    def __init__(self, major: int | None) -> None:
        self.major = major
        self.lock = asyncio.Lock()
        self.users = 0
        self.cluster: Any = None
        self.fd = -1  # devdb.lease.use_dev_cluster's: other processes see this one uses the cluster

    @classmethod
    async def take(cls, major: int | None) -> _DevLease:
        leases = cls._by_loop.setdefault(asyncio.get_running_loop(), {})
        lease = leases.setdefault(major, cls(major))
        async with lease.lock:
            if lease.users == 0:
                from studio.sources.devdb.lease import use_dev_cluster

                lease.cluster, lease.fd = await asyncio.to_thread(use_dev_cluster, major)
            lease.users += 1
        return lease

    async def give_back(self) -> None:
        from studio.sources.devdb.lease import sole_user

        async with self.lock:
            self.users -= 1
            if self.users:
                return
            fd, self.fd = self.fd, -1
            try:
                # ours to stop, or its starter's that exited while another process used it;
                # and no other schema-studio process uses it (nor comes, while we stop it)
                mine = self.cluster.started_by_us or self.cluster.orphaned
                if mine and sole_user(fd):
                    await _stop_if_idle(self.cluster)
            finally:
                os.close(fd)


async def _stop_if_idle(cluster: Any) -> None:
    # No other schema-studio process uses it; a client of the user's own (psql
    # on the dev server) may still: then it keeps running.
    conn = await cluster.connect()
    try:
        others = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    if not others:
        await asyncio.to_thread(cluster.stop, force=True)  # the caller decided it may


@contextlib.asynccontextmanager
async def _throwaway_on(url: str, settings: Settings) -> AsyncIterator[str]:
    import secrets
    from urllib.parse import urlsplit, urlunsplit

    name = f"ss_declared_{secrets.token_hex(4)}"
    admin = await db.connect(url, timeout=settings.connect_timeout)
    try:
        with translate(mask_dsn(url)):
            await admin.execute(f"CREATE DATABASE {quote_ident(name)}")
        parts = urlsplit(url)
        try:
            yield urlunsplit(parts._replace(path="/" + name))
        finally:
            with translate(mask_dsn(url)):
                await admin.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await admin.close()


# Statements PostgreSQL refuses in a transaction block, or a new enum value
# used in the transaction that added it: the batch is re-run one statement at
# a time, each committed on its own.
_ONE_BY_ONE = {"25001", "55P04"}


# Batches sent in one round trip (one implicit transaction) at most: a few
# hundred statements per transaction ran the 1,000-table benchmark schema in
# 1.2 s against 1.4 s for one transaction of all 3,000 (and 20 to 500 alike).
_GROUP = 200


async def _drain(ready: asyncio.Queue[Batch | None]) -> AsyncIterator[list[Batch]]:
    """The batches put in `ready` until None, in lists of what is there at once."""
    while (first := await ready.get()) is not None:
        chunk = [first]
        while not ready.empty():
            if (batch := ready.get_nowait()) is None:
                yield chunk
                return
            chunk.append(batch)
        yield chunk


async def run_batches(
    conn: asyncpg.Connection, batches: Sequence[Batch] | AsyncIterator[list[Batch]]
) -> None:
    """Run DDL batches in as few round trips as the statements allow.

    Consecutive batches go together, a multi-statement string that runs in one
    implicit transaction and one round trip. A group that fails is rolled back
    by PostgreSQL and its batches run one by one; a batch that cannot run in a
    transaction (CONCURRENTLY, a new enum value used at once) runs statement by
    statement, each committed on its own, and a failing one names its statement
    and line.
    """
    if isinstance(batches, Sequence):
        for group in _groups(batches):
            await _run_group(conn, group)
        return
    # streamed: whatever is ready when the server is free goes next, so it waits for no one
    async for chunk in batches:
        for group in _groups(chunk):
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
    for stmt, offset in _split(batch.script, batch.where, batch.line):
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
    from studio.sqltext.statements import statement_node

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
    """Whether `script` holds more than comments and semicolons (asyncpg fails on an empty query)."""
    text = script.lstrip()
    while text:
        if text.startswith(";"):
            text = text[1:].lstrip()
        elif text.startswith("--") or (text.startswith("/*") and "*/" in text):
            text = _lead(text)
        else:
            return True  # a statement, or an unterminated comment the scanner will report
    return False


def _split(script: str, where: str, first_line: int = 1) -> list[tuple[str, int]]:
    """Statements of `script` with their character offsets (where psql would end them)."""
    from pglast.parser import ParseError  # deferred: pglast loads libpg_query

    try:
        spans = statement_spans(script)
    except ParseError as e:  # an unterminated quote or comment, where it starts
        problem = SyntaxProblem.of(e)
        line = "" if problem.offset is None else f":{line_of(script, problem.offset, first_line)}"
        raise SourceError(
            f"{where}{line}: {problem.lexer_message()}",
            "fix the declared schema, then run the command again",
        ) from None
    return [(script[start:end], start) for start, end in spans]


def _source_error(
    batch: Batch,
    e: asyncpg.PostgresError,
    offset: int = 0,
    statement: str = "",
    conn: asyncpg.Connection | None = None,
) -> SourceError:
    """`where:line: message (in: statement)`; the line is the error's position, else the statement's."""
    pos = getattr(e, "position", None)
    body = _lead(statement)  # the statement from its first keyword, past comments before it
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
    from studio.sources.devdb.binaries import servers_with_extension

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
    # view and function bodies print differently across majors: the target's major normalizes both sides
    return (
        msg,
        f"{others} has it, but the declared schema is read on the target's major version: {fix}",
    )


# --- the source kinds ---------------------------------------------------------


def _project_root(settings: Settings) -> Path:
    return settings.root or Path.cwd()


def _sqlalchemy_files(source: Source, settings: Settings) -> list[Path]:
    """The files a `module:attr` schema is loaded from: its top-level package, without importing it."""
    module = source.spec.partition(":")[0]
    top = module.split(".")[0]
    root = _project_root(settings)
    if (root / top).is_dir():
        return sorted((root / top).rglob("*.py"))
    if (root / f"{top}.py").is_file():
        return [root / f"{top}.py"]
    with _on_path(root):
        spec = importlib.util.find_spec(top)  # a top-level find_spec executes nothing
    if spec is None:
        raise SourceError(f"cannot import {module}: no module named {top!r} (looked in {root})")
    if spec.submodule_search_locations:
        return sorted(p for loc in spec.submodule_search_locations for p in Path(loc).rglob("*.py"))
    return [Path(spec.origin)] if spec.origin else []


@contextlib.contextmanager
def _on_path(root: Path) -> Any:
    entry = str(root)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            sys.path.remove(entry)


def _forget_project_modules(top: str, root: Path) -> None:
    """Drop an earlier import of the user's package, so a long-running studio sees edited models."""
    import gc

    gc.unfreeze()  # what an earlier load froze (see _without_gc) may be garbage from now on
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if origin.startswith(str(root) + os.sep) and name.split(".")[0] != "studio":
            del sys.modules[name]


def import_metadata(spec: str, root: Path) -> list[Any]:
    """Import `module:attr` with the project root on the path; return its MetaData objects."""
    import sqlalchemy as sa

    module_name, _, attr = spec.partition(":")
    _forget_project_modules(module_name.split(".")[0], root)
    with _on_path(root):
        try:
            module = importlib.import_module(module_name)
        except SyntaxError as e:
            raise SourceError(
                f"cannot import {module_name}: syntax error at {e.filename}:{e.lineno}: {e.msg}"
            ) from None
        except Exception as e:  # the user's module may raise anything while importing
            at = _raised_at(e, root)
            raise SourceError(
                f"cannot import {module_name}: {e.__class__.__name__}: {e}{at}"
            ) from None
    try:
        obj = getattr(module, attr)
    except AttributeError:
        raise SourceError(f"{module_name} has no attribute {attr!r}") from None
    items = obj if isinstance(obj, list | tuple) else [obj]
    metadatas = []
    for item in items:
        md = item if isinstance(item, sa.MetaData) else getattr(item, "metadata", None)
        if not isinstance(md, sa.MetaData):
            raise SourceError(
                f"{spec} is a {type(item).__name__}, not a MetaData, a DeclarativeBase subclass or a list of them"
            )
        metadatas.append(md)
    return metadatas


def _raised_at(e: BaseException, root: Path) -> str:
    """` (at file:line)`: the innermost frame of the project's own code that raised `e`."""
    found = ""
    tb = e.__traceback__
    prefix = str(root.resolve()) + os.sep
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(prefix):
            found = f" (at {os.path.relpath(filename, root.resolve())}:{tb.tb_lineno})"
        tb = tb.tb_next
    return found


def _sqlalchemy_ddl(source: Source, settings: Settings, emit: Emit) -> list[str]:
    from sqlalchemy import create_mock_engine

    metadatas = import_metadata(source.spec, _project_root(settings))
    schemas: set[str] = set()
    for md in metadatas:
        # tables, and the types and sequences they use, may each name a schema
        for table in md.tables.values():
            schemas.add(table.schema or "public")
            for column in table.columns:
                if isinstance(getattr(column.type, "schema", None), str):
                    schemas.add(column.type.schema)
        for seq in getattr(md, "_sequences", {}).values():
            if seq.schema:
                schemas.add(seq.schema)

    # one batch per statement: run_batches sends them in groups, and names the failing one
    for name in sorted(schemas - {"public"}):
        emit(Batch(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name)}", source.spec))

    def collect(sql: Any, *args: Any, **kwargs: Any) -> None:
        emit(Batch(str(sql.compile(dialect=engine.dialect)).strip(), source.spec))

    engine = create_mock_engine("postgresql+asyncpg://", collect)  # type: ignore[arg-type]
    for md in metadatas:
        # checkfirst=False: the database is empty, and the mock engine cannot answer
        md.create_all(engine, checkfirst=False)
    return sorted(schemas)


def _without_gc(fn: Any, *args: Any) -> Any:
    """`fn(*args)` with the cyclic garbage collector paused.

    Declaring models allocates objects by the hundred thousand and nothing is
    garbage yet: each full collection walks them all again, which more than
    doubles the import of 1,000 models (2.6 s against 1.3 s). Reference
    counting still frees what it can. When the collector resumes, what is
    alive then is frozen (`gc.freeze`), else its first collections would walk
    the whole new heap at once (0.3 s, then again through introspection);
    the next import of the models unfreezes it, so a long-running studio
    still frees the models it reloads.
    """
    import gc

    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        return fn(*args)
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                gc.freeze()
                if _gc_was_enabled:
                    gc.enable()


# loads may run side by side (two declared sides): the collector resumes after the last
_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


def _sql_files(source: Source, settings: Settings) -> list[Path]:
    assert source.path is not None
    if source.path.is_dir():
        return sorted(p for p in source.path.rglob("*.sql") if p.is_file())
    return [source.path]


def _sql_ddl(source: Source, settings: Settings, emit: Emit) -> list[str]:
    scripts = [(str(path), _declared_sql(path)) for path in _sql_files(source, settings)]
    if (roles := _roles_batch(scripts, str(source.path))) is not None:
        emit(roles)
    for where, script in scripts:
        for batch in _sql_batches(script, where):
            emit(batch)
    return []


def _declared_sql(path: Path) -> str:
    """A declared SQL file as PostgreSQL should see it: psql's harmless meta-commands blanked."""
    from studio.sqltext.statements import (
        HARMLESS_META_COMMANDS,
        meta_commands,
        without_meta_commands,
    )

    try:
        script = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SourceError(f"cannot read {path}: {e}") from None
    if "\\" not in script:
        return script
    commands = meta_commands(script)
    for c in commands:
        if c.name not in HARMLESS_META_COMMANDS:
            raise SourceError(
                f"{path}:{script.count(chr(10), 0, c.start) + 1}: psql meta-command \\{c.name} in a declared schema",
                "a declared schema is SQL that PostgreSQL runs: remove the psql command"
                " (\\restrict, \\unrestrict, \\set and \\echo lines are ignored)",
            )
    return without_meta_commands(script, commands)


def _roles_batch(scripts: Sequence[tuple[str, str]], where: str) -> Batch | None:
    """CREATE ROLE ... NOLOGIN for each role the scripts name but do not create, if any.

    Grants, policies and owners name roles the target has; the dev server is
    a cluster of its own, so it lacks them and the declared SQL would fail.
    Read from the parse tree (pglast) rather than retried on "role does not
    exist": a failure rolls back the whole file, so retrying costs one run of
    the file per missing role, and that error is raised for other objects
    too. Names only: no password, no LOGIN, no membership the SQL does not
    grant itself. Roles are cluster-wide: one that exists is left as it is.
    """
    from studio.sqltext.statements import roles_named

    named: set[str] = set()
    created: set[str] = set()
    for _, script in scripts:
        found = roles_named(script)
        named |= found.named
        created |= found.created
    # pg_* names are reserved for the server's predefined roles
    needed = sorted(r for r in named - created if not r.startswith("pg_"))
    if not needed:
        return None
    return Batch(
        _create_roles_sql(needed),
        f"{where}: creating the roles it names ({', '.join(needed)})",
        hint="let the dev server's user create roles (CREATEROLE), or create these roles there (NOLOGIN)",
    )


def _create_roles_sql(names: Sequence[str]) -> str:
    """One DO block creating each role unless it exists (or another session creates it meanwhile)."""
    array = ", ".join(quote_literal(n) for n in names)
    body = (
        f"DECLARE r text; BEGIN FOREACH r IN ARRAY ARRAY[{array}]::text[] LOOP"
        " IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN"
        " BEGIN EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);"
        " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;"
        " END IF; END LOOP; END"
    )
    tag = "$roles$"
    while tag in body:  # a role name holding the tag would end the body early
        tag = tag[:-1] + "_$"
    return f"DO {tag} {body} {tag}"


# A file of more statements than this runs as one batch per statement, sent in
# groups: one transaction of 3,000 tables took 7-12 s where groups of 200 took
# 3.8 s (its locks and catalog invalidations pile up).
_SPLIT_ABOVE = 200
# statements whose effect spans the rest of the file's transaction: such a file runs whole
_TRANSACTION_SCOPED = re.compile(
    r"(?:BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE|SET\s+(?:LOCAL|CONSTRAINTS|TRANSACTION))\b",
    re.IGNORECASE,
)


def _sql_batches(script: str, where: str) -> list[Batch]:
    """A SQL file as one batch, or one per statement when it is big and has no transaction control."""
    if script.count(";") <= _SPLIT_ABOVE:
        return [Batch(script, where)]
    statements = _split(script, where)
    if len(statements) <= _SPLIT_ABOVE or any(
        _TRANSACTION_SCOPED.match(_lead(s)) for s, _ in statements
    ):
        return [Batch(script, where)]
    return [
        Batch(text, where, False, script.count("\n", 0, offset) + 1) for text, offset in statements
    ]


def _lead(statement: str) -> str:
    """The statement without the comments and blank lines before it."""
    text = statement.lstrip()
    while text.startswith(("--", "/*")):
        end = text.find("\n") + 1 if text.startswith("--") else text.find("*/") + 2
        text = text[end:].lstrip() if end > 1 else ""
    return text


def _migration_files(source: Source, settings: Settings) -> list[Path]:
    assert source.path is not None
    if not source.path.is_dir():
        return []
    return sorted(
        p for p in source.path.iterdir() if p.suffix == ".sql" and not p.name.endswith(".down.sql")
    )


def _migration_ddl(source: Source, settings: Settings, emit: Emit) -> list[str]:
    """Replay: every migration's steps in order (backfills are data, skipped on an empty database)."""
    from studio.migrations.files import load_directory

    assert source.path is not None
    if not source.path.is_dir():
        return []
    batches = [
        Batch(step.sql, f"{migration.path.name} step {step.index}", not step.transactional)
        for migration in load_directory(source.path)
        if source.versions is None or migration.version in source.versions
        for step in migration.steps
        if not step.backfill
    ]
    if (
        roles := _roles_batch([(b.where, b.script) for b in batches], str(source.path))
    ) is not None:
        emit(roles)
    for batch in batches:
        emit(batch)
    return []


# --- cache ----------------------------------------------------------------------


def cache_dir() -> Path:
    """Where materialized schemas are cached: $XDG_CACHE_HOME/schema-studio (or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schema-studio" / "schemas"


def _cache_key(source: Source, paths: list[Path], major: int, with_privileges: bool = False) -> str:
    h = hashlib.sha256()
    versions = ",".join(source.versions) if source.versions is not None else "*"
    # v4: the cached Schema carries the catalog's dependency edges
    for part in (
        "v4",
        "privileges" if with_privileges else "",
        __version__,
        source.kind.value,
        source.spec,
        versions,
        str(major),
        _sqlalchemy_version(),
    ):
        h.update(part.encode() + b"\0")
    for path in paths:
        h.update(str(path).encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError as e:
            raise SourceError(f"cannot read {path}: {e}") from None
        h.update(b"\0")
    return h.hexdigest()[:32]


def _sqlalchemy_version() -> str:
    try:
        from importlib.metadata import version

        return version("sqlalchemy")
    except Exception:
        return "?"


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        pass  # the cache is an optimization; a read-only home must not fail the command
