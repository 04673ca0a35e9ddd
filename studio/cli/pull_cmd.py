"""`schema-studio pull`: write SQLAlchemy models of the live database, so it can adopt the tool."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import click

from studio.cli import EXIT_OK, cli, run, settings_from, warn
from studio.cli.options import format_option, target_options
from studio.codegen.sql_file import sources_line
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
    help="The models file to write; the SQL file beside it takes its name with .sql.",
)
@click.option("--force", is_flag=True, help="Overwrite the files if they exist.")
@click.option(
    "--with-privileges",
    is_flag=True,
    help="Also write the grants and owners to the SQL file (what diff --with-privileges compares).",
)
@format_option("text", "json")
def pull_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    out: Path,
    force: bool,
    with_privileges: bool,
    fmt: str,
) -> int:
    """Write SQLAlchemy 2.0 models of the live database, and beside them (OUT with .sql) the SQL
    of what they cannot express; print the declared schema the two make."""
    settings = settings_from(db_url, schema_names, exclude_schema)
    result = run(pull(settings, out, force=force, with_privileges=with_privileges))
    for line in result.warnings:
        warn(line)
    if fmt == "json":
        summary = {
            "path": str(result.path),
            "sql_path": str(result.sql_path),
            "database": result.database,
            "server_version": result.server_version,
            "schemas": list(result.schemas),
            "tables": list(result.tables),
            "not_expressible": [n.to_dict() for n in result.not_expressible],
            "sql_changes": [c.to_dict() for c in result.sql_changes],
            "sources": list(result.sources),
            "schema_line": sources_line(result.sources),
        }
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return EXIT_OK
    click.echo(
        f"wrote {result.path}: {counted(len(result.tables), 'table')} from {result.database}",
        err=True,
    )
    click.echo(
        f"wrote {result.sql_path}: {counted(len(result.sql_changes), 'statement')} of what"
        " SQLAlchemy cannot express, to run after the models",
        err=True,
    )
    if result.not_expressible:
        click.echo(
            f"{counted(len(result.not_expressible), 'item')} SQLAlchemy cannot express,"
            " listed at the top of the models:",
            err=True,
        )
        for item in result.not_expressible:
            click.echo(f"  {item.line()}", err=True)
    click.echo(
        "the declared schema is both, models first ([tool.schema-studio], or --to on the"
        " command line):",
        err=True,
    )
    click.echo(sources_line(result.sources))
    click.echo(" ".join(f"--to {shlex.quote(s)}" for s in result.sources))
    return EXIT_OK
