"""`schema-studio pull`: write SQLAlchemy models of the live database, so it can adopt the tool."""

from __future__ import annotations

import json
from pathlib import Path

import click

from studio.cli import EXIT_OK, cli, run, settings_from
from studio.cli.options import format_option, target_options
from studio.commands.pull import pull
from studio.words import counted


@cli.command("pull")
@target_options
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("models.py"),
    show_default=True,
    help="The file to write.",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@format_option("text", "json")
def pull_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    out: Path,
    force: bool,
    fmt: str,
) -> int:
    """Write SQLAlchemy 2.0 models of the live database (what they cannot express is listed)."""
    settings = settings_from(db_url, schema_names, exclude_schema)
    result = run(pull(settings, out, force=force))
    if fmt == "json":
        summary = {
            "path": str(result.path),
            "database": result.database,
            "server_version": result.server_version,
            "schemas": list(result.schemas),
            "tables": list(result.tables),
            "not_expressible": [n.to_dict() for n in result.not_expressible],
        }
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return EXIT_OK
    click.echo(
        f"wrote {result.path}: {counted(len(result.tables), 'table')} from {result.database}",
        err=True,
    )
    if result.not_expressible:
        click.echo(
            f"{counted(len(result.not_expressible), 'item')} SQLAlchemy cannot express, "
            "listed at the top of the file:",
            err=True,
        )
        for item in result.not_expressible:
            click.echo(f"  {item.line()}", err=True)
    return EXIT_OK
