"""`status`: the migrations against the history, and drift (thin over `studio.commands.status`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from studio.cli import EXIT_OK, cli, json_line, run, settings_from
from studio.cli.fleet import fleet_option
from studio.cli.options import format_option, target_options
from studio.commands.status import status
from studio.config import mask_dsn
from studio.diff.sides import sided
from studio.run.history import State
from studio.run.inflight import Stage
from studio.words import counted

if TYPE_CHECKING:
    from studio.commands.status import StatusReport
    from studio.run.history import Entry

_MARK = {
    State.APPLIED: "applied",
    State.PENDING: "pending",
    State.PARTIAL: "PARTIAL",
    State.ROLLING_BACK: "ROLLING BACK",
    State.MODIFIED: "MODIFIED",
    State.MISSING: "MISSING",
    State.SQUASHED: "squashed",
}


@cli.command("status")
@fleet_option("status")
@target_options
@format_option("text", "json")
def status_cmd(
    db_url: str | None, schema_names: tuple[str, ...], exclude_schema: tuple[str, ...], fmt: str
) -> int:
    """Show applied, pending, modified and missing migrations."""
    settings = settings_from(db_url, schema_names, exclude_schema)
    report = run(status(settings))
    if fmt == "json":
        json_line(_json(report))
    else:
        _text(report)
    return EXIT_OK


def _json(report: StatusReport) -> dict[str, Any]:
    return {
        "database": mask_dsn(report.url),
        "directory": str(report.directory),
        "history_table_exists": report.status.table_exists,
        "migrations": [
            {
                **_json_entry(e),
                "phase": (stage := report.in_flight.stages.get(e.version)) and stage.value,
                "passed_waiting_contracts": list(report.in_flight.passed.get(e.version, ())),
            }
            for e in report.status.entries
        ],
        "drift": None if report.drift is None else [c.to_dict() for c in report.drift],
        "expand_contract": [
            {
                "expand": p.expand.version,
                "contract": p.contract.version if p.contract else None,
                "state": p.state.value,
                "percent": p.percent,
                "rows_done": p.rows_done,
                "rows_total": p.rows_total,
            }
            for p in report.pairs
        ],
    }


def _json_entry(e: Entry) -> dict[str, Any]:
    return {
        "version": e.version,
        "name": e.name,
        "state": e.state.value,
        "out_of_order": e.out_of_order,
        "steps_total": len(e.migration.steps)
        if e.migration
        else (e.row.steps_total if e.row else None),
        "steps_done": e.row.steps_done if e.row else 0,
        "applied_at": e.row.finished_at.isoformat() if e.row and e.row.finished_at else None,
        "applied_by": e.row.applied_by if e.row else None,
        "kind": e.row.kind.value if e.row else None,
        "checksum": e.migration.checksum if e.migration else None,
        "checksum_applied": e.row.checksum if e.row else None,
    }


def _text(report: StatusReport) -> None:
    click.echo(f"-- {mask_dsn(report.url)}, migrations in {report.directory}", err=True)
    if not report.status.entries:
        click.echo("no migrations")
    for e in report.status.entries:
        phase = report.in_flight.describe(e.version)
        waits = report.in_flight.stages.get(e.version) is Stage.CONTRACT_WAITING
        click.echo(_entry_line(e, waiting=waits) + (f"  [{phase}]" if phase else ""))
    if report.pairs:
        click.echo("expand/contract:")
    for p in report.pairs:
        contract = f" -> {p.contract.version}_{p.contract.name}" if p.contract else ""
        click.echo(f"  {p.expand.version}_{p.expand.name}{contract}: {p.describe()}")
    if report.drift is None:
        click.echo(f"live schema: {report.drift_note}")
    elif report.drift:
        click.echo(_drift_head(report, len(report.drift)))
        for change in report.drift:
            click.echo(f"  {sided(change, new='the database', old='the migrations')}")
    else:
        click.echo("live schema: matches the applied migrations")
    counts = {s: len(report.status.having(s)) for s in State}
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    click.echo(summary or "nothing applied, nothing pending", err=True)


def _drift_head(report: StatusReport, n: int) -> str:
    """Why the live schema differs from its applied migrations, when the database says."""
    differences = counted(n, "difference")
    if report.pushed is not None:
        p = report.pushed
        return (
            f"live schema: pushed {p.pushed_at:%Y-%m-%d %H:%M:%S} by {p.pushed_by}, so ahead of"
            f" its migrations: {differences} from the applied ones (`push` changes the database"
            " without a migration; `schema-studio generate` writes them as one)"
        )
    drift = f"live schema: drift, {differences} from the applied migrations"
    return click.style(drift, fg="red") + " (see `schema-studio check`)"


def _entry_line(e: Entry, *, waiting: bool = False) -> str:
    line = f"{_MARK[e.state]:<12} {e.version}_{e.name}"
    if e.row is not None:
        when = e.row.finished_at or e.row.started_at
        line += f"  {when:%Y-%m-%d %H:%M:%S} by {e.row.applied_by}"
        if e.row.kind.value == "baseline":
            line += " (baseline)"
        if e.row.kind.value == "squash":
            line += " (recorded for the migrations it squashes)"
    if e.state is State.PARTIAL and e.row:
        line += f"  ({e.row.steps_done}/{counted(e.row.steps_total, 'step')}: `migrate` resumes it)"
    if e.state is State.MODIFIED:
        line += "  (file changed after it was applied)"
    if e.state is State.MISSING:
        line += "  (in the history, not on disk)"
    if e.state is State.SQUASHED:
        line += "  (the migrations it squashes are applied: `migrate` records it)"
    if e.out_of_order and not waiting:
        line += (
            "  (older than the last applied, added on another branch:"
            f" `schema-studio rebase {e.version}` or --allow-out-of-order)"
        )
    return line
