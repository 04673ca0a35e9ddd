"""`dev status` and `dev stop`: the warm dev server (thin over `studio.commands.dev`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from studio.cli import EXIT_OK, cli, json_line, settings_from
from studio.cli.options import format_option
from studio.commands.dev import dev_status, dev_stop
from studio.plan.estimates import human_seconds

if TYPE_CHECKING:
    from studio.commands.dev import DevStatus
    from studio.sources.devdb.servers import DevServer


@cli.group("dev", invoke_without_command=True)
@click.pass_context
def dev_group(ctx: click.Context) -> int:
    """The dev server declared schemas are materialized on: status, stop.

    It stays up `dev_idle_timeout` seconds (default 900) after the last
    command that used it, so the next one does not wait for it to start.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
    return EXIT_OK


@dev_group.command("status")
@format_option("text", "json")
def status_cmd(fmt: str) -> int:
    """Show the dev servers: running or not, pid, port, data dir, idle for, stops in."""
    report = dev_status(settings_from())
    if fmt == "json":
        json_line(_json(report))
    else:
        _text(report)
    return EXIT_OK


@dev_group.command("stop")
def stop_cmd() -> int:
    """Stop the dev servers now (exit 0 when none runs)."""

    def waiting(server: DevServer) -> None:
        click.echo(
            f"waiting for the command using dev server {server.name} to finish ...", err=True
        )

    stopped = dev_stop(waiting)
    for server in stopped:
        click.echo(f"stopped dev server {server.name} (pid {server.pid})", err=True)
    if not stopped:
        click.echo("no dev server was running", err=True)
    return EXIT_OK


def _text(report: DevStatus) -> None:
    if report.dev_url:
        click.echo(f"dev_url is set: declared schemas are materialized on {report.dev_url}")
    if not report.running:
        click.echo(f"no dev server is running (clusters folder {report.folder})")
    for s in report.running:
        version = f"PostgreSQL {s.version}" if s.version else f"PostgreSQL {s.major}"
        click.echo(f"dev server {s.name}: running, pid {s.pid}, port {s.port}, {version}")
        click.echo(f"  data dir: {s.data_dir}")
        click.echo(f"  {_when(report, s)}")


def _when(report: DevStatus, s: DevServer) -> str:
    if s.users:
        return f"in use by {s.users} command{'s' if s.users > 1 else ''}"
    idle = s.idle_for(report.now)
    if idle is None:
        return "idle, no stop scheduled: the next command stops it or schedules its stop"
    stops = s.stops_in(report.now)
    if stops is None:
        return f"idle for {human_seconds(idle)}, no reaper: the next command stops it"
    return f"idle for {human_seconds(idle)}, stops in {human_seconds(stops)}"


def _json(report: DevStatus) -> dict[str, Any]:
    return {
        "folder": str(report.folder),
        "dev_url": report.dev_url,
        "idle_timeout": report.timeout,
        "servers": [
            {
                "name": s.name,
                "running": s.running,
                "pid": s.pid,
                "port": s.port,
                "data_dir": str(s.data_dir),
                "major": s.major,
                "version": s.version,
                "bindir": s.bindir,
                "users": s.users,
                "idle_seconds": s.idle_for(report.now),
                "stops_in_seconds": s.stops_in(report.now),
                "timeout_seconds": s.idle.timeout if s.idle else None,
                "reaper_pid": s.reaper,
            }
            for s in report.servers
        ],
    }
