"""`backfill VERSION`: run an expand migration's backfill step alone, in batches, resumable."""

from __future__ import annotations

import click

from studio.cli import EXIT_OK, cli, run, settings_from
from studio.cli.options import (
    backfill_options,
    format_option,
    target_options,
    wait_option,
)
from studio.cli.progress import event_sink
from studio.commands.migrate import configured_backfill, run_backfill


@cli.command("backfill")
@target_options
@click.argument("version")
@backfill_options
@wait_option()
@format_option("text", "json")
def backfill_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    version: str,
    batch_size: int | None,
    pause: float | None,
    wait: float,
    fmt: str,
) -> int:
    """Run the backfill of migration VERSION: batched UPDATEs by primary-key range.

    Each batch is its own short transaction under lock_timeout, committed
    with its progress: after an interruption it resumes at the next batch.
    The steps before the backfill must be applied (`migrate --no-backfill`).
    """
    settings = settings_from(db_url, schema_names, exclude_schema)
    options = configured_backfill(settings, batch_size, pause)
    ran = run(run_backfill(settings, version, wait=wait, on_event=event_sink(fmt), options=options))
    if fmt == "text":
        click.echo(
            f"backfill of {version} done"
            if ran
            else f"nothing to do: the backfill of {version} is done",
            err=True,
        )
    return EXIT_OK
