"""What `new --python NAME` writes: a migration that calls a Python function, and its module.

The migration file and its down file each hold one Python step
(`-- schema-studio:python <package>.<module>:up` and `...:down`); the module
goes in a package at the project root (`data_migrations` unless another is
named), which the runner imports with the project root on `sys.path`. Pure:
text in, text out; `studio.commands.files.new_python` writes them.
"""

from __future__ import annotations

import re

from studio import __version__
from studio.migrations.format import DIRECTIVE_PREFIX

DEFAULT_PACKAGE = "data_migrations"
_PACKAGE = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")


def valid_package(package: str) -> bool:
    """Whether `package` is a dotted Python package name (`data_migrations`, `app.migrations`)."""
    return bool(_PACKAGE.match(package))


def module_name(slug: str) -> str:
    """The module's name for a migration slug (a Python name may not begin with a digit)."""
    return slug if not slug[0].isdigit() else f"m_{slug}"


def render_python_migration(version: str, name: str, target: str, *, down: bool = False) -> str:
    """The migration (or down) file: one Python step calling `target` (`pkg.mod:fn`)."""
    what = "undoes" if down else "runs"
    return "\n".join(
        [
            f"-- {name}",
            f"-- version: {version}",
            f"-- tool: schema-studio {__version__}",
            "--",
            f"-- A Python data migration: this step {what} {target}.",
            "-- The runner imports the module with the project root on sys.path and awaits",
            "-- fn(conn, options) in the step's own transaction; options are the key=value",
            "-- pairs after the function.",
            "-- After editing, run `schema-studio hash` to record the file in the sum.",
            "",
            f"-- {DIRECTIVE_PREFIX}step",
            f"-- {DIRECTIVE_PREFIX}python {target} batch_size=1000",
            "",
        ]
    )


def render_python_module(name: str, migration: str) -> str:
    """The module: `up` and `down`, each walking a table in batches with `batches()`."""
    return f'''"""{name}: the Python steps of {migration} (`up`) and of its down file (`down`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.run.python_steps import Batch, batches

if TYPE_CHECKING:
    import asyncpg

# the table to walk by primary key, as written in SQL
TABLE = "public.my_table"


async def up(conn: asyncpg.Connection, options: dict[str, str]) -> None:
    """Change the rows batch by batch: each batch commits with its progress, a rerun resumes."""
    raise NotImplementedError("write the data migration in this module, then delete this line")

    async def batch(b: Batch) -> int:
        # keys b.first..b.last (both included); in the batch's transaction, under lock_timeout
        status = await conn.execute(
            f"UPDATE {{TABLE}} SET note = upper(note) WHERE id BETWEEN $1 AND $2", b.first, b.last
        )
        return int(status.split()[-1])  # rows changed, for the progress report

    await batches(conn, TABLE, batch, size=int(options.get("batch_size", "1000")))


async def down(conn: asyncpg.Connection, options: dict[str, str]) -> None:
    """Undo `up` (or mark the up step `-- schema-studio:irreversible` and delete the down file)."""
    raise NotImplementedError("write the undo in this module, then delete this line")

    async def batch(b: Batch) -> int:
        status = await conn.execute(
            f"UPDATE {{TABLE}} SET note = lower(note) WHERE id BETWEEN $1 AND $2", b.first, b.last
        )
        return int(status.split()[-1])

    await batches(conn, TABLE, batch, size=int(options.get("batch_size", "1000")))
'''
