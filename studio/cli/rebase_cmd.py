"""`rebase VERSION`: renumber an unapplied migration to now (thin over `commands.rebase`)."""

from __future__ import annotations

import click

from studio.cli import EXIT_OK, cli, json_line, run, settings_from
from studio.cli.options import format_option, target_options
from studio.commands.rebase import rebase


@cli.command("rebase")
@target_options
@click.argument("version")
@click.option(
    "--force", is_flag=True, help="Renumber without asking the database whether it is applied."
)
@format_option("text", "json")
def rebase_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    version: str,
    force: bool,
    fmt: str,
) -> int:
    """Renumber the migration VERSION, applied nowhere, after every other one, and re-hash."""
    settings = settings_from(db_url, schema_names, exclude_schema)
    done = run(rebase(settings, version, force=force))
    if fmt == "json":
        json_line(
            {
                "rebased": done.old,
                "version": done.new,
                "files": [str(new) for _, new in done.renamed],
                "checked_on": done.checked_on,
            }
        )
        return EXIT_OK
    for old, new in done.renamed:
        click.echo(f"{old.name} -> {new.name}")
    where = f"not applied on {done.checked_on}" if done.checked_on else "not checked (--force)"
    click.echo(f"renumbered {done.old} to {done.new} ({where}); the sum rewritten", err=True)
    return EXIT_OK
