"""`schema-studio inspect`: the live schema as a tree or as the model's JSON."""

from __future__ import annotations

import click

from studio.cli import cli, run, settings_from
from studio.cli.options import format_option, target_options
from studio.cli.render import schema_tree
from studio.commands.inspect import inspect
from studio.config import mask_dsn


@cli.command("inspect")
@target_options
@format_option("text", "json")
def inspect_cmd(
    db_url: str | None, schema_names: tuple[str, ...], exclude_schema: tuple[str, ...], fmt: str
) -> int:
    """Print the live database's schema."""
    settings = settings_from(db_url, schema_names, exclude_schema)
    result = run(inspect(settings))
    if fmt == "json":
        click.echo(result.schema.to_json())
    else:
        major = result.server_version // 10000
        schemas = ", ".join(result.schemas) or "(none)"
        click.echo(
            f"-- {mask_dsn(result.url)} (PostgreSQL {major}), schemas: {schemas}",
            err=True,
        )
        click.echo(schema_tree(result.schema))
    return 0
