"""`--fleet` on status, check, migrate and rollback: one line (or JSON object) per target.

`fleet_option(...)` wraps a command: with `--fleet` the command's options go
to the fleet's use case (`studio.commands.fleet`), otherwise the command
runs as it always did. Each target's line is printed as soon as that target
is done, on stdout, then the fleet's summary; `migrate` and `rollback` print
each target's steps as they end on stderr, as `migrate` does, each line
starting with the target's name (text output only). Exit 0: every target done and
in sync; 1: an error on any target; 2: drift or pending migrations on any.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import click

from studio.cli import EXIT_DIFFERENCES, EXIT_ERROR, interactive, json_line, run, settings_from
from studio.cli.progress import ProgressPrinter, ms
from studio.commands.fleet.report import TargetState
from studio.errors import UsageError
from studio.run.events import RunFinished
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Callable

    from studio.commands.fleet.report import FleetReport, TargetReport
    from studio.commands.fleet.rollout import Policy
    from studio.commands.fleet.targets import FleetTarget
    from studio.config import Settings
    from studio.run.events import Event
    from studio.run.inflight import Confirmation

    Handler = Callable[[dict[str, Any], int | None, int, str | None], int]

# options of a command that make no sense across a fleet, and why
_ALONE = {
    "dry_run": "--dry-run",
    "on_target": "--on-target",
    "trace": "--trace",
    "rows": "--rows",
    "no_live": "--no-live",
}


def fleet_option(command: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """--fleet, --parallel (and for migrate and rollback --canary, --on-error) on `command`.

    Applied right under `@cli.command`, over the command's own options.
    """
    policy = command in ("migrate", "rollback")
    handler = _HANDLERS[command]

    def decorate(func: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> int:
            fleet = kwargs.pop("fleet")
            parallel = kwargs.pop("parallel")
            canary = kwargs.pop("canary", 0)
            on_error = kwargs.pop("on_error", None)
            if fleet:
                return handler(kwargs, parallel, canary, on_error)
            given = [n for n, v in (("--parallel", parallel), ("--canary", canary),
                                    ("--on-error", on_error)) if v]  # fmt: skip
            if given:
                raise UsageError(
                    f"{given[0]} goes with --fleet", f"e.g. {command} --fleet {given[0]} ..."
                )
            return func(**kwargs)

        if policy:
            wrapper = click.option(
                "--on-error",
                type=click.Choice(["halt", "continue"]),
                default=None,
                help="With --fleet: after a target fails, start no other (halt, the default)"
                " or go on with the others (continue).",
            )(wrapper)
            wrapper = click.option(
                "--canary",
                type=click.IntRange(min=0),
                default=0,
                metavar="N",
                help="With --fleet: run the first N targets alone first;"
                " the rest only when each of them succeeded.",
            )(wrapper)
        wrapper = click.option(
            "--parallel",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help="With --fleet: targets worked on at once (default: the fleet's `parallel`, else 8"
            " for status and check, 4 for migrate and rollback).",
        )(wrapper)
        return click.option(
            "--fleet",
            is_flag=True,
            help="Run on every target of [tool.schema-studio.fleet], one line per target.",
        )(wrapper)

    return decorate


def _settings(kwargs: dict[str, Any]) -> Settings:
    for key, flag in _ALONE.items():
        if kwargs.get(key):
            raise UsageError(f"{flag} does not go with --fleet", "run it on one target (--db URL)")
    return settings_from(
        kwargs.get("db_url"),
        kwargs.get("schema_names", ()),
        kwargs.get("exclude_schema", ()),
        exclude=kwargs.get("exclude", ()),
    )


def _status(kwargs: dict[str, Any], parallel: int | None, _c: int, _e: str | None) -> int:
    # deferred: the fleet's modules load with --fleet only, not with every `status`
    from studio.commands.fleet.sync import fleet_status

    settings = _settings(kwargs)
    printer = FleetPrinter(kwargs["fmt"], "status")
    return printer.done(run(fleet_status(settings, parallel=parallel, on_target=printer.target)))


def _check(kwargs: dict[str, Any], parallel: int | None, _c: int, _e: str | None) -> int:
    # deferred: the fleet's modules load with --fleet only, not with every `check`
    from studio.commands.fleet.sync import fleet_check

    settings = _settings(kwargs)
    printer = FleetPrinter(kwargs["fmt"], "check")
    return printer.done(run(fleet_check(settings, parallel=parallel, on_target=printer.target)))


def _migrate(
    kwargs: dict[str, Any], parallel: int | None, canary: int, on_error: str | None
) -> int:
    # deferred: the fleet's modules load with --fleet only, not with every `migrate`
    from studio.commands.fleet.rollout import MigrateOptions, fleet_migrate, policy_of
    from studio.commands.fleet.targets import fleet_targets
    from studio.commands.migrate import configured_backfill

    settings = _settings(kwargs)
    policy = policy_of(settings, parallel, canary, on_error or "halt")
    targets = run(fleet_targets(settings))
    if not kwargs["yes"] and interactive():
        _echo_contracts(settings, kwargs["confirm_contract"])
        if not _confirm("Apply the pending migrations", targets, policy):
            return EXIT_ERROR
    options = MigrateOptions(
        to=kwargs["to"],
        wait=kwargs["wait"],
        allow_out_of_order=kwargs["allow_out_of_order"],
        confirm_contract=kwargs["confirm_contract"],
        backfills=configured_backfill(
            settings, kwargs["batch_size"], kwargs["pause"], run=not kwargs["no_backfill"]
        ),
    )
    printer = FleetPrinter(kwargs["fmt"], "migrate")
    report = run(
        fleet_migrate(
            settings, policy, options, on_event=printer.event, on_target=printer.target,
            targets=targets,
        )
    )  # fmt: skip
    return printer.done(report)


def _rollback(
    kwargs: dict[str, Any], parallel: int | None, canary: int, on_error: str | None
) -> int:
    # deferred: the fleet's modules load with --fleet only, not with every `rollback`
    from studio.commands.fleet.rollout import fleet_rollback, policy_of
    from studio.commands.fleet.targets import fleet_targets

    if kwargs["count"] is not None and kwargs["to"] is not None:
        raise UsageError("give --count or --to, not both")
    if kwargs.get("only") is not None:
        raise UsageError("--only rolls back one target's expand: give --db, not --fleet")
    settings = _settings(kwargs)
    policy = policy_of(settings, parallel, canary, on_error or "halt")
    targets = run(fleet_targets(settings))
    if not kwargs["yes"]:
        if not interactive():
            click.echo(
                "error: rollback runs down files, which may drop data: pass --yes to confirm",
                err=True,
            )
            return EXIT_DIFFERENCES
        if not _confirm("Roll back on", targets, policy):
            return EXIT_ERROR
    printer = FleetPrinter(kwargs["fmt"], "rollback")
    report = run(
        fleet_rollback(
            settings, policy, count=kwargs["count"] or 1, to=kwargs["to"], wait=kwargs["wait"],
            on_event=printer.event, on_target=printer.target, targets=targets,
        )
    )  # fmt: skip
    return printer.done(report)


def _echo_contracts(settings: Settings, confirm: Confirmation) -> None:
    """The contracts `--confirm-contract` confirms, and what each takes away, before the question.

    Read from the migrations directory, not from the targets: each is confirmed
    on the targets where it waits (its expand's backfill done there).
    """
    from studio.commands.files import load_migrations
    from studio.migrations.format import Phase
    from studio.run.inflight import confirms, takes_away

    if confirm is False:
        return
    contracts = [
        m for m in load_migrations(settings) if m.phase is Phase.CONTRACT and confirms(confirm, m)
    ]
    if not contracts:
        click.echo(f"--confirm-contract: no contract migration {_which(confirm)}", err=True)
        return
    click.echo(
        f"--confirm-contract confirms {counted(len(contracts), 'contract')} on each target"
        " where it waits (its expand's backfill done there):",
        err=True,
    )
    for m in contracts:
        click.echo(f"  {m.filename}", err=True)
        for line in takes_away(m):
            click.echo(f"    {line}", err=True)


def _which(confirm: Confirmation) -> str:
    if isinstance(confirm, str):
        return f"is {confirm}"
    return "is in the migrations directory"


def _confirm(what: str, targets: tuple[FleetTarget, ...], policy: Policy) -> bool:
    names = ", ".join(t.name for t in targets[:8]) + (", ..." if len(targets) > 8 else "")
    canary = f", the first {policy.canary} alone first" if policy.canary else ""
    on_error = "halt" if policy.halt else "continue"
    click.echo(
        f"{counted(len(targets), 'target')}: {names}\n{policy.parallel} at a time{canary};"
        f" on an error: {on_error}",
        err=True,
    )
    if not click.confirm(f"{what} {counted(len(targets), 'target')}?", err=True):
        click.echo("nothing run", err=True)
        return False
    return True


_HANDLERS: dict[str, Handler] = {
    "status": _status,
    "check": _check,
    "migrate": _migrate,
    "rollback": _rollback,
}


class FleetPrinter:
    """Prints each target as it is done (a line, or a JSON object), then the fleet's summary."""

    def __init__(self, fmt: str, command: str) -> None:
        self.json = fmt == "json"
        self.command = command
        # each target's progress lines (text only), as `migrate` prints them, its name before
        # each: targets run side by side, so a line is printed whole when its step ends
        self.progress: dict[str, ProgressPrinter] = {}

    def event(self, target: FleetTarget, event: Event) -> None:
        """One target's runner event, as a progress line on stderr (text output only)."""
        if self.json or isinstance(event, RunFinished):  # the target's own line says it
            return
        printer = self.progress.get(target.name)
        if printer is None:
            printer = ProgressPrinter(tty=False, prefix=f"{target.name}: ")
            self.progress[target.name] = printer
        printer.handle(event)

    def target(self, report: TargetReport) -> None:
        """One target, done."""
        if self.json:
            json_line(target_json(report))
            return
        click.echo(target_line(report, self.command))
        for change in report.drift or ():
            click.echo(f"    {change.describe()}")
        for line in report.problems:
            click.echo(f"    {line}")
        if report.hint and report.state.error:
            click.echo(f"    hint: {report.hint}")

    def done(self, report: FleetReport) -> int:
        """The summary, after every target; the exit code."""
        code = report.exit_code
        if self.json:
            json_line({"summary": {
                "command": report.command,
                "targets": len(report.targets),
                "states": {s.value: n for s, n in report.counts().items()},
                "problems": list(report.problems),
                "duration": report.duration,
                "exit": code,
            }})  # fmt: skip
            return code
        for line in report.problems:
            click.echo(click.style("fleet: ", bold=True) + line)
        click.echo(f"fleet: {report.summary()} in {ms(report.duration)}")
        return code


_STYLE = {TargetState.DRIFT: "red", TargetState.PENDING: "yellow", TargetState.SKIPPED: "yellow"}


def target_line(r: TargetReport, command: str) -> str:
    """`tenant_a: done, applied 20250102, at 20250102, 0 pending`."""
    state = click.style(r.state.value, fg="red" if r.state.error else _STYLE.get(r.state, "green"))
    return f"{r.target.name}: {state}{_detail(r, command)}"


def _detail(r: TargetReport, command: str) -> str:
    at = f"at {r.version or 'no migration'}, {r.pending} pending"
    if r.state is TargetState.DRIFT:
        found = len(r.drift or ()) + len(r.problems)
        return f", {counted(found, 'difference')} from its applied migrations ({at})"
    if r.state.error or r.state is TargetState.SKIPPED:
        return f": {r.message}" if r.message else ""
    parts = []
    if r.ran:
        verb = "rolled back" if command == "rollback" else "applied"
        parts.append(f"{verb} {', '.join(r.ran)}")
    if command == "migrate":
        parts += r.notes  # the squash baselines recorded there
    parts.append(at)
    if r.waiting and not r.message:  # a migrate's message names them already
        parts.append(f"contract waiting: {', '.join(r.waiting)}")
    if r.message:
        parts.append(r.message)
    if r.lock_wait:
        parts.append(f"longest lock wait {ms(r.lock_wait)}")
    return ", " + ", ".join(parts)


def target_json(r: TargetReport) -> dict[str, Any]:
    """One target as a JSON object (its URL masked)."""
    return {
        "target": r.target.name,
        "where": r.target.where,
        "schema": r.target.schema,
        "state": r.state.value,
        "version": r.version,
        "pending": r.pending,
        "drift": None if r.drift is None else [c.to_dict() for c in r.drift],
        "ran": list(r.ran),
        "message": r.message,
        "hint": r.hint,
        "problems": list(r.problems),
        "notes": list(r.notes),
        "duration": r.duration,
        "lock_wait": r.lock_wait,
        # the contracts waiting there for confirmation (null: not read)
        "waiting": None if r.waiting is None else list(r.waiting),
    }
