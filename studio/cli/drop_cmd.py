"""`drop`: delete the newest migration, if no database applied it (thin over `commands.drop`)."""

from __future__ import annotations

import click

from studio.cli import (
    EXIT_DIFFERENCES,
    EXIT_ERROR,
    EXIT_OK,
    cli,
    interactive,
    json_line,
    run,
    settings_from,
)
from studio.cli.options import format_option
from studio.commands.drop import drop, files_of, newest


@cli.command("drop")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="The database whose history says the migration is not applied "
    "(default: $DATABASE_URL or the configured variable).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Drop it without a database to ask (none configured or reachable): only when no "
    "database has applied it.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@format_option("text", "json")
def drop_cmd(db_url: str | None, force: bool, yes: bool, fmt: str) -> int:
    """Delete the newest migration (its down file, and a contract's expand migration, too)
    and rewrite the checksum file; refused when the database has applied it.

    Without a database to ask it refuses unless --force. On a terminal it asks
    first; elsewhere it needs --yes.
    """
    settings = settings_from(db_url)
    if not yes:
        if not interactive():
            click.echo("error: drop deletes migration files: pass --yes to confirm", err=True)
            return EXIT_DIFFERENCES
        names = ", ".join(p.name for p in files_of(newest(settings)))
        if not click.confirm(f"Delete {names}?", err=True):
            click.echo("nothing dropped", err=True)
            return EXIT_ERROR
    dropped = run(drop(settings, force=force))
    if fmt == "json":
        json_line(
            {
                "dropped": list(dropped.versions),
                "paths": [str(p) for p in dropped.paths],
                "checked": dropped.checked,
            }
        )
        return EXIT_OK
    for path in dropped.paths:
        click.echo(f"deleted {path}", err=True)
    click.echo(
        f"rewrote {settings.migrations_dir / 'schema-studio.sum'}; {dropped.checked}", err=True
    )
    return EXIT_OK
