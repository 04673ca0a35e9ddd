"""`baseline VERSION`: record a database as being at VERSION (thin over `commands.baseline`)."""

from __future__ import annotations

import click

from studio.cli import EXIT_OK, cli, json_line, run, settings_from
from studio.cli.options import format_option, target_options, wait_option
from studio.commands.baseline import baseline
from studio.words import counted


@cli.command("baseline")
@target_options
@click.argument("version")
@wait_option()
@format_option("text", "json")
def baseline_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    version: str,
    wait: float,
    fmt: str,
) -> int:
    """Record an existing database as being at VERSION, without running SQL."""
    settings = settings_from(db_url, schema_names, exclude_schema)
    recorded = run(baseline(settings, version, wait=wait))
    if fmt == "json":
        json_line({"baseline": version, "recorded": list(recorded)})
    else:
        click.echo(f"recorded {counted(len(recorded), 'migration')} as applied, up to {version}")
    return EXIT_OK
