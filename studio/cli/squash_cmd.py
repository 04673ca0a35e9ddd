"""`squash --to VERSION`: the migrations up to VERSION as one baseline (over `commands.squash`)."""

from __future__ import annotations

import click

from studio.cli import EXIT_OK, cli, json_line, run, settings_from, warn
from studio.cli.options import format_option
from studio.commands.squash import squash
from studio.config import has_password


@cli.command("squash")
@click.option("--to", "to", required=True, metavar="VERSION", help="The last migration to fold in.")
@click.option(
    "--db",
    "db_urls",
    multiple=True,
    metavar="URL",
    help="A database that must have applied them (repeatable; default: the configured one).",
)
@click.option(
    "--fleet",
    is_flag=True,
    help="Every target of the fleet ([tool.schema-studio.fleet]) must have applied them.",
)
@click.option(
    "--force", is_flag=True, help="Squash without a database to check (none given or configured)."
)
@format_option("text", "json")
def squash_cmd(to: str, db_urls: tuple[str, ...], fleet: bool, force: bool, fmt: str) -> int:
    """Replace the migrations up to VERSION with one baseline generated from their schema.

    Fresh databases run the baseline; `migrate` records it, without running it,
    on a database that applied the migrations it replaces. It is irreversible.
    """
    if any(has_password(url) for url in db_urls):
        warn(
            "a password in --db is visible to other users of this machine (process list); "
            "prefer PGPASSWORD or ~/.pgpass"
        )
    settings = settings_from()
    done = run(squash(settings, to, urls=db_urls, fleet=fleet, force=force))
    if fmt == "json":
        json_line(
            {
                "version": done.version,
                "path": str(done.path),
                "steps": done.steps,
                "replaced": list(done.replaced),
                "removed": [str(p) for p in done.removed],
                "checked_on": list(done.checked_on),
                "notes": list(done.notes),
            }
        )
        return EXIT_OK
    click.echo(str(done.path))
    for note in done.notes:
        warn(note)
    where = ", ".join(done.checked_on) if done.checked_on else "no database (--force)"
    click.echo(
        f"squashed {len(done.replaced)} migrations into {done.path.name}"
        f" ({done.steps} steps; applied on {where}); the sum rewritten",
        err=True,
    )
    return EXIT_OK
