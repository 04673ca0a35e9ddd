"""`generate` and `check`: the declared schema against the migrations directory."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from studio.cli import EXIT_DIFFERENCES, EXIT_OK, cli, note, run, settings_from, warn
from studio.cli.fleet import fleet_option
from studio.cli.options import (
    exclude_option,
    format_option,
    no_rename_option,
    rename_option,
    target_options,
    wait_option,
)
from studio.cli.progress import ProgressPrinter
from studio.commands.check import check
from studio.commands.generate import UnresolvedRenames, generate
from studio.commands.preview import preview_steps
from studio.commands.push import push, push_plan
from studio.commands.schemas import excluded_note
from studio.config import mask_dsn
from studio.diff.sides import sided
from studio.migrations import files as migrations
from studio.words import counted

if TYPE_CHECKING:
    from studio.commands.generate import Generated
    from studio.config import Settings
    from studio.diff import RenameCandidate
    from studio.model.changes import Change
    from studio.plan.preview import Preview


def _ask(candidate: RenameCandidate) -> bool:
    return click.confirm(
        f"Is {candidate.kind} {candidate.old} renamed to {candidate.new}? "
        "(no: drop it and add the new one)",
        default=False,
        err=True,
    )


@cli.command("generate")
@target_options
@click.option(
    "--name",
    "-n",
    metavar="NAME",
    help="What the migration does, e.g. add_orders_status (default: named from its changes, "
    "e.g. add_orders_status_and_2_more).",
)
@rename_option
@no_rename_option
@click.option("--dry-run", is_flag=True, help="Print the migration instead of writing it.")
@click.option(
    "--plain",
    is_flag=True,
    help="Plain statements instead of the online-safe forms (CONCURRENTLY, NOT VALID, ...).",
)
@click.option(
    "--expand-contract",
    is_flag=True,
    help="Plan renames and rewriting type changes as an expand and a contract migration "
    "(new column, sync trigger, batched backfill; then drop the old one).",
)
@exclude_option
@format_option("text", "json")
def generate_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    name: str | None,
    renames: tuple[str, ...],
    no_rename: bool,
    dry_run: bool,
    plain: bool,
    expand_contract: bool,
    exclude: tuple[str, ...],
    fmt: str,
) -> int:
    """Write the difference between the migrations and the declared schema as a new migration."""
    settings = settings_from(db_url, schema_names, exclude_schema, exclude=exclude)
    ask = _ask if sys.stdin.isatty() and fmt == "text" else None
    try:
        result = run(
            generate(
                settings,
                name,
                renames,
                no_rename=no_rename,
                ask=ask,
                write=not dry_run,
                safe=not plain,
                expand_contract=expand_contract,
            )
        )
    except UnresolvedRenames as e:
        if fmt == "json":
            click.echo(
                json.dumps(
                    {"status": "unresolved_renames", "candidates": [c.hint for c in e.candidates]}
                )
            )
        click.echo(f"error: {e.message}\n  hint: {e.hint}", err=True)
        return EXIT_DIFFERENCES
    preview = _preview(settings, result)
    if fmt == "json":
        excluded = {} if result.excluded is None else {"excluded": result.excluded}
        click.echo(
            json.dumps(
                {
                    "estimates": preview.to_dict() if preview is not None else None,
                    "status": "written"
                    if result.path
                    else ("nothing" if not result.changes else "dry-run"),
                    "version": result.version or None,
                    "path": str(result.path) if result.path else None,
                    "down_path": str(result.down_path) if result.down_path else None,
                    "no_down": result.no_down or None,
                    "renames": [str(r) for r in result.renames],
                    "changes": [c.to_dict() for c in result.changes],
                    "phase": "expand" if result.phases else None,
                    "contract_version": result.contract_version or None,
                    "contract_path": str(result.contract_path) if result.contract_path else None,
                    "expand_contract": [m.describe() for m in result.phases.moves]
                    if result.phases
                    else [],
                    "notes": list(result.notes),
                    # objects of kinds schema-studio does not model: never in the migration
                    "unmodelled": result.unmodelled.to_dict() if result.unmodelled else None,
                    "unreached": list(result.unreached),
                    # objects `exclude` left out of both sides (when patterns are given)
                    **excluded,
                },
                indent=2,
            )
        )
        return EXIT_OK
    for line in result.warnings():
        warn(line)
    if result.excluded is not None:
        note(excluded_note(result.excluded))
    if not result.changes:
        if result.warnings():
            click.echo(
                "nothing schema-studio can generate; "
                "what is named above needs a hand-written migration",
                err=True,
            )
        else:
            click.echo(
                "nothing to generate: the migrations already produce the declared schema", err=True
            )
        return EXIT_OK
    for planned in result.notes:
        warn(planned)
    if dry_run:
        click.echo(result.text)
        if result.contract_text:
            click.echo(result.contract_text)
        return EXIT_OK
    if result.phases is not None:
        expand_steps = counted(len(result.phases.expand), "step")
        click.echo(f"wrote {result.path} (expand: {expand_steps})", err=True)
        contract_steps = counted(len(result.phases.contract), "step")
        click.echo(f"wrote {result.contract_path} (contract: {contract_steps})", err=True)
        for move in result.phases.moves:
            click.echo(f"  expand/contract: {move.describe()}", err=True)
        click.echo(
            "migrate applies the expand and its backfill; deploy the new application, then "
            "`migrate --confirm-contract` once the old version is gone",
            err=True,
        )
        if result.down_path:
            click.echo(f"wrote {result.down_path}", err=True)
        elif result.no_down:
            click.echo(f"no down file for the expand migration: {result.no_down}", err=True)
        _echo_preview(preview)
        return EXIT_OK
    click.echo(f"wrote {result.path} ({counted(len(result.changes), 'step')})", err=True)
    if result.down_path:
        click.echo(f"wrote {result.down_path}", err=True)
    else:
        click.echo(f"no down file: {result.no_down}", err=True)
    _echo_preview(preview)
    return EXIT_OK


def _preview(settings: Settings, result: Generated) -> Preview | None:
    """Locks, sizes and estimates of the written steps on the configured target (not in files)."""
    # deferred: the preview loads pglast, which check, push and a plain generate do not need
    from studio.cli.preview_view import quietly

    url = settings.database_url(required=False)
    written = [p for p in (result.path, result.contract_path) if p is not None]
    if url is None or not written:
        return None
    ms = [migrations.parse_file(p) for p in written]
    return quietly(preview_steps(settings, url, ms), "sizes and estimates not read from the target")


def _echo_preview(preview: Preview | None) -> None:
    from studio.cli.preview_view import echo_preview  # deferred: loads pglast (see `_preview`)

    if preview is not None:
        where = mask_dsn(preview.url)
        echo_preview(preview, f"on {where} (sizes and estimates are never written into the files):")


def _changes_lines(changes: tuple[Change, ...]) -> list[str]:
    return [f"    {c.describe()}" for c in changes]


@cli.command("check")
@fleet_option("check")
@target_options
@click.option("--no-live", is_flag=True, help="Do not look at the database: check only the files.")
@exclude_option
@format_option("text", "json")
def check_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    no_live: bool,
    exclude: tuple[str, ...],
    fmt: str,
) -> int:
    """CI gate: declared = migrations, live = applied migrations, checksums intact
    (exit 2 if not)."""
    settings = settings_from(db_url, schema_names, exclude_schema, exclude=exclude)
    report = run(check(settings, live=False if no_live else None))
    for line in (*report.notes, *report.not_compared):
        warn(line)
    if report.excluded is not None and fmt != "json":
        note(excluded_note(report.excluded))
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "checksum_error": report.checksum,
                    "unlike_history": list(report.unlike_history),
                    "other_branch": list(report.other_branch),
                    "ungenerated": [c.to_dict() for c in report.ungenerated],
                    "drift": [c.to_dict() for c in report.drift] if report.checked_live else None,
                    "applied": list(report.applied),
                    "not_applied": list(report.not_applied),
                    "phases": list(report.phases),
                    "unmodelled": list(report.unmodelled),
                    "unreached": list(report.unreached),
                    # objects `exclude` left out of every side (when patterns are given)
                    **({} if report.excluded is None else {"excluded": report.excluded}),
                },
                indent=2,
            )
        )
        return EXIT_OK if report.ok else EXIT_DIFFERENCES
    lines = []
    if report.checksum:
        lines.append(click.style("checksums: ", fg="red", bold=True) + report.checksum)
    for problem in report.unlike_history:
        lines.append(click.style("history: ", fg="red", bold=True) + problem)
    if report.not_applied:
        lines.append(
            click.style("the database is behind its migrations", fg="red", bold=True)
            + f": {counted(len(report.not_applied), 'migration')} not applied"
            + " (run `schema-studio migrate`):"
        )
        lines += [f"    {name}" for name in report.not_applied]
    for problem in report.other_branch:
        lines.append(click.style("history: ", fg="red", bold=True) + problem)
    if report.other_branch:
        lines.append(
            "    renumber each after the applied ones with `schema-studio rebase VERSION`,"
            " or apply them as they are with `migrate --allow-out-of-order`"
        )
    if report.phases:
        lines.append("expand/contract in flight:")
        lines += [f"    {line}" for line in report.phases]
    if report.ungenerated:
        lines.append(
            click.style("declared schema differs from the migrations", fg="red", bold=True)
            + " (run `schema-studio generate`):"
        )
        lines += _changes_lines(report.ungenerated)
    if report.drift:
        lines.append(
            click.style(
                "drift: the database differs from its applied migrations", fg="red", bold=True
            )
            + ":"
        )
        lines += [
            f"    {sided(c, new='the database', old='the applied migrations')}"
            for c in report.drift
        ]
    if report.unmodelled:
        lines.append(
            click.style("objects schema-studio does not model differ", fg="red", bold=True)
            + " (migrate them by hand):"
        )
        lines += [f"    {line}" for line in report.unmodelled]
    if report.unreached:
        lines.append(
            click.style("differences no migration can reach", fg="red", bold=True)
            + " (the tables must be created again):"
        )
        lines += [f"    {line}" for line in report.unreached]
    if report.ok:
        where = (
            "declared schema, migrations and database"
            if report.checked_live
            else "declared schema and migrations"
        )
        lines.append(
            f"in sync: {where} ({len(report.applied)} applied)"
            if report.checked_live
            else f"in sync: {where}"
        )
    click.echo("\n".join(lines))
    return EXIT_OK if report.ok else EXIT_DIFFERENCES


@cli.command("push")
@target_options
@rename_option
@no_rename_option
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option(
    "--force",
    is_flag=True,
    help="Push even to a database with applied migrations or matching a production pattern.",
)
@wait_option("How long to wait for a migrator holding the migration lock.", show_default=True)
@exclude_option
def push_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    renames: tuple[str, ...],
    no_rename: bool,
    yes: bool,
    force: bool,
    wait: float,
    exclude: tuple[str, ...],
) -> int:
    """Development only: bring the database straight to the declared schema, writing no files."""
    settings = settings_from(db_url, schema_names, exclude_schema, exclude=exclude)
    interactive = sys.stdin.isatty()
    try:
        plan = run(
            push_plan(
                settings,
                renames,
                no_rename=no_rename,
                ask=_ask if interactive else None,
                force=force,
            )
        )
    except UnresolvedRenames as e:
        click.echo(f"error: {e.message}\n  hint: {e.hint}", err=True)
        return EXIT_DIFFERENCES
    if plan.excluded is not None:
        note(excluded_note(plan.excluded))
    if not plan.changes:
        click.echo(f"{mask_dsn(plan.url)} already matches the declared schema", err=True)
        return EXIT_OK
    click.echo(f"push to {mask_dsn(plan.url)}: {counted(len(plan.changes), 'change')}", err=True)
    for change in plan.changes:
        mark = click.style(" [data loss]", fg="red", bold=True) if change.destructive else ""
        click.echo(f"  {change.describe()}{mark}", err=True)
    if not yes:
        if not interactive:
            click.echo(
                "error: push needs confirmation\n  hint: pass --yes to apply without a terminal",
                err=True,
            )
            return EXIT_DIFFERENCES
        if not click.confirm("Apply these changes?", default=False, err=True):
            click.echo("nothing applied", err=True)
            return EXIT_OK
    run(push(settings, plan, on_event=ProgressPrinter().handle, wait=wait))
    click.echo(f"pushed {counted(len(plan.changes), 'change')}", err=True)
    return EXIT_OK
