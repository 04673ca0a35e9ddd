"""`rollback`: the down files of the last applied migrations (thin over `commands.rollback`)."""

from __future__ import annotations

import click

from studio.cli import (
    EXIT_DIFFERENCES,
    EXIT_ERROR,
    EXIT_OK,
    cli,
    interactive,
    run,
    settings_from,
)
from studio.cli.fleet import fleet_option
from studio.cli.options import format_option, target_options, wait_option
from studio.cli.preview_view import print_plan
from studio.cli.progress import event_sink
from studio.commands.rollback import rollback, rollback_plan
from studio.errors import UsageError


@cli.command("rollback")
@fleet_option("rollback")
@target_options
@click.option(
    "--count",
    "count",
    type=click.IntRange(min=1),
    metavar="N",
    help="Roll back the last N migrations (default 1).",
)
@click.option("--to", "to", metavar="VERSION", help="Roll back every migration after VERSION.")
@click.option(
    "--only",
    "only",
    metavar="VERSION",
    help="Roll back only this expand migration, whose contract waits"
    " (refused while a later applied migration uses its tables).",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@wait_option()
@format_option("text", "json")
def rollback_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    count: int | None,
    to: str | None,
    only: str | None,
    yes: bool,
    wait: float,
    fmt: str,
) -> int:
    """Run the down files of the last applied migrations, newest first.

    Down files may drop data: on a terminal it asks first; elsewhere it needs --yes.
    """
    if sum(x is not None for x in (count, to, only)) > 1:
        raise UsageError("give one of --count, --to and --only")
    settings = settings_from(db_url, schema_names, exclude_schema)
    n = count or 1
    if not yes:
        if not interactive():
            click.echo(
                "error: rollback runs down files, which may drop data: pass --yes to confirm",
                err=True,
            )
            return EXIT_DIFFERENCES
        plan = run(rollback_plan(settings, count=n, to=to, only=only))
        if not plan.migrations:
            click.echo("nothing to roll back", err=True)
            return EXIT_OK
        print_plan(plan)
        if not click.confirm("Roll these back?", err=True):
            click.echo("nothing rolled back", err=True)
            return EXIT_ERROR
    run(rollback(settings, count=n, to=to, only=only, wait=wait, on_event=event_sink(fmt)))
    if only is not None:
        click.echo(
            f"{only} is pending again, older than migrations still applied:"
            " `schema-studio migrate --allow-out-of-order` applies it again",
            err=True,
        )
    return EXIT_OK
