"""The options several commands share, each defined once as a click decorator.

`--db`/`--schema`/`--exclude-schema` on every command that reads a
database, `--exclude` on every command that compares schemas, `--format` on
every command that reports, `--wait` on every
command that takes the migration lock, `--batch-size`/`--pause` where a
backfill runs, `--rename`/`--no-rename` where renames are asked about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# how long a command queues behind another migrator holding the migration lock
WAIT_HELP = "How long to wait for another migrator."


def target_options(func: F) -> F:
    """--db, --schema and --exclude-schema, shared by every command that reads a database."""
    func = click.option(
        "--exclude-schema",
        "exclude_schema",
        multiple=True,
        metavar="NAME",
        help="Leave this schema out (repeatable).",
    )(func)
    func = click.option(
        "--schema",
        "schema_names",
        multiple=True,
        metavar="NAME",
        help="Manage only this schema (repeatable).",
    )(func)
    func = click.option(
        "--db",
        "db_url",
        metavar="URL",
        help="Target database URL (default: $DATABASE_URL or the configured variable).",
    )(func)
    return func


def exclude_option(func: F) -> F:
    """--exclude PATTERN (repeatable), added to the config's `exclude`."""
    return click.option(
        "--exclude",
        "exclude",
        multiple=True,
        metavar="PATTERN",
        help="Leave matching objects out of both sides: [kind:]glob over schema.name,"
        " e.g. 'public.legacy_*' or 'view:reporting.*' (repeatable; added to `exclude`).",
    )(func)


def format_option(*choices: str) -> Callable[[F], F]:
    """--format with the given choices, text first."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def wait_option(text: str = WAIT_HELP, *, show_default: bool = False) -> Callable[[F], F]:
    """--wait SECONDS: how long to queue behind a migrator holding the migration lock."""
    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=0,
        show_default=show_default,
        metavar="SECONDS",
        help=text,
    )


def backfill_options(func: F) -> F:
    """--batch-size and --pause, shared by migrate and backfill."""
    func = click.option(
        "--pause",
        type=click.FloatRange(min=0),
        default=None,
        metavar="SECONDS",
        help="Pause between backfill batches (default: backfill_pause, else 0).",
    )(func)
    return click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=None,
        metavar="ROWS",
        help="Rows per backfill batch (default: backfill_batch_size, else the step's own).",
    )(func)


def rename_option(func: F) -> F:
    """--rename A=B (repeatable)."""
    return click.option(
        "--rename",
        "renames",
        multiple=True,
        metavar="A=B",
        help="Treat A (old side, [schema.]table[.column]) and B (new name, same form)"
        " as one object renamed.",
    )(func)


def no_rename_option(func: F) -> F:
    """--no-rename: every rename candidate is a drop and an add."""
    return click.option(
        "--no-rename", is_flag=True, help="Treat every rename candidate as a drop and an add."
    )(func)
