"""`schema-studio demo`: the studio on a throwaway embedded database, from any folder."""

from __future__ import annotations

import asyncio
import sys

import click

from studio.cli import EXIT_OK, cli
from studio.cli.diff_cmd import diff_text
from studio.commands import diff as commands
from studio.config import mask_dsn
from studio.demo import workspace
from studio.demo.writer import BackgroundWriter


@cli.command("demo")
@click.option("--keep", is_flag=True, help="Leave the demo cluster running when the demo ends.")
@click.option(
    "--no-studio", is_flag=True, help="Set up, print what the studio would show, tear down."
)
def demo_cmd(keep: bool, no_studio: bool) -> int:
    """Open the studio on a demo database (embedded PostgreSQL, users/orders with data)."""

    click.echo("starting the embedded PostgreSQL and a demo database ...", err=True)
    demo = asyncio.run(workspace.start())
    try:
        click.echo(
            f"demo database {mask_dsn(demo.url)} ({workspace.ORDERS:,} orders); "
            f"project in {demo.workspace}",
            err=True,
        )
        if no_studio or not sys.stdout.isatty():
            result = asyncio.run(commands.diff_sources(demo.settings))
            click.echo(diff_text(result))
        else:
            writer = BackgroundWriter(demo.url).start()
            try:
                # deferred: Textual, loaded only when the studio opens
                from studio.tui import open_demo

                open_demo(demo)
            finally:
                stats = writer.stop()
                click.echo(f"the demo application {stats.summary()}", err=True)
    finally:
        cleanup = workspace.stop(demo, keep=keep)
    if keep:
        click.echo(f"the demo cluster is still running (--keep): {mask_dsn(demo.url)}", err=True)
    for line in cleanup.left:
        click.echo(f"left: {line}", err=True)
    what = ", ".join(label for label, _ in cleanup.deleted)
    click.echo(
        f"demo stopped and cleaned up (deleted {what}); run `schema-studio demo` to open it again",
        err=True,
    )
    return EXIT_OK
