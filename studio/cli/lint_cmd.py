"""`lint`: hazards of SQL files or of the pending migrations (thin over `commands.lint`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from studio.cli import EXIT_ERROR, cli, run, settings_from
from studio.cli.annotations import echo_annotations
from studio.cli.options import format_option, target_options
from studio.cli.preview_view import echo_trace, pending_scope
from studio.commands.lint import lint_project
from studio.errors import UsageError
from studio.plan.locks.hazards import Level
from studio.plan.locks.lint import grouped
from studio.plan.locks.modes import summary
from studio.words import counted

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.plan.locks.lint import Finding, LintReport, RepeatedFinding, StatementFindings
    from studio.run.trace import TraceReport

_LEVEL_COLOUR = {Level.DANGER: "red", Level.WARNING: "yellow", Level.INFO: "cyan"}


def _pg_version(text: str | None) -> int | None:
    """`15`, `14.2` or `140002` -> server_version_num."""
    if text is None:
        return None
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?", text.strip())
    if m is None:
        raise UsageError(
            f"--pg-version {text!r} is not a version", "e.g. --pg-version 15 or --pg-version 14.2"
        )
    major, minor = int(m[1]), int(m[2] or 0)
    return major if major >= 1000 else major * 10000 + minor


@cli.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--fail-on",
    type=click.Choice([lv.label for lv in Level]),
    default="danger",
    show_default=True,
    help="Exit 2 when a hazard at or above this level is found.",
)
@click.option(
    "--external",
    is_flag=True,
    help="The SQL is run by another tool, not schema-studio's runner:"
    " check lock_timeout, psql transactions.",
)
@click.option(
    "--pg-version",
    metavar="N[.M]",
    help="Server version to analyse for (default: the target's, else 18).",
)
@click.option(
    "--trace",
    is_flag=True,
    help="Also run each statement in a throwaway database and report the locks it held "
    "beside the knowledge base's prediction.",
)
@click.option(
    "--rows",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="With --trace: first put N synthetic rows in each table the statements touch.",
)
@target_options
@format_option("text", "json", "github")
def lint_cmd(
    paths: tuple[Path, ...],
    fail_on: str,
    external: bool,
    pg_version: str | None,
    trace: bool,
    rows: int,
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    fmt: str,
) -> int:
    """Lint SQL files or migrations for lock hazards (default: the pending migrations).

    Each statement is analysed with the lock knowledge base: the locks it takes,
    what they block, whether it rewrites or scans, and the hazards that follow.
    `-- schema-studio:ignore <hazard-id> <reason>` before a statement accepts a
    hazard there. `--format github` writes the findings as GitHub workflow
    annotations on their files and lines. Exit codes: 0 clean, 2 hazards at or
    above --fail-on, 1 error.
    """
    if rows and not trace:
        raise UsageError("--rows goes with --trace", "e.g. lint --trace --rows 10000")
    settings = settings_from(db_url, schema_names, exclude_schema)
    version = _pg_version(pg_version)
    report = run(lint_project(settings, paths, external=external, server_version=version))
    level = Level.parse(fail_on)
    code = report.exit_code(level)
    traced = _trace(settings, paths, rows, version) if trace else None
    if traced is not None and traced[0].failed is not None:
        code = EXIT_ERROR
    if fmt == "json":
        data = report.to_dict()
        data["fail_on"] = level.label
        data["exit_code"] = code
        if traced is not None:
            data["trace"] = {"scope": traced[1], **traced[0].to_dict()}
        click.echo(json.dumps(data, indent=2))
    elif fmt == "github":
        echo_annotations(report, level)
        if traced is not None:
            echo_trace(*traced)
    else:
        _text(report, level)
        if traced is not None:
            echo_trace(*traced)
    return code if code in (0, 2) else EXIT_ERROR


def _trace(
    settings: Settings, paths: tuple[Path, ...], rows: int, version: int | None
) -> tuple[TraceReport, str]:
    """The lock trace of the files given, or of the pending migrations, and what it covered."""
    # deferred: the tracer (its throwaway database, pg_locks) loads for --trace only
    from studio.commands.trace import trace_paths, trace_pending

    major = version // 10000 if version else None
    if paths:
        return run(trace_paths(settings, paths, rows=rows, major=major)), "the files given"
    report, target = run(trace_pending(settings, rows=rows))
    return report, pending_scope(target)


def _statement(group: StatementFindings, said: dict[tuple[str, str], int]) -> list[str]:
    """The statement and its locks once, then each of its findings.

    A hazard's message and fix are said at its first statement of the file;
    later ones point there (`said`: (path, hazard id) -> that line).
    """
    lines = [f"{group.path}:{group.line}: {group.statement}"]
    for fact in group.facts:
        cond = f" ({'; '.join(fact.conditions)})" if fact.conditions else ""
        lines.append(
            f"    locks: {fact.mode.label} on {fact.relation}, blocks {summary(fact.blocks)}; "
            f"{fact.effect.label}{cond}"
        )
    for f in group.findings:
        lines += _finding(f, said.get((f.path, f.hazard.id)))
        said.setdefault((f.path, f.hazard.id), f.line)
    return lines


def _finding(f: Finding, said_at: int | None) -> list[str]:
    colour = _LEVEL_COLOUR[f.level]
    head = click.style(
        f"{f.level.label} {f.hazard.id}", fg=None if f.ignored else colour, bold=not f.ignored
    )
    if said_at is not None:
        lines = [f"  {head}: as at line {said_at}"]
    else:
        lines = [f"  {head}: {f.hazard.message}"]
    if f.detail:
        lines.append(f"      on: {f.detail}")
    if f.ignored is not None:
        lines.append(f"      ignored: {f.ignored}")
    elif said_at is None:
        lines.append(f"      fix: {f.hazard.fix}")
    return lines


def _repeated(r: RepeatedFinding) -> list[str]:
    """A style finding said once for its file, naming the statements it is on."""
    head = click.style(f"{r.hazard.level.label} {r.hazard.id}", fg=_LEVEL_COLOUR[r.hazard.level])
    on = ", ".join(f"{line} ({detail})" if detail else str(line) for line, detail in r.where)
    return [
        f"{r.path}: {head} on {counted(len(r.where), 'statement')}: {r.hazard.message}",
        f"      lines: {on}",
        f"      fix: {r.hazard.fix}",
    ]


def _text(report: LintReport, fail_on: Level) -> None:
    for note in report.notes:
        click.echo(f"-- {note}", err=True)
    statements, repeated = grouped(report.findings)
    said: dict[tuple[str, str], int] = {}
    for group in statements:
        click.echo("\n".join(_statement(group, said)))
    for r in repeated:
        click.echo("\n".join(_repeated(r)))
    c = report.counts()
    total = c["danger"] + c["warning"] + c["info"]
    files = len(report.files)
    ignored = f", {c['ignored']} ignored" if c["ignored"] else ""
    line = (
        f"{counted(total, 'hazard')} in {counted(files, 'file')}: "
        f"{c['danger']} danger, {c['warning']} warning, {c['info']} info"
        f"{ignored} (failing on {fail_on.label} and above)"
    )
    click.echo(line, err=True)
