"""`migrate`: apply the pending migrations, or try them first (thin over `commands.migrate`).

Progress goes to stderr (one line per step); with `--format json` the
runner's events go to stdout, one JSON object per line.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import click

from studio.cli import (
    EXIT_DIFFERENCES,
    EXIT_ERROR,
    EXIT_OK,
    cli,
    interactive,
    json_line,
    run,
    settings_from,
    warn,
)
from studio.cli.fleet import fleet_option
from studio.cli.options import (
    backfill_options,
    format_option,
    target_options,
    wait_option,
)
from studio.cli.preview_view import echo_trace, pending_scope, plan_preview, print_plan
from studio.cli.progress import ProgressPrinter, event_sink, ms
from studio.commands import migrate as cm
from studio.commands.target import target_url
from studio.config import mask_dsn
from studio.errors import UsageError
from studio.migrations.format import Phase
from studio.run.inflight import Confirmation, takes_away
from studio.run.phases import ContractNotConfirmed
from studio.words import counted

if TYPE_CHECKING:
    from studio.config import Settings


@cli.command("migrate")
@fleet_option("migrate")
@target_options
@click.option("--to", "to", metavar="VERSION", help="Apply up to and including this version.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Run the pending migrations on a throwaway dev database, not the target.",
)
@click.option(
    "--on-target",
    is_flag=True,
    help="With --dry-run: try each pending migration on the target"
    " in a transaction that is rolled back.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation on a terminal.")
@wait_option("How long to wait for another migrator to finish.", show_default=True)
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Apply a pending migration older than the last applied one.",
)
@click.option(
    "--confirm-contract",
    is_flag=False,
    flag_value="all",
    default=None,
    metavar="[VERSION]",
    callback=lambda _ctx, _param, value: _confirmation(value),
    help="Apply the waiting contract migrations (or only contract VERSION): the old application"
    " version no longer runs anywhere. Without it, contracts wait and later migrations run"
    " past them.",
)
@backfill_options
@click.option(
    "--no-backfill",
    is_flag=True,
    help="Stop before a backfill step (run it later with `schema-studio backfill VERSION`).",
)
@click.option(
    "--trace",
    is_flag=True,
    help="With --dry-run: report the locks each statement held,"
    " beside the knowledge base's prediction.",
)
@click.option(
    "--rows",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="With --trace: first put N synthetic rows in each table the steps touch.",
)
@format_option("text", "json")
def migrate_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    to: str | None,
    dry_run: bool,
    on_target: bool,
    yes: bool,
    wait: float,
    allow_out_of_order: bool,
    confirm_contract: Confirmation,
    batch_size: int | None,
    pause: float | None,
    no_backfill: bool,
    trace: bool,
    rows: int,
    fmt: str,
) -> int:
    """Apply pending migrations, one step at a time, under lock_timeout.

    A contract migration (expand/contract) is applied only once its expand's
    backfill is done and --confirm-contract (or the prompt on a terminal)
    says the old application version is gone; without either it waits:
    migrate applies the later migrations past it (refusing one that uses a
    column it drops or renames), names the waiting contracts and exits 2.
    """
    settings = settings_from(db_url, schema_names, exclude_schema)
    if (trace or rows) and not dry_run:
        raise UsageError("--trace and --rows go with --dry-run", "e.g. migrate --dry-run --trace")
    if rows and not trace:
        raise UsageError("--rows goes with --trace", "e.g. migrate --dry-run --trace --rows 10000")
    if on_target and not dry_run:
        raise UsageError("--on-target goes with --dry-run", "e.g. migrate --dry-run --on-target")
    if trace:
        return _trace(settings, to, rows, fmt)
    if on_target:
        return _dry_run_on_target(settings, to, allow_out_of_order, yes, fmt)
    if dry_run:
        return _dry_run(settings, to, allow_out_of_order, fmt)
    asking = interactive()
    if fmt == "json":
        # the steps' locks, sizes and estimates come first, as one line
        pending = run(cm.migrate_plan(settings, to=to, allow_out_of_order=allow_out_of_order))
        if (preview := plan_preview(settings, pending)) is not None:
            json_line({"event": "Estimates", **preview.to_dict()})
    if asking and (not yes or not confirm_contract):
        plan = run(cm.migrate_plan(settings, to=to, allow_out_of_order=allow_out_of_order))
        for m in plan.to_record:
            click.echo(
                f"{m.filename} squashes {len(m.squashes)} migrations applied here: migrate"
                " records it in their place once the live schema matches, and runs nothing of it",
                err=True,
            )
        if not plan.migrations and not plan.to_record:
            click.echo("nothing to do: the database is up to date", err=True)
            return EXIT_OK
        if not yes and not _confirm_plan(settings, plan):
            return EXIT_ERROR
        confirm_contract = confirm_contract or _confirm_contracts(plan)
    options = cm.configured_backfill(settings, batch_size, pause, run=not no_backfill)
    try:
        result = run(
            cm.migrate(
                settings,
                to=to,
                wait=wait,
                allow_out_of_order=allow_out_of_order,
                on_event=event_sink(fmt),
                backfills=options,
                confirm_contract=confirm_contract,
            )
        )
    except ContractNotConfirmed as e:
        if e.passed:
            past = counted(len(e.passed), "migration")
            click.echo(f"applied {past} past the waiting contracts", err=True)
        click.echo(f"waiting: {e.message}\n  hint: {e.hint}", err=True)
        return EXIT_DIFFERENCES
    for version in result.missing:
        warn(f"{version} is in the history but not in {settings.migrations_dir}")
    return EXIT_OK


def _confirmation(value: str | None) -> Confirmation:
    """`--confirm-contract`: every contract (given alone), one (VERSION), or none."""
    if value is None:
        return False
    return True if value == "all" else value


def _confirm_plan(settings: Settings, plan: cm.Plan) -> bool:
    """The plan with its estimates, and the question: apply it?"""
    print_plan(plan, plan_preview(settings, plan))
    if not click.confirm("Apply these migrations?", err=True):
        click.echo("nothing applied", err=True)
        return False
    return True


def _confirm_contracts(plan: cm.Plan) -> bool:
    """Whether the plan's contract migrations may run: the old application version is gone."""
    contracts = [
        m
        for m, done in zip(plan.migrations, plan.done, strict=True)
        if m.phase is Phase.CONTRACT and not done
    ]
    if not contracts:
        return False
    names = ", ".join(m.filename for m in contracts)
    for m in contracts:  # what each takes away, as the studio's question names it
        for line in takes_away(m):
            click.echo(f"  {m.filename} {line}", err=True)
    return click.confirm(
        f"{names} drops what the old application version uses. "
        "Is every instance of the old version gone?",
        default=False,
        err=True,
    )


def _trace(settings: Settings, to: str | None, rows: int, fmt: str) -> int:
    from studio.commands.trace import trace_pending  # deferred: the tracer, for --trace only

    report, target = run(trace_pending(settings, rows=rows, to=to))
    if fmt == "json":
        json_line({"database": target, **report.to_dict()})
    else:
        echo_trace(report, pending_scope(target))
    return EXIT_ERROR if report.failed is not None else EXIT_OK


def _dry_run_on_target(
    settings: Settings, to: str | None, allow_out_of_order: bool, yes: bool, fmt: str
) -> int:
    """Try the pending migrations on the target itself, each rolled back, after an explicit yes."""
    where = mask_dsn(target_url(settings))
    if not yes:
        if not interactive():
            click.echo(
                "error: --dry-run --on-target runs the pending migrations' SQL "
                f"on {where} (rolled back)\n"
                "  hint: confirm with --yes",
                err=True,
            )
            return EXIT_DIFFERENCES
        click.echo(
            f"This runs the pending migrations' statements on {where} inside transactions that are "
            f"rolled back, under lock_timeout {settings.lock_timeout}; "
            "locks are taken while they run.",
            err=True,
        )
        if not click.confirm("Try them on the target?", default=False, err=True):
            click.echo("nothing tried", err=True)
            return EXIT_OK
    tries = run(cm.dry_run_on_target(settings, to=to, allow_out_of_order=allow_out_of_order))
    failed = [t for t in tries if t.error]
    if fmt == "json":
        json_line(
            {
                "database": where,
                "steps": [dataclasses.asdict(t) for t in tries],
                "failed": len(failed),
            }
        )
        return EXIT_ERROR if failed else EXIT_OK
    for t in tries:
        head = f"  {t.version} step {t.index}: {t.title}"
        if t.skipped:
            click.echo(f"{head}: not tried ({t.skipped})")
        elif t.error:
            click.echo(f"{head}: FAILED after {ms(t.duration or 0)}: {t.error}")
        else:
            click.echo(f"{head}: ok in {ms(t.duration or 0)} (rolled back)")
    click.echo(
        f"tried on {where}, everything rolled back: "
        f"{counted(len(tries) - len(failed), 'step')} listed, {len(failed)} failed",
        err=True,
    )
    return EXIT_ERROR if failed else EXIT_OK


def _dry_run(settings: Settings, to: str | None, allow_out_of_order: bool, fmt: str) -> int:
    pending = run(cm.migrate_plan(settings, to=to, allow_out_of_order=allow_out_of_order))
    preview = plan_preview(settings, pending)
    if fmt == "text":
        if preview is not None:
            print_plan(pending, preview)
        click.echo(
            "dry run: the pending migrations run on a throwaway database of the dev server, "
            "after the applied ones are replayed there; the target is only read",
            err=True,
        )
    result = run(
        cm.dry_run(
            settings,
            to=to,
            allow_out_of_order=allow_out_of_order,
            on_event=None if fmt == "json" else ProgressPrinter(dry_run=True).handle,
        )
    )
    if fmt == "json":
        json_line(
            {
                "database": mask_dsn(result.url),
                "replayed": list(result.replayed),
                "tried": list(result.tried),
                "steps": [
                    {"version": s.version, "index": s.index, "duration": s.duration}
                    for s in result.steps
                ],
                "error": None
                if result.error is None
                else {"message": result.error.message, "hint": result.error.hint},
                "duration": result.duration,
                "estimates": preview.to_dict() if preview is not None else None,
            }
        )
    else:
        click.echo(
            f"{counted(len(result.replayed), 'applied migration')} replayed; "
            f"{mask_dsn(result.url)} was not changed. "
            "Timings are without the target's data: expect longer on a large table.",
            err=True,
        )
        if result.error is not None:
            click.echo(f"error: {result.error.message}", err=True)
            if result.error.hint:
                click.echo(f"  hint: {result.error.hint}", err=True)
    return EXIT_ERROR if result.error is not None else EXIT_OK
