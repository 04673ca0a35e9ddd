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
(`no-transaction`, `backfill`, `python`, `irreversible`), then its SQL. A
Python step, `-- schema-studio:python package.module:function key=value ...`
right after its marker, holds no SQL: the runner calls the function
(`studio.run.python_steps`); a migration with one needs a down file or the
step marked `-- schema-studio:irreversible`. A baseline written by
`squash` lists in its header each migration it replaced, as
`-- schema-studio:squashes <version>_<name> <checksum>`. `-- schema-studio:ignore
<hazard-id> <reason>` may precede any statement (for lint). Any other
`-- schema-studio:` directive is an error.

A hand-written file without any step marker is one step per statement: the
comments right before a statement are that step's annotations and directives,
so `-- schema-studio:no-transaction` goes on the line before a
`CREATE INDEX CONCURRENTLY`. (One step per statement, rather than one step for
the whole file, is what lets such a statement run outside a transaction and a
crashed run resume at the statement where it stopped.) Steps are not
transactions: a migration whose steps can all run in a transaction runs in one
(what lint's `lock-held-across-statements` warns of); one with a
`no-transaction` step runs step by step, each step committed on its own.

The parser is `studio.migrations.format`; the checksum file
`schema-studio.sum` is `studio.migrations.checksums`. Both are re-exported here, so
`studio.migrations.files` is the one module callers need.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from studio import __version__
from studio.errors import MigrationFileError, StudioError
from studio.migrations.checksums import (
    SUM_FILE,
    file_hash,
    read_file,
    sql_files,
    verify_sum,
    write_atomic,
    write_sum,
)
from studio.migrations.format import (
    DIRECTIVE_PREFIX,
    Ignore,
    Phase,
    PythonCall,
    Squashed,
    Statement,
    Step,
    parse_text,
)
from studio.migrations.memo import ParsedFiles
from studio.sqltext.lexer import tokens_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from studio.migrations.format import Parsed

__all__ = [
    "SUM_FILE",
    "Ignore",
    "Migration",
    "Phase",
    "PythonCall",
    "Squashed",
    "Statement",
    "Step",
    "StepSpec",
    "load_directory",
    "next_version",
    "parse_file",
    "parse_text",
    "render_migration",
    "render_new",
    "slugify",
    "taken_versions",
    "verify_sum",
    "write_atomic",
    "write_migration",
    "write_sum",
]

VERSION_FORMAT = "%Y%m%d%H%M%S"
_FILE_NAME = re.compile(
    r"^(?P<version>\d{14})_(?P<slug>[A-Za-z0-9][A-Za-z0-9_-]*)(?P<down>\.down)?\.sql$"
)


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
    # a squash baseline: the migrations it replaced (`schema-studio squash`)
    squashes: tuple[Squashed, ...] = ()

    @property
    def filename(self) -> str:
        """The file name, e.g. `20250301120000_add_note.sql`."""
        return self.path.name

    @property
    def transactional(self) -> bool:
        """Whether every step can run inside one transaction."""
        return all(step.transactional for step in self.steps)

    @property
    def one_transaction(self) -> bool:
        """Whether the runner applies it whole in one transaction, else step by step.

        Every step must be able to run in a transaction, and an expand/contract
        phase, a backfill (committed batch by batch) or a Python step (which
        may commit batches) always runs step by step.
        """
        return (
            self.transactional
            and self.phase is None
            and not any(s.backfill or s.python for s in self.steps)
        )


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A step to render: statements, annotation lines and flags."""

    statements: tuple[str | Statement, ...]
    annotations: tuple[str, ...] = ()
    transactional: bool = True
    backfill: bool = False


# --- names and versions -----------------------------------------------------------


def slugify(name: str) -> str:
    """A file-name slug: lowercase letters, digits and underscores, at most 60 characters.

    A longer name is cut between words (a word longer than that alone, inside it).
    """
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if len(slug) > 60:
        head = slug[:61]
        slug = head[: head.rfind("_")] if "_" in head else slug[:60]
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


def taken_versions(directory: Path) -> list[str]:
    """The versions of the migration files in `directory`, by their names alone."""
    return sorted({m["version"] for p in sql_files(directory) if (m := _FILE_NAME.match(p.name))})


def file_name(version: str, slug: str, *, down: bool = False) -> str:
    """`<version>_<slug>.sql` or `<version>_<slug>.down.sql`."""
    return f"{version}_{slug}{'.down' if down else ''}.sql"


# --- files ---------------------------------------------------------------------------


def _check_version(parsed: Parsed, path: Path, version: str, text: str) -> None:
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
    data, text = read_file(path)
    checksum, digest = file_hash(data), hashlib.sha256(data).digest()
    del data  # a 45 MB file need not be held three times while it is parsed
    down_path: Path | None = path.with_name(file_name(version, m["slug"], down=True))
    down: tuple[bytes, str] | None = None
    if down_path is not None and down_path.is_file():
        down = read_file(down_path)
    else:
        down_path = None
    key = (str(path), digest, hashlib.sha256(down[0]).digest() if down else None)
    size = len(text) + (len(down[1]) if down else 0)
    return _PARSED.get(
        key,
        size,
        lambda: _parsed(
            path, version, m["slug"], checksum, text, down_path, down[1] if down else None
        ),
    )


# the files' bytes -> their Migration: `check` reads the folder, then replays it (memo.py)
_PARSED: ParsedFiles[Migration] = ParsedFiles(32 << 20)


def _parsed(
    path: Path,
    version: str,
    slug: str,
    checksum: str,
    text: str,
    down_path: Path | None,
    down_text: str | None,
) -> Migration:
    """A migration from its files' text (and its down file's, when it has one)."""
    parsed = parse_text(text, str(path))
    _check_version(parsed, path, version, text)
    down_steps = None
    if down_path is not None and down_text is not None:
        down = parse_text(down_text, str(down_path))
        _check_version(down, down_path, version, down_text)
        down_steps = down.steps
    _undo_of_python(parsed.steps, path, down_path)
    return Migration(
        version=version,
        name=slug,
        path=path,
        steps=parsed.steps,
        phase=parsed.phase,
        down_path=down_path,
        checksum=checksum,
        tool_version=parsed.header.get("tool"),
        schema_before=parsed.header.get("schema-before") or None,
        schema_after=parsed.header.get("schema-after") or None,
        description=parsed.description,
        down_steps=down_steps,
        squashes=parsed.squashes,
    )


def _undo_of_python(steps: Sequence[Step], path: Path, down_path: Path | None) -> None:
    """A Python step needs its counterpart in the down file, or to be marked irreversible."""
    if down_path is not None:
        return
    for step in steps:
        if step.python is not None and not step.irreversible:
            raise MigrationFileError(
                str(path),
                step.line,
                f"step {step.index} runs python: {step.python.target} and the migration has no"
                f" down file: write its counterpart in {path.name.removesuffix('.sql')}.down.sql"
                " or mark the step `-- schema-studio:irreversible`",
            )


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
    tokens = tokens_of(sql, "<statement>")
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
    squashes: Sequence[Squashed] = (),
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
    out += [s.directive for s in squashes]
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
            "-- Write the SQL below. Each statement is one step (or group statements into",
            f"-- steps with `-- {DIRECTIVE_PREFIX}step` lines). The steps share one transaction:",
            "-- a lock a step takes is held until the last step commits. Put",
            f"-- `-- {DIRECTIVE_PREFIX}no-transaction` before a statement that cannot run in a",
            "-- transaction (CREATE INDEX CONCURRENTLY): the migration then runs step by step,",
            "-- each step committed on its own.",
            "-- After editing, run `schema-studio hash` to record the file in the sum.",
            "",
        ]
    )


def write_migration(
    directory: Path, version: str, slug: str, text: str, down_text: str | None = None
) -> Path:
    """Write a new migration (and its down file), then the sum. Never overwrites a file.

    The directory is verified against its sum first: rewriting the sum must
    not bless an edit made to an existing migration.
    """
    directory.mkdir(parents=True, exist_ok=True)
    verify_sum(directory)
    path = directory / file_name(version, slug)
    down = directory / file_name(version, slug, down=True)
    for target in (path, down):
        if target.exists():
            raise StudioError(
                f"{target} already exists", "migrations are immutable: pick another name"
            )
    written: list[Path] = []
    try:
        try:
            if down_text is not None:
                write_atomic(down, down_text)
                written.append(down)
            write_atomic(path, text)
            written.append(path)
        except OSError as e:
            raise StudioError(
                f"cannot write {path}: {e.strerror or e}",
                "check the folder's permissions and free space",
            ) from None
        write_sum(directory)
    except BaseException:
        # all or nothing: a file the sum does not record would fail every later command
        for done in written:
            with contextlib.suppress(OSError):
                done.unlink()
        raise
    return path
