"""Declared sources, by kind: the files each is read from, and the DDL that builds it.

The user's SQLAlchemy models are imported (with the garbage collector paused)
and their DDL compiled; SQL files are run as written, with the roles they name
created first; the migrations directory is replayed step by step; a composite
schema runs its parts' DDL one after the other. Each kind's files key the
cache; its DDL goes, batch by batch, to `materialize`.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import itertools
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import SourceError
from studio.migrations.files import load_directory
from studio.model import quote_ident, quote_literal
from studio.sources.materialize import Batch, Emit, iter_statements, past_comments
from studio.sources.spec import Source, SourceKind
from studio.sqltext.statements import (
    HARMLESS_META_COMMANDS,
    meta_commands,
    roles_named,
    without_meta_commands,
)

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.migrations.files import Step


@dataclass(frozen=True, slots=True)
class DeclaredKind:
    """How a kind of declared source is read: the files it loads from, and its DDL."""

    files: Callable[[Source, Settings], list[Path]]
    # emits the DDL batch by batch; returns the schemas SQLAlchemy metadata uses (else none)
    ddl: Callable[[Source, Settings, Emit], list[str]]


# --- SQLAlchemy models -----------------------------------------------------------


def _project_root(settings: Settings) -> Path:
    return settings.root or Path.cwd()


def _sqlalchemy_files(source: Source, settings: Settings) -> list[Path]:
    """The files a `module:attr` schema is loaded from: its top-level package, not imported."""
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
    """Drop an earlier import of the user's package, so a long-running studio sees edited models.

    When the project folder holds the package itself, an import of that name from
    another folder (another project loaded by the same process) is dropped too:
    it is not what the import will find.
    """
    gc.unfreeze()  # what an earlier load froze (see without_gc) may be garbage from now on
    local = (root / top).is_dir() or (root / f"{top}.py").is_file()
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        mine = origin.startswith(str(root) + os.sep)
        if (mine or local) and name.split(".")[0] != "studio":
            del sys.modules[name]


def import_metadata(spec: str, root: Path) -> list[Any]:
    """Import `module:attr` with the project root on the path; return its MetaData objects."""
    import sqlalchemy as sa  # deferred: a second to import; SQLAlchemy sources only

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
                f"{spec} is a {type(item).__name__}, not a MetaData,"
                " a DeclarativeBase subclass or a list of them"
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
    from sqlalchemy import create_mock_engine  # deferred: as in import_metadata

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

    engine = create_mock_engine("postgresql+asyncpg://", collect)
    for md in metadatas:
        # checkfirst=False: the database is empty, and the mock engine cannot answer
        md.create_all(engine, checkfirst=False)
    return sorted(schemas)


def without_gc(fn: Any, *args: Any) -> Any:
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


# --- SQL files ------------------------------------------------------------------


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
                f"{path}:{script.count(chr(10), 0, c.start) + 1}:"
                f" psql meta-command \\{c.name} in a declared schema",
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
        hint="let the dev server's user create roles (CREATEROLE),"
        " or create these roles there (NOLOGIN)",
    )


def _create_roles_sql(names: Sequence[str]) -> str:
    """One DO block creating each role unless it exists (or another session makes it meanwhile)."""
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

# statements whose effect spans the rest of the file's transaction: from the first, the file runs
# as written
_TRANSACTION_SCOPED = re.compile(
    r"(?:BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE|SET\s+(?:LOCAL|CONSTRAINTS|TRANSACTION))\b",
    re.IGNORECASE,
)
# the statements that would undo or hand over what ran before them in the file's transaction
# (ROLLBACK, ABORT, PREPARE TRANSACTION), by a word any of them holds
_UNDOING_WORDS = ("ROLLBACK", "ABORT", "PREPARE")
_UNDOES_EARLIER = re.compile(rf"\b(?:{'|'.join(_UNDOING_WORDS)})\b", re.IGNORECASE)


def _sql_batches(script: str, where: str) -> Iterator[Batch]:
    """A SQL file as one batch, or, when big, one per statement, each as soon as it is found.

    The server starts on a big file's first statements while the lexer still
    looks for the ends of the others (at 1,000 tables splitting took 0.35 s of
    CPU, all of it before the first statement ran). From the first statement
    that acts on the rest of its transaction (BEGIN, SET LOCAL, COMMIT, ...)
    the file runs whole from there, one batch as written: the statements
    before it have the same effect committed in groups as in that
    transaction. Not so before a ROLLBACK, ABORT or PREPARE TRANSACTION, which
    undo or hand over what ran before them: a file holding one of those words
    is split whole first, and runs as one batch if it has transaction control.
    """
    if script.count(";") <= _SPLIT_ABOVE:
        yield Batch(script, where)
        return
    statements = iter_statements(script, where)
    first = list(itertools.islice(statements, _SPLIT_ABOVE + 1))
    if len(first) <= _SPLIT_ABOVE:
        yield Batch(script, where)
        return
    found: Iterable[tuple[str, int]] = itertools.chain(first, statements)
    upper = script.upper()  # the words first, as text (a regex over 0.3 MB took 26 ms)
    if any(w in upper for w in _UNDOING_WORDS) and _UNDOES_EARLIER.search(script):
        found = list(found)
        if any(_TRANSACTION_SCOPED.match(past_comments(s)) for s, _ in found):
            yield Batch(script, where)
            return
    line, counted = 1, 0
    for text, offset in found:  # lines counted from the previous statement: not quadratic
        line += script.count("\n", counted, offset)
        counted = offset
        if _TRANSACTION_SCOPED.match(past_comments(text)):
            yield Batch(script[offset:], where, False, line)
            return
        yield Batch(text, where, False, line)


# --- the migrations directory ---------------------------------------------------


def _migration_files(source: Source, settings: Settings) -> list[Path]:
    assert source.path is not None
    if not source.path.is_dir():
        return []
    return sorted(
        p for p in source.path.iterdir() if p.suffix == ".sql" and not p.name.endswith(".down.sql")
    )


def _migration_ddl(source: Source, settings: Settings, emit: Emit) -> list[str]:
    """Replay each migration's steps in order (backfills are data, skipped on an empty database)."""
    assert source.path is not None
    if not source.path.is_dir():
        return []
    batches = [
        batch
        for migration in load_directory(source.path)
        if source.versions is None or migration.version in source.versions
        for step in migration.steps
        if not step.backfill
        for batch in _step_batches(step, f"{migration.path.name} step {step.index}")
    ]
    if (
        roles := _roles_batch([(b.where, b.script) for b in batches], str(source.path))
    ) is not None:
        emit(roles)
    for batch in batches:
        emit(batch)
    return []


def _step_batches(step: Step, where: str) -> list[Batch]:
    """A step's batches: one per statement, unless it runs outside a transaction or controls it.

    A step is one transaction when the runner applies it, but the replay never
    kept that (consecutive steps share a round trip, and so a transaction,
    `_GROUP` at a time): one per statement lets a squash baseline's step of
    1,000 CREATE TABLEs run in groups too, rather than in one transaction
    that costs the server more with each statement it holds. A step with a
    statement whose effect spans its transaction (`SET LOCAL`, `BEGIN`) runs
    whole. Each batch's line is its statement's in the step, as a failure
    in the step run whole names it.
    """
    statements = step.statements
    if not step.transactional or len(statements) < 2:
        return [Batch(step.sql, where, not step.transactional)]
    if any(_TRANSACTION_SCOPED.match(s.sql) for s in statements):
        return [Batch(step.sql, where)]
    first = statements[0].line
    return [Batch(s.sql, where, False, s.line - first + 1) for s in statements]


# --- a composite declared schema ---------------------------------------------------


def _composite_files(source: Source, settings: Settings) -> list[Path]:
    """Each part's files, in the parts' order."""
    return [p for part in source.parts for p in DECLARED_KINDS[part.kind].files(part, settings)]


def _composite_ddl(source: Source, settings: Settings, emit: Emit) -> list[str]:
    """Each part's DDL in the list's order, into one database; the SQLAlchemy parts' schemas."""
    schemas: set[str] = set()
    for part in source.parts:
        schemas.update(DECLARED_KINDS[part.kind].ddl(part, settings, emit))
    return sorted(schemas)


def origin_label(where: str, settings: Settings) -> str:
    """How a batch's `where` is shown as an object's origin: a SQL file relative to the project."""
    path = Path(where)
    if not path.is_absolute():
        return where  # a SQLAlchemy target, as written
    try:
        return str(path.relative_to(_project_root(settings)))
    except ValueError:
        return where


DECLARED_KINDS = {
    SourceKind.SQLALCHEMY: DeclaredKind(_sqlalchemy_files, _sqlalchemy_ddl),
    SourceKind.SQL: DeclaredKind(_sql_files, _sql_ddl),
    SourceKind.MIGRATIONS: DeclaredKind(_migration_files, _migration_ddl),
    SourceKind.COMPOSITE: DeclaredKind(_composite_files, _composite_ddl),
}
