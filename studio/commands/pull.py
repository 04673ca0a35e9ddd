"""`pull`: the live schema written as SQLAlchemy models, so a database can adopt the tool.

The rendering is `studio.codegen.models` (pure); this use case reads the
live schema with the managed-schema rules (`studio.commands.inspect`) and
writes the module atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.codegen.models import NotExpressible, render, write_file
from studio.commands.inspect import inspect
from studio.config import mask_dsn
from studio.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

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
