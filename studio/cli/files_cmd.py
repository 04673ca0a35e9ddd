"""`new` and `hash`: the migrations directory by hand (thin over `studio.commands.files`)."""

from __future__ import annotations

import click

from studio.cli import EXIT_OK, cli, settings_from
from studio.commands.files import new, new_python, rehash
from studio.migrations.skeleton import DEFAULT_PACKAGE


@cli.command("new")
@click.argument("name")
@click.option(
    "--python",
    "python",
    is_flag=True,
    help="A Python data migration: the migration and down files call up()/down() of a new"
    " module in --package.",
)
@click.option(
    "--package",
    default=DEFAULT_PACKAGE,
    show_default=True,
    help="With --python: the package at the project root the module goes in.",
)
def new_cmd(name: str, python: bool, package: str) -> int:
    """Write an empty migration NAME for hand-written SQL (or, with --python, a data migration)."""
    settings = settings_from()
    if not python:
        path = new(settings, name)
        click.echo(str(path))
        click.echo("write the SQL, then run `schema-studio hash` to record it", err=True)
        return EXIT_OK
    made = new_python(settings, name, package=package)
    for written in (made.path, made.down_path, made.module_path):
        click.echo(str(written))
    click.echo(
        f"write up() and down() in {made.module_path} ({made.module});"
        " the migration files are recorded in the sum",
        err=True,
    )
    return EXIT_OK


@cli.command("hash")
def hash_cmd() -> int:
    """Rewrite schema-studio.sum from the migration files as they are."""
    settings = settings_from()
    path = rehash(settings)
    click.echo(f"wrote {path}", err=True)
    return EXIT_OK
