"""Text for the terminal: plans, their per-step locks, sizes and estimates, and lock traces.

The preview is `studio.plan.preview`'s, read through `studio.commands.preview`;
the traces are `studio.run.trace`'s. Shared by `migrate`, `rollback`,
`generate` and `lint`; everything goes to stderr except what a command
declares as its data.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from studio.cli import run, warn
from studio.config import mask_dsn
from studio.errors import StudioError
from studio.plan.locks.modes import LockMode
from studio.run.events import Direction
from studio.words import counted

if TYPE_CHECKING:
    from studio.commands.migrate import Plan
    from studio.config import Settings
    from studio.plan.preview import Preview, StepEstimate
    from studio.run.trace import StatementTrace, TraceReport

T = TypeVar("T")


def quietly(coro: Coroutine[Any, Any, T], what: str) -> T | None:
    """Run a read-only look-up whose failure must not stop the command: warn and go on."""
    try:
        return run(coro)
    except StudioError as e:
        warn(f"{what}: {e.message}")
        return None


def step_lines(step: StepEstimate, indent: str = "       ") -> list[str]:
    """A step's locks, sizes and time, indented under its title."""
    out = []
    for line in step.lines():
        head, _, rest = line.partition(":")
        out.append(f"{indent}{click.style(head + ':', dim=True)}{rest}")
    return out


def pending_scope(target: str | None) -> str:
    """What `trace_pending` traced, in words."""
    return f"the migrations pending on {target}" if target else "every migration (no target given)"


def echo_preview(preview: Preview, title: str) -> None:
    """Every step of a preview, under a title, on stderr."""
    click.echo(title, err=True)
    version = None
    for step in preview.steps:
        if step.version != version:
            version = step.version
            if version:
                click.echo(f"  {version}:", err=True)
        flags = "" if step.transactional else "  [no transaction]"
        click.echo(f"    {step.index}. {step.title}{flags}", err=True)
        for line in step_lines(step):
            click.echo(line, err=True)


def plan_preview(settings: Settings, plan: Plan) -> Preview | None:
    """Locks, sizes and estimates of a plan's steps, read from the target (None: not readable)."""
    # deferred: the analysis (lint, estimates, probes) loads only when a plan is shown
    from studio.commands.preview import preview_steps

    if not plan.migrations:
        return None
    return quietly(
        preview_steps(settings, plan.url, plan.migrations), "sizes and estimates not read"
    )


def print_plan(plan: Plan, preview: Preview | None = None) -> None:
    """What `migrate` or `rollback` would run, step by step (with the preview's estimates)."""
    verb = "Roll back" if plan.direction is Direction.DOWN else "Apply"
    click.echo(f"{verb} on {mask_dsn(plan.url)}:", err=True)
    for m, done in zip(plan.migrations, plan.done, strict=True):
        steps = m.steps if plan.direction is Direction.UP else (m.down_steps or ())
        # a Python step always runs step by step (it may commit batches)
        whole = all(s.transactional and s.python is None for s in steps)
        how = "one transaction" if whole else "step by step"
        resume = f", resuming after step {done}" if done else ""
        click.echo(
            f"  {m.version}_{m.name}: {counted(len(steps), 'step')}, {how}{resume}", err=True
        )
        for step in steps[done:]:
            flags = "" if step.transactional else "  [no transaction]"
            click.echo(f"    {step.index}. {step.title}{flags}", err=True)
            estimate = preview.step(m.version, step.index) if preview else None
            for line in step_lines(estimate) if estimate else ():
                click.echo(line, err=True)


# --- lock traces ---------------------------------------------------------------------------------

_STATUS = {
    "agrees": ("agrees with the knowledge base", "green"),
    "defect": ("KNOWLEDGE-BASE DEFECT", "red"),
    "not traced": ("not traced", "yellow"),
    "failed": ("FAILED", "red"),
}


def _statement(s: StatementTrace) -> list[str]:
    text, colour = _STATUS[s.status]
    lines = [f"{s.path}:{s.line}: {s.sql}"]
    predicted = [f"{f.mode.label} on {f.relation}" for f in s.predicted if not f.placeholder]
    lines.append(f"    predicted: {', '.join(predicted) or 'no lock'}")
    seen = s.observation
    if seen is not None:
        shown = {f.relation for f in s.predicted}
        pairs = [(rel, m) for rel, m in seen.held() if rel in shown or m > LockMode.ACCESS_SHARE]
        held = [f"{m.label} on {rel}" for rel, m in pairs]
        if reads := len(seen.held()) - len(pairs):
            held.append(f"ACCESS SHARE on {counted(reads, 'other relation')}")
        rewritten = f"; rewrote {', '.join(sorted(seen.rewritten))}" if seen.rewritten else ""
        lines.append(f"    observed:  {', '.join(held) or 'no lock'}{rewritten}")
        lines.append(f"               ({seen.how.value})")
    for d in s.defects:
        lines.append("    " + click.style("defect: ", fg="red", bold=True) + d.describe())
    if s.skipped:
        lines.append(f"    not traced: {s.skipped}")
    if s.error:
        lines.append("    " + click.style("error: ", fg="red", bold=True) + s.error)
    lines.append("    " + click.style(text, fg=colour, bold=s.status != "agrees"))
    return lines


def echo_trace(report: TraceReport, scope: str) -> None:
    """A lock trace, statement by statement, then its summary (stdout: it is the command's data)."""
    rows = f", {report.rows:,} synthetic rows per table" if report.rows else ""
    major = report.server_version // 10000
    click.echo(
        f"lock trace of {scope} on a throwaway PostgreSQL {major} database "
        f"({counted(len(report.replayed), 'migration')} replayed first{rows})",
        err=True,
    )
    for note in report.notes:
        click.echo(f"-- {note}", err=True)
    for s in report.statements:
        click.echo("\n".join(_statement(s)))
    c = report.counts()
    summary = (
        f"{counted(len(report.statements), 'statement')}: {c['agrees']} agree,"
        f" {c['defect']} with a "
        f"knowledge-base defect, {c['not traced']} not traced, {c['failed']} failed"
    )
    click.echo(summary, err=True)
    if c["defect"]:
        click.echo(
            "  a defect means schema-studio's lock knowledge base predicted something else than "
            "PostgreSQL did: please report it "
            "(the locks shown by lint and migrate are wrong there)",
            err=True,
        )
