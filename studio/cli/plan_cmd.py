"""`plan`: what `migrate` would do, step by step, as text, JSON or a pull-request comment.

Thin over `commands.plan_report`. The report is the command's data: stdout;
notes go to stderr in text form (the JSON and Markdown carry them).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from studio.cli import EXIT_DIFFERENCES, cli, run, settings_from
from studio.cli.options import format_option, no_rename_option, rename_option, target_options
from studio.cli.plan_markdown import markdown, seconds
from studio.cli.preview_view import step_lines
from studio.commands.generate import UnresolvedRenames
from studio.commands.plan_report import plan_report
from studio.plan.locks.hazards import Level
from studio.plan.locks.modes import summary
from studio.plan.report import Source
from studio.words import counted

if TYPE_CHECKING:
    from studio.plan.report import PlannedMigration, PlannedStep, PlanReport

_LEVEL_COLOUR = {Level.DANGER: "red", Level.WARNING: "yellow", Level.INFO: "cyan"}
# SQL lines shown per step in a terminal (the JSON has all of it)
_SQL_LINES = 12


@cli.command("plan")
@target_options
@click.option(
    "--since",
    metavar="VERSION",
    help="Without a database: plan the migration files newer than VERSION"
    " (default: the newest file alone).",
)
@click.option(
    "--fail-on",
    type=click.Choice([lv.label for lv in Level]),
    default="danger",
    show_default=True,
    help="Exit 2 when a hazard at or above this level is on a planned step (as lint).",
)
@rename_option
@no_rename_option
@format_option("text", "json", "markdown")
def plan_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    since: str | None,
    fail_on: str,
    renames: tuple[str, ...],
    no_rename: bool,
    fmt: str,
) -> int:
    """Show what migrate would do: each step's SQL, locks, hazards and estimated duration.

    With a database (read-only): the migrations pending on it, with sizes and
    durations from its statistics. Without one: the newest migration file (or
    those after --since), locks and hazards only. When nothing is pending: what
    generate would write now. `--format markdown` is a pull-request comment.
    Exit codes: 0 planned, 2 a hazard at or above --fail-on (or a rename to
    answer), 1 error.
    """
    settings = settings_from(db_url, schema_names, exclude_schema)
    level = Level.parse(fail_on)
    try:
        report = run(plan_report(settings, since=since, renames=renames, no_rename=no_rename))
    except UnresolvedRenames as e:
        click.echo(f"error: {e.message}\n  hint: {e.hint}", err=True)
        return EXIT_DIFFERENCES
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(level), indent=2))
    elif fmt == "markdown":
        click.echo(markdown(report), nl=False)
    else:
        for note in report.notes:
            click.echo(f"-- {note}", err=True)
        click.echo("\n".join(_text(report)))
    return report.exit_code(level)


def _text(report: PlanReport) -> list[str]:
    lines = [report.headline().replace("`", "")]
    if not report.migrations:
        return lines
    strongest = report.strongest()
    if strongest is not None:
        m, s, f = strongest
        lines.append(
            f"  strongest lock: {f.mode.label} on {f.relation} (blocks {summary(f.blocks)}),"
            f" {m.migration.version} step {s.step.index}"
        )
    c = report.counts()
    lines.append(f"  hazards: {c['danger']} danger, {c['warning']} warning, {c['info']} info")
    if report.estimated:
        lines.append(
            f"  time under locks that stop reads or writes: {seconds(report.blocking())};"
            f" whole run: {seconds(report.duration())}"
        )
    else:
        lines.append(
            f"  no database given: locks as on PostgreSQL {report.server_version // 10000};"
            " sizes and durations need one (--db, read-only)"
        )
    lines.append(f"  {report.lock_wait.replace('`', '')}")
    for m in report.migrations:
        lines += ["", *_migration(m, draft=report.source is Source.GENERATE)]
    return lines


def _migration(m: PlannedMigration, *, draft: bool) -> list[str]:
    how = "one transaction" if m.one_transaction else "step by step"
    phase = f", {m.migration.phase.value}" if m.migration.phase else ""
    where = "not written" if draft else str(m.migration.path)
    lines = [
        click.style(f"{m.migration.version}_{m.migration.name}", bold=True)
        + f" ({m.state}, {how}{phase}; {where})"
    ]
    for s in m.steps:
        lines += _step(s)
    return lines


def _step(s: PlannedStep) -> list[str]:
    flags = "" if s.step.transactional else "  [no transaction]"
    if s.done:
        return [f"  {s.step.index}. {s.step.title}  [done: committed by an interrupted run]"]
    lines = [f"  {s.step.index}. {s.step.title}{flags}"]
    if s.step.python is not None:
        # no SQL to analyse: no lock or time is claimed for it
        return [*lines, "       locks: not analysed: the lock analysis covers SQL only"]
    sql = s.step.sql.strip().splitlines()
    lines += [f"       {click.style(line, dim=True)}" for line in sql[:_SQL_LINES]]
    if len(sql) > _SQL_LINES:
        lines.append(f"       ... {counted(len(sql) - _SQL_LINES, 'more line')}")
    if s.estimate is not None:
        lines += step_lines(s.estimate)
    else:
        lines += [f"       locks: {f.describe()}" for f in s.facts if not f.placeholder] or [
            "       locks: none known to the knowledge base"
        ]
    for f in s.findings:
        head = click.style(f"{f.level.label} {f.hazard.id}", fg=_LEVEL_COLOUR[f.level], bold=True)
        on = f" (on {f.detail})" if f.detail else ""
        lines.append(f"       {head}: {f.hazard.message}{on}, line {f.line}")
        lines.append(f"         fix: {f.hazard.fix}")
    return lines
