"""`pull`: the live schema written out as SQLAlchemy models (`studio.codegen.render`), to a file.

Read the live schema with the managed-schema rules, render it, write the
file atomically.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.codegen.render import NotExpressible, render
from studio.commands.inspect import inspect
from studio.config import mask_dsn
from studio.errors import UsageError
from studio.migrations.checksums import source_mode

if TYPE_CHECKING:
    from studio.config import Settings


@dataclass(frozen=True, slots=True)
class PullResult:
    """What `pull` wrote, from where."""

    path: Path
    database: str  # masked URL
    server_version: int
    schemas: tuple[str, ...]
    tables: tuple[str, ...]
    not_expressible: tuple[NotExpressible, ...]


async def pull(settings: Settings, out: Path, *, force: bool = False) -> PullResult:
    """Read the live schema, render it as models and write them to `out` atomically.

    Raises:
        UsageError: `out` exists and `force` is not set, or it cannot be written.
    """
    if out.exists() and not force:
        raise UsageError(f"{out} already exists; pass --force to overwrite it", "")
    inspection = await inspect(settings)
    rendered = render(inspection.schema)
    write_file(out, rendered.source, force=force)
    return PullResult(
        path=out,
        database=mask_dsn(inspection.url),
        server_version=inspection.server_version,
        schemas=inspection.schemas,
        tables=rendered.tables,
        not_expressible=rendered.not_expressible,
    )


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
