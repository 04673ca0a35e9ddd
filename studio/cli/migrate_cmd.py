"""`migrate`, `status`, `new`, `baseline`, `hash`, `rollback`: thin commands over `studio.commands.migrate`.

Progress goes to stderr (one line per step); with `--format json` the
runner's events go to stdout, one JSON object per line.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from studio.cli import (
    EXIT_DIFFERENCES,
    EXIT_ERROR,
    EXIT_OK,
    cli,
    format_option,
    run,
    settings_from,
    target_options,
    warn,
)
from studio.cli.preview_view import echo_trace, pending_scope, quietly, step_lines
from studio.commands import baseline as cb
from studio.commands import files as cf
from studio.commands import migrate as cm
from studio.commands import rollback as cr
from studio.commands import status as cs
from studio.config import mask_dsn
from studio.errors import UsageError
from studio.migrations.format import Phase
from studio.run import backfill
from studio.run.events import (
    BackfillDeferred,
    BackfillProgress,
    BackfillStarted,
    Direction,
    Event,
    InvalidIndexDropped,
    LockTimeoutRetry,
    MigrationFailed,
    MigrationFinished,
    MigrationStarted,
    QueueGuardTripped,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    WaitingForAutovacuum,
    WaitingForMigrator,
    to_dict,
)
from studio.run.history import State
from studio.run.phases import ContractNotConfirmed

if TYPE_CHECKING:
    from collections.abc import Callable

    from studio.commands.migrate import Plan
    from studio.plan.preview import Preview


# no session held a lock on the step's tables (or an older snapshot) since before it waited
_UNSEEN = "a session not found once the wait was over"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


class ProgressPrinter:
    """Prints runner events as progress lines on stderr (a step's line is completed in place on a terminal)."""

    def __init__(self, *, tty: bool | None = None, dry_run: bool = False) -> None:
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.dry_run = dry_run
        self.open_line = False
        # off a terminal, a step's line is printed whole when it finishes
        self.pending = ""
        # off a terminal, backfill progress is printed every 10% (or 10 s)
        self.progress_mark: tuple[int, float] = (-1, 0.0)

    def _line(self, text: str) -> None:
        self._close()
        click.echo(text, err=True)

    def _close(self) -> None:
        if self.open_line:
            click.echo("", err=True)
            self.open_line = False

    def __call__(self, event: Event) -> None:
        verb = (
            "rolling back"
            if getattr(event, "direction", Direction.UP) is Direction.DOWN
            else "applying"
        )
        if isinstance(event, WaitingForMigrator):
            who = event.holder.describe() if event.holder else "another migrator"
            self._line(f"waiting up to {event.wait:g}s for the migration lock, held by {who}")
        elif isinstance(event, RunStarted):
            if event.migrations:
                self._line(f"{verb} {len(event.migrations)} migration(s)")
        elif isinstance(event, MigrationStarted):
            how = "one transaction" if event.transactional else "step by step"
            resume = f", resuming after step {event.steps_done}" if event.steps_done else ""
            self._line(f"{event.version}_{event.name}: {event.steps_total} step(s), {how}{resume}")
        elif isinstance(event, StepStarted):
            head = f"  [{event.index}/{event.steps_total}] {event.title}"
            if event.attempt > 1:
                head += f" (attempt {event.attempt})"
            if self.tty:
                self._close()
                click.echo(head + " ...", err=True, nl=False)
                self.open_line = True
            else:
                self.pending = head
        elif isinstance(event, StepFinished):
            tail = "already done" if event.skipped else _ms(event.duration)
            if self.open_line:
                click.echo(f" {tail}", err=True)
                self.open_line = False
            else:
                self._line(f"{self.pending or f'  [{event.index}/{event.steps_total}]'} ... {tail}")
        elif isinstance(event, QueueGuardTripped):
            by = "; ".join(b.describe() for b in event.blockers) or _UNSEEN
            self._line(
                f"  step {event.index} waited {event.waited:.1f}s for {event.mode} on {event.target} "
                f"while {event.queued} session(s) queued behind it: cancelled; blocked by {by}"
            )
        elif isinstance(event, LockTimeoutRetry):
            what = "the migration" if event.whole_migration else f"step {event.index}"
            by = "; ".join(b.describe() for b in event.blockers) or _UNSEEN
            if event.cause == "queue_guard":  # the guard's event just named the blockers
                self._line(
                    f"  retrying {what} in {event.delay:.1f}s (retry {event.attempt} of {event.retries})"
                )
            else:
                self._line(
                    f"  lock timeout on step {event.index} (retry {event.attempt} of {event.retries}); "
                    f"blocked by {by}; retrying {what} in {event.delay:.1f}s"
                )
        elif isinstance(event, (BackfillStarted, BackfillProgress, BackfillDeferred)):
            self._backfill(event)
        elif isinstance(event, WaitingForAutovacuum):
            self._line(
                f"  autovacuum works on {', '.join(event.tables)} (pid {', '.join(map(str, event.pids))}): "
                f"waiting up to {event.limit:.0f}s for it outside the lock queue, the application is not blocked"
            )
        elif isinstance(event, InvalidIndexDropped):
            self._line(
                f"  dropped invalid index {event.index_name} left by an interrupted build; rebuilding it"
            )
        elif isinstance(event, MigrationFinished):
            self._line(f"  done in {_ms(event.duration)}")
        elif isinstance(event, MigrationFailed):
            at = f" at step {event.index}" if event.index else ""
            self._line(f"  failed{at}")
        elif isinstance(event, RunFinished):
            if event.versions:
                done = "rolled back" if event.direction is Direction.DOWN else "applied"
                done = f"dry run: {done} (on the throwaway database)" if self.dry_run else done
                self._line(f"{done} {len(event.versions)} migration(s) in {_ms(event.duration)}")
            else:
                self._line(
                    "nothing to do: the database is up to date"
                    if event.direction is Direction.UP
                    else "nothing rolled back"
                )

    def _backfill(self, event: BackfillStarted | BackfillProgress | BackfillDeferred) -> None:
        if isinstance(event, BackfillStarted):
            if not self.tty and self.pending:
                self._line(self.pending)  # the step's line first, its time when it ends
                self.pending = ""
            resume = (
                f", resuming after {event.batches} batch(es) ({event.rows_done:,} rows)"
                if event.batches
                else ""
            )
            self._line(
                f"    backfill {event.table} by {event.key}: {event.rows_total:,} rows "
                f"in batches of {event.batch_size:,}{resume}"
            )
            self.progress_mark = (-1, event.at)
        elif isinstance(event, BackfillProgress):
            eta = f", {event.eta:.0f}s left" if event.eta is not None else ""
            text = (
                f"    batch {event.batch}: {event.rows_done:,}/{event.rows_total:,} rows "
                f"({event.percent:.0f}%), {event.rows_per_second:,.0f} rows/s{eta}"
            )
            if self.tty:
                click.echo("\r" + text + "\x1b[K", err=True, nl=False)
                self.open_line = True
                return
            tenth, last_at = int(event.percent // 10), self.progress_mark[1]
            if tenth != self.progress_mark[0] or event.at - last_at >= 10:
                self._line(text)
                self.progress_mark = (tenth, event.at)
        else:
            self._line(
                f"  stopped before the backfill (step {event.index}): "
                f"run `schema-studio backfill {event.version}` to fill it"
            )


def _json_line(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, default=str))


def _sink(fmt: str) -> Callable[[Event], None]:
    if fmt == "json":
        return lambda event: _json_line(to_dict(event))
    return ProgressPrinter()


def _print_plan(plan: Plan, preview: Preview | None = None) -> None:
    verb = "Roll back" if plan.direction is Direction.DOWN else "Apply"
    click.echo(f"{verb} on {mask_dsn(plan.url)}:", err=True)
    for m, done in zip(plan.migrations, plan.done, strict=True):
        steps = m.steps if plan.direction is Direction.UP else (m.down_steps or ())
        how = "one transaction" if all(s.transactional for s in steps) else "step by step"
        resume = f", resuming after step {done}" if done else ""
        click.echo(f"  {m.version}_{m.name}: {len(steps)} step(s), {how}{resume}", err=True)
        for step in steps[done:]:
            flags = "" if step.transactional else "  [no transaction]"
            click.echo(f"    {step.index}. {step.title}{flags}", err=True)
            estimate = preview.step(m.version, step.index) if preview else None
            for line in step_lines(estimate) if estimate else ():
                click.echo(line, err=True)


def _preview(settings: Any, plan: Plan) -> Preview | None:
    """Locks, sizes and estimates of the pending steps, read from the target (None: not readable)."""
    from studio.commands.preview import preview_steps

    if not plan.migrations:
        return None
    return quietly(
        preview_steps(settings, plan.url, plan.migrations), "sizes and estimates not read"
    )


def _interactive() -> bool:
    return sys.stdin.isatty()


def backfill_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--batch-size and --pause, shared by migrate and backfill."""
    func = click.option(
        "--pause",
        type=click.FloatRange(min=0),
        default=None,
        metavar="SECONDS",
        help="Pause between backfill batches (default: backfill_pause, else 0).",
    )(func)
    return click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=None,
        metavar="ROWS",
        help="Rows per backfill batch (default: backfill_batch_size, else the step's own).",
    )(func)


def backfill_settings(
    settings: Any, batch_size: int | None, pause: float | None, *, run: bool = True
) -> backfill.Options:
    """Backfill options: the command line, else the config (`backfill_batch_size`, `backfill_pause`)."""
    size = batch_size or settings.backfill_batch_size
    wait = pause if pause is not None else settings.backfill_pause
    return backfill.Options(batch_size=size, pause=float(wait or 0.0), run=run)


@cli.command("migrate")
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
    help="With --dry-run: try each pending migration on the target in a transaction that is rolled back.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation on a terminal.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another migrator to finish.",
)
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Apply a pending migration older than the last applied one.",
)
@click.option(
    "--confirm-contract",
    is_flag=True,
    help="Apply contract migrations: the old application version no longer runs anywhere.",
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
    help="With --dry-run: report the locks each statement held, beside the knowledge base's prediction.",
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
    confirm_contract: bool,
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
    says the old application version is gone; without either, migrate
    applies what comes before it and exits 2.
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
    interactive = _interactive()
    if fmt == "json":
        # the steps' locks, sizes and estimates come first, as one line
        pending = run(cm.migrate_plan(settings, to=to, allow_out_of_order=allow_out_of_order))
        if (preview := _preview(settings, pending)) is not None:
            _json_line({"event": "Estimates", **preview.to_dict()})
    if interactive and (not yes or not confirm_contract):
        plan = run(cm.migrate_plan(settings, to=to, allow_out_of_order=allow_out_of_order))
        if not plan.migrations:
            click.echo("nothing to do: the database is up to date", err=True)
            return EXIT_OK
        if not yes:
            _print_plan(plan, _preview(settings, plan))
            if not click.confirm("Apply these migrations?", err=True):
                click.echo("nothing applied", err=True)
                return EXIT_ERROR
        contracts = [
            m
            for m, done in zip(plan.migrations, plan.done, strict=True)
            if m.phase is Phase.CONTRACT and not done
        ]
        if contracts and not confirm_contract:
            names = ", ".join(m.filename for m in contracts)
            confirm_contract = click.confirm(
                f"{names} drops what the old application version uses. "
                "Is every instance of the old version gone?",
                default=False,
                err=True,
            )
    options = backfill_settings(settings, batch_size, pause, run=not no_backfill)
    try:
        result = run(
            cm.migrate(
                settings,
                to=to,
                wait=wait,
                allow_out_of_order=allow_out_of_order,
                on_event=_sink(fmt),
                backfills=options,
                confirm_contract=confirm_contract,
            )
        )
    except ContractNotConfirmed as e:
        click.echo(f"error: {e.message}\n  hint: {e.hint}", err=True)
        return EXIT_DIFFERENCES
    for version in result.missing:
        warn(f"{version} is in the history but not in {settings.migrations_dir}")
    return EXIT_OK


def _trace(settings: Any, to: str | None, rows: int, fmt: str) -> int:
    from studio.commands.trace import trace_pending

    report, target = run(trace_pending(settings, rows=rows, to=to))
    if fmt == "json":
        _json_line({"database": target, **report.to_dict()})
    else:
        echo_trace(report, pending_scope(target))
    return EXIT_ERROR if report.failed is not None else EXIT_OK


def _dry_run_on_target(
    settings: Any, to: str | None, allow_out_of_order: bool, yes: bool, fmt: str
) -> int:
    """Try the pending migrations on the target itself, each rolled back, after an explicit yes."""
    where = mask_dsn(settings.database_url())
    if not yes:
        if not _interactive():
            click.echo(
                f"error: --dry-run --on-target runs the pending migrations' SQL on {where} (rolled back)\n"
                "  hint: confirm with --yes",
                err=True,
            )
            return EXIT_DIFFERENCES
        click.echo(
            f"This runs the pending migrations' statements on {where} inside transactions that are "
            f"rolled back, under lock_timeout {settings.lock_timeout}; locks are taken while they run.",
            err=True,
        )
        if not click.confirm("Try them on the target?", default=False, err=True):
            click.echo("nothing tried", err=True)
            return EXIT_OK
    tries = run(cm.dry_run_on_target(settings, to=to, allow_out_of_order=allow_out_of_order))
    failed = [t for t in tries if t.error]
    if fmt == "json":
        _json_line(
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
            click.echo(f"{head}: FAILED after {_ms(t.duration or 0)}: {t.error}")
        else:
            click.echo(f"{head}: ok in {_ms(t.duration or 0)} (rolled back)")
    click.echo(
        f"tried on {where}, everything rolled back: {len(tries) - len(failed)} step(s) listed, {len(failed)} failed",
        err=True,
    )
    return EXIT_ERROR if failed else EXIT_OK


def _dry_run(settings: Any, to: str | None, allow_out_of_order: bool, fmt: str) -> int:
    pending = run(cm.migrate_plan(settings, to=to, allow_out_of_order=allow_out_of_order))
    preview = _preview(settings, pending)
    if fmt == "text":
        if preview is not None:
            _print_plan(pending, preview)
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
            on_event=None if fmt == "json" else ProgressPrinter(dry_run=True),
        )
    )
    if fmt == "json":
        _json_line(
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
            f"{len(result.replayed)} applied migration(s) replayed; {mask_dsn(result.url)} was not changed. "
            "Timings are without the target's data: expect longer on a large table.",
            err=True,
        )
        if result.error is not None:
            click.echo(f"error: {result.error.message}", err=True)
            if result.error.hint:
                click.echo(f"  hint: {result.error.hint}", err=True)
    return EXIT_ERROR if result.error is not None else EXIT_OK


_MARK = {
    State.APPLIED: "applied",
    State.PENDING: "pending",
    State.PARTIAL: "PARTIAL",
    State.ROLLING_BACK: "ROLLING BACK",
    State.MODIFIED: "MODIFIED",
    State.MISSING: "MISSING",
}


@cli.command("status")
@target_options
@format_option("text", "json")
def status_cmd(
    db_url: str | None, schema_names: tuple[str, ...], exclude_schema: tuple[str, ...], fmt: str
) -> int:
    """Show applied, pending, modified and missing migrations."""
    settings = settings_from(db_url, schema_names, exclude_schema)
    report = run(cs.status(settings))
    entries = report.status.entries
    if fmt == "json":
        _json_line(
            {
                "database": mask_dsn(report.url),
                "directory": str(report.directory),
                "history_table_exists": report.status.table_exists,
                "migrations": [
                    {
                        "version": e.version,
                        "name": e.name,
                        "state": e.state.value,
                        "out_of_order": e.out_of_order,
                        "steps_total": len(e.migration.steps)
                        if e.migration
                        else (e.row.steps_total if e.row else None),
                        "steps_done": e.row.steps_done if e.row else 0,
                        "applied_at": e.row.finished_at.isoformat()
                        if e.row and e.row.finished_at
                        else None,
                        "applied_by": e.row.applied_by if e.row else None,
                        "kind": e.row.kind.value if e.row else None,
                        "checksum": e.migration.checksum if e.migration else None,
                        "checksum_applied": e.row.checksum if e.row else None,
                    }
                    for e in entries
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
        )
        return EXIT_OK
    click.echo(f"-- {mask_dsn(report.url)}, migrations in {report.directory}", err=True)
    if not entries:
        click.echo("no migrations")
    for e in entries:
        line = f"{_MARK[e.state]:<12} {e.version}_{e.name}"
        if e.row is not None:
            when = e.row.finished_at or e.row.started_at
            line += f"  {when:%Y-%m-%d %H:%M:%S} by {e.row.applied_by}"
            if e.row.kind.value == "baseline":
                line += " (baseline)"
        if e.state is State.PARTIAL and e.row:
            line += f"  ({e.row.steps_done}/{e.row.steps_total} steps: `migrate` resumes it)"
        if e.state is State.MODIFIED:
            line += "  (file changed after it was applied)"
        if e.state is State.MISSING:
            line += "  (in the history, not on disk)"
        if e.out_of_order:
            line += "  (older than the last applied: needs --allow-out-of-order)"
        click.echo(line)
    if report.pairs:
        click.echo("expand/contract:")
    for p in report.pairs:
        contract = f" -> {p.contract.version}_{p.contract.name}" if p.contract else ""
        click.echo(f"  {p.expand.version}_{p.expand.name}{contract}: {p.describe()}")
    if report.drift is None:
        click.echo(f"live schema: {report.drift_note}")
    elif report.drift:
        click.echo(
            click.style(
                f"live schema: drift, {len(report.drift)} difference(s) from the applied migrations",
                fg="red",
            )
            + " (see `schema-studio check`)"
        )
        for change in report.drift:
            click.echo(f"  {change.describe()}")
    else:
        click.echo("live schema: matches the applied migrations")
    counts = {s: len(report.status.having(s)) for s in State}
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    click.echo(summary or "nothing applied, nothing pending", err=True)
    return EXIT_OK


@cli.command("new")
@click.argument("name")
def new_cmd(name: str) -> int:
    """Write an empty migration NAME for hand-written SQL."""
    settings = settings_from()
    path = cf.new(settings, name)
    click.echo(str(path))
    click.echo("write the SQL, then run `schema-studio hash` to record it", err=True)
    return EXIT_OK


@cli.command("baseline")
@target_options
@click.argument("version")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="How long to wait for another migrator.",
)
@format_option("text", "json")
def baseline_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    version: str,
    wait: float,
    fmt: str,
) -> int:
    """Record an existing database as being at VERSION, without running SQL."""
    settings = settings_from(db_url, schema_names, exclude_schema)
    recorded = run(cb.baseline(settings, version, wait=wait))
    if fmt == "json":
        _json_line({"baseline": version, "recorded": list(recorded)})
    else:
        click.echo(f"recorded {len(recorded)} migration(s) as applied, up to {version}")
    return EXIT_OK


@cli.command("hash")
def hash_cmd() -> int:
    """Rewrite schema-studio.sum from the migration files as they are."""
    settings = settings_from()
    path = cf.rehash(settings)
    click.echo(f"wrote {path}", err=True)
    return EXIT_OK


@cli.command("rollback")
@target_options
@click.option(
    "--count",
    "count",
    type=click.IntRange(min=1),
    metavar="N",
    help="Roll back the last N migrations (default 1).",
)
@click.option("--to", "to", metavar="VERSION", help="Roll back every migration after VERSION.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="How long to wait for another migrator.",
)
@format_option("text", "json")
def rollback_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    count: int | None,
    to: str | None,
    yes: bool,
    wait: float,
    fmt: str,
) -> int:
    """Run the down files of the last applied migrations, newest first.

    Down files may drop data: on a terminal it asks first; elsewhere it needs --yes.
    """
    if count is not None and to is not None:
        raise UsageError("give --count or --to, not both")
    settings = settings_from(db_url, schema_names, exclude_schema)
    n = count or 1
    if not yes:
        if not _interactive():
            click.echo(
                "error: rollback runs down files, which may drop data: pass --yes to confirm",
                err=True,
            )
            return EXIT_DIFFERENCES
        plan = run(cr.rollback_plan(settings, count=n, to=to))
        if not plan.migrations:
            click.echo("nothing to roll back", err=True)
            return EXIT_OK
        _print_plan(plan)
        if not click.confirm("Roll these back?", err=True):
            click.echo("nothing rolled back", err=True)
            return EXIT_ERROR
    run(cr.rollback(settings, count=n, to=to, wait=wait, on_event=_sink(fmt)))
    return EXIT_OK
