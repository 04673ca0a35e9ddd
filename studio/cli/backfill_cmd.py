"""`backfill VERSION`: run an expand migration's backfill step alone, in batches, resumable."""

from __future__ import annotations

import click

from studio.cli import EXIT_OK, cli, format_option, run, settings_from, target_options
from studio.cli.migrate_cmd import _sink, backfill_options, backfill_settings
from studio.commands import migrate as cm


@cli.command("backfill")
@target_options
@click.argument("version")
@backfill_options
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="How long to wait for another migrator.",
)
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
    options = backfill_settings(settings, batch_size, pause)
    ran = run(cm.run_backfill(settings, version, wait=wait, on_event=_sink(fmt), options=options))
    if fmt == "text":
        click.echo(
            f"backfill of {version} done"
            if ran
            else f"nothing to do: the backfill of {version} is done",
            err=True,
        )
    return EXIT_OK
