"""`pull`: the live schema as SQLAlchemy models (`studio.codegen.render`) and SQL beside them.

Read the live schema with the managed-schema rules and render it as models;
materialize those models on the dev server, diff them against the live
schema, and write the changes (what SQLAlchemy cannot express: views,
functions, triggers, policies, partitions, ...) as the SQL file that runs
after the models (`studio.codegen.sql_file`). Both files are written
atomically, and only once both are made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.codegen.partitions import partitions_of
from studio.codegen.render import NotExpressible, render
from studio.codegen.sql_file import render_sql_file
from studio.commands.inspect import inspect
from studio.config import mask_dsn
from studio.diff import diff_report
from studio.diff.unmodelled import unmodelled
from studio.errors import SourceError, UsageError
from studio.migrations.checksums import source_mode
from studio.sources.load import load
from studio.sources.spec import Source, SourceKind

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.commands.inspect import Inspection
    from studio.config import Settings
    from studio.model import Schema
    from studio.model.changes import Change


@dataclass(frozen=True, slots=True)
class PullResult:
    """What `pull` wrote, from where, and the declared schema the two files make."""

    path: Path
    database: str  # masked URL
    server_version: int
    schemas: tuple[str, ...]
    tables: tuple[str, ...]
    not_expressible: tuple[NotExpressible, ...]
    # the SQL file beside the models, and the changes written to it
    sql_path: Path
    sql_changes: tuple[Change, ...]
    # the declared schema's sources, in order: the models' module:Base, then the SQL file
    sources: tuple[str, ...]
    # what the SQL file cannot make (differences no SQL reaches, unmodelled objects)
    warnings: tuple[str, ...] = ()


def sql_path_for(out: Path) -> Path:
    """The SQL file beside the models: `app/models.py` -> `app/models.sql`."""
    return out.with_suffix(".sql")


async def pull(
    settings: Settings, out: Path, *, force: bool = False, with_privileges: bool = False
) -> PullResult:
    """Read the live schema, write it as models to `out` and the rest as SQL beside it.

    `with_privileges`: the SQL file also grants and hands over objects as the
    database does (what `diff --with-privileges` compares).

    Raises:
        UsageError: `out` is not a .py file of a module name, it or the SQL file
            exists and `force` is not set, or they cannot be written.
    """
    if out.suffix != ".py" or not out.stem.isidentifier():
        raise UsageError(
            f"--out {out}: not a Python module file",
            "name a .py file whose name is a Python identifier, e.g. app/models.py",
        )
    sql_path = sql_path_for(out)
    for path in (out, sql_path):
        if path.exists() and not force:
            raise UsageError(f"{path} already exists; pass --force to overwrite it", "")
    root = settings.root or Path.cwd()
    sources = (f"{module_name(out, root)}:Base", _shown(sql_path, root))
    inspection = await inspect(settings, with_privileges=with_privileges)
    rendered = render(inspection.schema, sql_file=_shown(sql_path, root))
    models = await _materialize(
        settings, rendered.source, inspection.server_version, with_privileges, sources[0]
    )
    changes, warnings = _the_rest(inspection, models, sources[1], with_privileges)
    sql = render_sql_file(changes, _shown(out, root), sources)
    write_file(out, rendered.source, force=force)
    write_file(sql_path, sql, force=force)
    return PullResult(
        path=out,
        database=mask_dsn(inspection.url),
        server_version=inspection.server_version,
        schemas=inspection.schemas,
        tables=rendered.tables,
        not_expressible=rendered.not_expressible,
        sql_path=sql_path,
        sql_changes=changes,
        sources=sources,
        warnings=warnings,
    )


def _the_rest(
    inspection: Inspection, models: Schema, sql_file: str, with_privileges: bool
) -> tuple[tuple[Change, ...], tuple[str, ...]]:
    """What turns the models' schema into the live one, and what no SQL of it makes."""
    live, declared = inspection.schema, models.restrict(inspection.schemas)
    version = inspection.server_version
    report = diff_report(declared, live, with_privileges=with_privileges, server_version=version)
    warnings = report.warnings() + tuple(
        f"{u.kind} {u.identity}: of a kind schema-studio does not model, so"
        f" {sql_file} does not create it"
        for u in unmodelled(declared, live).only_new
    )
    return tuple(partitions_of(report.changes, live, version)), warnings


def module_name(out: Path, root: Path) -> str:
    """The module `out` imports as from the project root (`app/models.py` -> `app.models`).

    A file outside the project, or under a folder that is no Python name, is
    named by its file name alone.
    """
    try:
        parts = out.resolve().relative_to(root.resolve()).with_suffix("").parts
    except ValueError:
        return out.stem
    if all(p.isidentifier() for p in parts):
        return ".".join(parts)
    return out.stem


def _shown(path: Path, root: Path) -> str:
    """`path` as the config names it: relative to the project root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


async def _materialize(
    settings: Settings, source: str, server_version: int, with_privileges: bool, shown: str
) -> Schema:
    """The schema the models' text builds on the dev server (a private copy of the module).

    The rendered module imports nothing but SQLAlchemy, so a copy under a
    name of its own in a private folder builds what the written file will.
    `shown`: the target the written models will be, named in an error.

    Raises:
        SourceError: the models do not build there (nothing is written then).
    """
    with _private_module(source) as (folder, name):
        try:
            loaded = await load(
                Source(SourceKind.SQLALCHEMY, f"{name}:Base"),
                dataclasses.replace(settings, root=folder),
                major=server_version // 10000,
                use_cache=False,
                with_privileges=with_privileges,
            )
        except SourceError as e:
            raise SourceError(
                f"the pulled models do not build: {e.message.replace(f'{name}:Base', shown)}",
                f"nothing was written; {e.hint}",
            ) from None
    return loaded.schema


@contextlib.contextmanager
def _private_module(source: str) -> Iterator[tuple[Path, str]]:
    """`source` as a module file in a temporary folder, and the module name; both gone after."""
    name = f"_studio_pull_{secrets.token_hex(6)}"
    with tempfile.TemporaryDirectory(prefix="studio-pull-") as folder:
        (Path(folder) / f"{name}.py").write_text(source, encoding="utf-8")
        try:
            yield Path(folder), name
        finally:
            sys.modules.pop(name, None)


def write_file(path: Path, text: str, *, force: bool) -> None:
    """Write `text` through a temporary file in the same folder, so `path` is never half-written.

    Without `force`, the file appears only if no file of that name exists,
    even one created meanwhile (a hard link fails on an existing name).
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}", "") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, source_mode())
        if force:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise UsageError(f"{path} already exists; pass --force to overwrite it", "") from None
        except OSError:  # no hard links on this file system
            if path.exists():
                raise UsageError(
                    f"{path} already exists; pass --force to overwrite it", ""
                ) from None
            os.replace(tmp, path)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}", "") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
