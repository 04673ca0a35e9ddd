"""The command line: thin click commands over the use cases of `studio.commands`.

stdout carries data (SQL, JSON, reports); stderr carries progress and
diagnostics. Exit codes: 0 success / no differences, 1 error of any kind
(usage errors included), 2 differences, hazards or an unanswered question.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import importlib
import json
import os
import re
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from studio import __version__
from studio.config import Settings, has_password, load, scrub_secrets, secrets_in, with_overrides
from studio.errors import StudioError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_DIFFERENCES = 2
# killed by SIGINT (Ctrl-C), as shells report it: 128 + 2
EXIT_INTERRUPTED = 130

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a core coroutine from a command.

    The main task returns nothing: on its way out, asyncio.run restores the
    SIGINT handler, and `signal.signal` formats the replaced handler (which
    holds the task, whose repr holds its result) into an error message it
    then discards. With two 1,000-table schemas in the result that repr took
    0.17 to 0.27 s of every command.
    """
    box: list[T] = []

    async def main() -> None:
        box.append(await coro)

    asyncio.run(main())
    return box[0]


def warn(message: str) -> None:
    """A diagnostic line on stderr."""
    click.echo(click.style("warning: ", fg="yellow") + message, err=True)


def json_line(data: dict[str, Any]) -> None:
    """One JSON object on one line of stdout (dates and other values as their text)."""
    click.echo(json.dumps(data, default=str))


def interactive() -> bool:
    """Whether someone can be asked: stdin is a terminal."""
    return sys.stdin.isatty()


def settings_from(
    db_url: str | None = None,
    schema_names: tuple[str, ...] = (),
    exclude_schema: tuple[str, ...] = (),
    *,
    exclude: tuple[str, ...] = (),
    **extra: Any,
) -> Settings:
    """Config file merged with command-line options (--exclude adds to the config's)."""
    if db_url and has_password(db_url):
        warn(
            "a password in --db is visible to other users of this machine (process list); "
            "prefer PGPASSWORD or ~/.pgpass"
        )
    settings = load(
        db_override=db_url, schemas=schema_names, exclude_schemas=exclude_schema, **extra
    )
    if exclude:
        settings = dataclasses.replace(settings, exclude=settings.exclude + exclude)
    return settings


def note(message: str) -> None:
    """An informational line on stderr (not a warning)."""
    click.echo(message, err=True)


class StudioGroup(click.Group):
    """A group that prints StudioErrors as one line and remaps usage errors to exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: D102
        return sorted(set(_command_modules()) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # noqa: D102
        _load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.Abort as e:
            if isinstance(e.__context__, KeyboardInterrupt):
                # click turns Ctrl-C (SIGINT) into Abort: an interruption, not a declined prompt
                click.echo("interrupted", err=True)
                sys.exit(EXIT_INTERRUPTED)
            click.echo("aborted", err=True)
            sys.exit(EXIT_ERROR)
        except click.UsageError as e:
            # click exits 2 on usage errors; 2 means "differences" here
            msg = e.format_message()
            ctx = f" ({e.ctx.command_path})" if e.ctx else ""
            click.echo(f"error: {msg}{ctx}", err=True)
            click.echo("  hint: run the command with --help", err=True)
            sys.exit(EXIT_ERROR)
        except click.ClickException as e:
            _error(e.format_message())
            sys.exit(EXIT_ERROR)
        except StudioError as e:
            _error(e.message, e.hint)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as e:  # a bug of ours: one line unless asked for the traceback
            if os.environ.get("STUDIO_DEBUG"):
                raise
            first = str(e).splitlines()[0] if str(e) else ""
            click.echo(
                scrub_secrets(f"internal error: {e.__class__.__name__}: {first}", _given_secrets()),
                err=True,
            )
            click.echo(
                "  hint: this is a bug in schema-studio; "
                "rerun with STUDIO_DEBUG=1 for the traceback",
                err=True,
            )
            sys.exit(EXIT_ERROR)
        if isinstance(rv, int):
            sys.exit(rv)
        sys.exit(EXIT_OK)


def _given_secrets() -> set[str]:
    """The passwords this process was given (environment, arguments): never to be printed."""
    return secrets_in(os.environ, sys.argv)


def _error(message: str, hint: str | None = None) -> None:
    """The one `error:` line (and hint), with any password the process was given masked.

    Messages mask DSNs where they are built; this is the net under them.
    """
    secrets_ = _given_secrets()
    click.echo(scrub_secrets(f"error: {message}", secrets_), err=True)
    if hint:
        click.echo(scrub_secrets(f"  hint: {hint}", secrets_), err=True)


@click.group(
    cls=StudioGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(
    __version__, "--version", prog_name="schema-studio", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(ctx: click.Context) -> int | None:
    """Version control for PostgreSQL schemas, with a lock-aware studio.

    With no command, opens the studio.
    """
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())  # the studio needs a terminal; a pipe gets the usage
            return None
        settings = settings_from()
        if settings.database_url(required=False) is not None:
            # deferred: Textual, loaded only when the studio opens
            from studio.tui import run as open_studio

            open_studio(settings)
            return None
        # deferred: the demo's modules only when no database is configured
        from studio.demo import workspace

        if settings.schema != workspace.DEMO_SCHEMA or settings.root is None:
            click.echo(ctx.get_help())
            warn(
                f"no database to open the studio on: set {settings.database_url_env} "
                "(or run `schema-studio demo` to try it on a demo database)"
            )
            return None
        # a clone of this repository: its own config, on a persistent demo database
        # in the embedded cluster, kept at an older migration so there is work to review
        # deferred: the demo cluster's modules, on this path only
        from studio.sources.devdb.binaries import find_binaries

        # deferred: the demo cluster's modules, on this path only
        from studio.sources.devdb.cluster import Cluster

        # deferred: Textual, loaded only when the studio opens
        from studio.tui import run as open_studio

        binaries = find_binaries(None)
        click.echo("starting the embedded PostgreSQL for the demo database ...", err=True)
        cluster = Cluster.ensure(f"{workspace.CLUSTER}-pg{binaries.major}", binaries)
        try:
            url = run(workspace.ensure_database(cluster, settings, f"{workspace.DATABASE}_repo"))
            open_studio(
                with_overrides(settings, db_override=url),
                demo=True,
                demo_note=f"set {settings.database_url_env} to open your own",
            )
        finally:
            cluster.stop()
    return None


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="schema-studio")
    finally:
        # The process ends here. The interpreter's last garbage collections
        # would walk every object the command built (20 ms after `inspect` of
        # 1,000 tables); frozen, they are skipped, and the memory goes back
        # with the process. (No finalizer in studio depends on them.)
        gc.freeze()


_COMMAND = re.compile(r'^@cli\.(?:command|group)\(\s*"([a-z][a-z0-9-]*)"', re.MULTILINE)


@functools.cache
def _command_modules() -> dict[str, str]:
    """Command name -> the `studio/cli/*_cmd.py` module that registers it, read without importing.

    Commands load on first use, so `schema-studio inspect` pays for the
    inspect command's imports only, not for every command's.
    """
    index: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*_cmd.py")):
        for name in _COMMAND.findall(path.read_text(encoding="utf-8")):
            index[name] = f"{__name__}.{path.stem}"
    return index


def _load_command(name: str) -> None:
    module = _command_modules().get(name)
    if module is not None and name not in cli.commands:
        importlib.import_module(module)
