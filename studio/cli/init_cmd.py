"""`init`: set a project up for schema-studio (thin over `commands.init`).

On a terminal it asks for what no option gave, proposing what it found;
otherwise it takes the options and the defaults, and refuses to guess between
several declared schemas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from studio.cli import EXIT_OK, cli, interactive, run, warn
from studio.cli.options import format_option
from studio.commands.init import Choices, Declared, discover, init, module_of
from studio.config import has_password
from studio.errors import UsageError

if TYPE_CHECKING:
    from studio.commands.init import Initialized

DEFAULT_MIGRATIONS = "migrations"
DEFAULT_ENV = "DATABASE_URL"


@cli.command("init")
@click.option(
    "--schema",
    "schema",
    metavar="SPEC",
    help="The declared schema: package.module:attr (SQLAlchemy MetaData or DeclarativeBase), "
    "a .sql file or folder, or `migrations` (default: the one found in the project).",
)
@click.option(
    "--migrations-dir",
    metavar="DIR",
    help=f"The migrations folder, relative to the project (default: {DEFAULT_MIGRATIONS}).",
)
@click.option(
    "--db-env",
    metavar="NAME",
    help="The environment variable that will hold the database URL; the URL itself is "
    f"never written to the file (default: {DEFAULT_ENV}).",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="An existing database: write a baseline migration of what it holds and record it "
    "there as applied (no SQL runs on it).",
)
@click.option(
    "--pull",
    is_flag=True,
    help="With --db: also write SQLAlchemy models of it (--models) and declare them.",
)
@click.option(
    "--models",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("models.py"),
    show_default=True,
    help="Where --pull writes the models.",
)
@format_option("text", "json")
def init_cmd(
    schema: str | None,
    migrations_dir: str | None,
    db_env: str | None,
    db_url: str | None,
    pull: bool,
    models: Path,
    fmt: str,
) -> int:
    """Write [tool.schema-studio] in pyproject.toml, the migrations folder and, with --db,
    a baseline of an existing database; then say what to run next."""
    root = Path.cwd()
    if db_url and has_password(db_url):
        warn("a password in --db is visible to other users of this machine; prefer ~/.pgpass")
    ask = interactive() and fmt == "text"
    if pull:
        schema = schema or f"{module_of(root / models, root)}:Base"
    elif schema is None:
        schema = _declared(discover(root), root, ask)
    if ask and migrations_dir is None:
        migrations_dir = _prompt("migrations folder", DEFAULT_MIGRATIONS)
    if ask and db_env is None:
        db_env = _prompt("environment variable of the database URL", DEFAULT_ENV)
    choices = Choices(schema, migrations_dir or DEFAULT_MIGRATIONS, db_env or DEFAULT_ENV)
    done = run(init(root, choices, db_url=db_url, models=root / models if pull else None))
    if fmt == "json":
        click.echo(json.dumps(_json(done), indent=2))
    else:
        _text(done, root)
    return EXIT_OK


def _declared(found: tuple[Declared, ...], root: Path, ask: bool) -> str:
    """The declared schema: the one found, the user's pick on a terminal, else refused."""
    if ask:
        for d in found:
            click.echo(f"found {d.kind} {d.spec} ({d.path.relative_to(root)}:{d.line})", err=True)
        default = found[0].spec if found else None
        return _prompt(
            "declared schema (package.module:attr, a .sql file or folder, or migrations)", default
        )
    if len(found) == 1:
        return found[0].spec
    if not found:
        raise UsageError(
            "no SQLAlchemy DeclarativeBase or MetaData found in the project",
            "pass --schema package.module:attr (or a .sql file or folder, or migrations),"
            " or --db URL --pull to write models of an existing database",
        )
    raise UsageError(
        f"{len(found)} declared schemas found: {', '.join(d.spec for d in found)}",
        "pass --schema with the one to use",
    )


def _prompt(text: str, default: str | None) -> str:
    value: str = click.prompt(text, default=default, err=True)
    return value.strip()


def _text(done: Initialized, root: Path) -> None:
    where = done.pyproject.relative_to(root)
    verb = "created" if done.created_pyproject else "added [tool.schema-studio] to"
    click.echo(f"{verb} {where}:", err=True)
    click.echo("".join(f"  {line}\n" for line in done.section.splitlines()), nl=False, err=True)
    click.echo(f"migrations in {done.migrations_dir}", err=True)
    if done.pulled is not None:
        click.echo(f"wrote {done.pulled.path}: models of {done.pulled.database}", err=True)
    if done.baseline_path is not None:
        click.echo(
            f"wrote {done.baseline_path} and recorded it as applied (baseline, no SQL ran)",
            err=True,
        )
    for note in done.notes:
        warn(note)
    for step in done.next_steps:
        click.echo(f"next: {step}", err=True)


def _json(done: Initialized) -> dict[str, object]:
    return {
        "pyproject": str(done.pyproject),
        "created_pyproject": done.created_pyproject,
        "migrations": str(done.migrations_dir),
        "baseline": list(done.baseline),
        "baseline_path": str(done.baseline_path) if done.baseline_path else None,
        "models": str(done.pulled.path) if done.pulled else None,
        "notes": list(done.notes),
        "next": list(done.next_steps),
    }
