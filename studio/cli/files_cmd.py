"""`new` and `hash`: the migrations directory by hand (thin over `studio.commands.files`)."""

from __future__ import annotations

import click

from studio.cli import EXIT_OK, cli, settings_from
from studio.commands.files import new, rehash


@cli.command("new")
@click.argument("name")
def new_cmd(name: str) -> int:
    """Write an empty migration NAME for hand-written SQL."""
    settings = settings_from()
    path = new(settings, name)
    click.echo(str(path))
    click.echo("write the SQL, then run `schema-studio hash` to record it", err=True)
    return EXIT_OK


@cli.command("hash")
def hash_cmd() -> int:
    """Rewrite schema-studio.sum from the migration files as they are."""
    settings = settings_from()
    path = rehash(settings)
    click.echo(f"wrote {path}", err=True)
    return EXIT_OK
