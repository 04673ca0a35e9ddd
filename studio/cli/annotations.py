"""GitHub workflow commands: lint's findings as annotations on their lines (`--format github`).

A line `::warning file=PATH,line=N,title=ID::message` on a step's output
becomes an annotation on that line of the pull request's diff. The message
escapes `%`, CR and LF (as `%25`, `%0D`, `%0A`); a property value escapes
`:` and `,` too, which would end it (the runner's toolkit does the same).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from studio.plan.locks.hazards import Level
from studio.words import counted

if TYPE_CHECKING:
    from studio.plan.locks.lint import Finding, LintReport

# the annotation a level becomes: a danger fails the check run's look, info is a notice
COMMAND = {Level.DANGER: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message, escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title), escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str, **properties: str | int | None) -> str:
    """`::name key=value,...::message`, every part escaped; None properties left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def relative(path: str, base: Path | None = None) -> str:
    """`path` relative to `base` (the current folder: the repository's root in a workflow).

    GitHub places an annotation by the file's path in the repository; one
    outside `base` is left as it is.
    """
    here = (base or Path.cwd()).resolve()
    try:
        return Path(os.path.abspath(path)).relative_to(here).as_posix()
    except ValueError:
        return path


def annotation(f: Finding, base: Path | None = None) -> str:
    """One finding as an annotation on the first line of its statement."""
    parts = [f.hazard.message]
    if f.detail:
        parts.append(f"on: {f.detail}")
    parts.append(f"statement: {f.statement}")
    parts.append(f"fix: {f.hazard.fix}")
    return workflow_command(
        COMMAND[f.level],
        "\n".join(parts),
        file=relative(f.path, base),
        line=f.line,
        title=f.hazard.id,
    )


def finding_annotations(report: LintReport, base: Path | None = None) -> list[str]:
    """Every finding no ignore comment accepted, as annotations (accepted ones are not shown)."""
    return [annotation(f, base) for f in report.active()]


def summary(report: LintReport, fail_on: Level) -> str:
    """The closing line (stderr): counts per level and the level that fails the step."""
    c = report.counts()
    total = c["danger"] + c["warning"] + c["info"]
    ignored = f", {c['ignored']} ignored" if c["ignored"] else ""
    return (
        f"{counted(total, 'hazard')} in {counted(len(report.files), 'file')}: "
        f"{c['danger']} danger, {c['warning']} warning, {c['info']} info{ignored}"
        f" (failing on {fail_on.label} and above)"
    )


def echo_annotations(report: LintReport, fail_on: Level) -> None:
    """The annotations on stdout (where the runner reads them); notes and counts on stderr."""
    for note in report.notes:
        click.echo(f"-- {note}", err=True)
    for line in finding_annotations(report):
        click.echo(line)
    click.echo(summary(report, fail_on), err=True)
