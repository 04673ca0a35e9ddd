"""`schema-studio diff`: compare two sources (default: live database -> declared schema)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from studio.cli import EXIT_DIFFERENCES, EXIT_OK, cli, note, run, settings_from, warn
from studio.cli.options import exclude_option, format_option, rename_option, target_options
from studio.commands import diff as commands
from studio.commands.schemas import excluded_note
from studio.diff.order import render_script
from studio.sources.spec import SourceKind, major_mismatch
from studio.words import counted

if TYPE_CHECKING:
    from studio.commands.diff import DiffResult


@cli.command("diff")
@target_options
@click.option(
    "--from",
    "from_spec",
    metavar="SRC",
    multiple=True,
    help="Old side: URL, module:attr, .sql file/folder or `migrations`"
    " (default: the live database); repeat it to combine models and SQL as one schema.",
)
@click.option(
    "--to",
    "to_spec",
    metavar="SRC",
    multiple=True,
    help="New side (default: the declared schema from config); repeat it to combine"
    " models and SQL, in order, as one schema.",
)
@rename_option
@exclude_option
@click.option(
    "--with-privileges",
    is_flag=True,
    help="Also compare grants and owners (many teams manage them elsewhere).",
)
@format_option("text", "sql", "json")
def diff_cmd(
    db_url: str | None,
    schema_names: tuple[str, ...],
    exclude_schema: tuple[str, ...],
    from_spec: tuple[str, ...],
    to_spec: tuple[str, ...],
    renames: tuple[str, ...],
    exclude: tuple[str, ...],
    with_privileges: bool,
    fmt: str,
) -> int:
    """Show what it takes to go from one schema to another (exit 2 when they differ)."""
    settings = settings_from(db_url, schema_names, exclude_schema, exclude=exclude)
    result = run(
        commands.diff_sources(
            settings, from_spec, to_spec, renames, with_privileges=with_privileges
        )
    )
    if (versions := _versions_note(result)) is not None:
        warn(versions)
    for line in result.warnings():
        warn(line)
    if (unmodelled := result.unmodelled.note()) is not None:
        warn(unmodelled)
    if result.excluded is not None and fmt != "json":
        note(excluded_note(result.excluded))
    if fmt == "json":
        click.echo(json.dumps(diff_json(result), indent=2))
    elif fmt == "sql":
        if result.changes:
            click.echo(render_script(list(result.changes)))
    else:
        click.echo(diff_text(result))
    return EXIT_DIFFERENCES if result.differs else EXIT_OK


def _versions_note(result: DiffResult) -> str | None:
    """A database against a declared side normalized by a dev server of another major."""

    sides = (result.old, result.new)
    live = [s for s in sides if s.source.kind is SourceKind.URL]
    declared = [s for s in sides if s.source.kind is not SourceKind.URL]
    if len(live) != 1 or len(declared) != 1:
        return None
    return major_mismatch(live[0].server_version, declared[0].server_version)


def diff_json(result: DiffResult) -> dict[str, object]:
    """The change list and rename candidates as JSON."""
    out: dict[str, object] = {
        "from": result.old.source.describe(),
        "to": result.new.source.describe(),
        "schemas": list(result.schemas) if result.schemas is not None else None,
        "changes": [c.to_dict() for c in result.changes],
        # objects of kinds schema-studio does not model: never in "changes"
        "unmodelled": result.unmodelled.to_dict(),
        # differences no change reaches, and dependency cycles broken to order the changes
        "unreached": list(result.unreached),
        "cycles": list(result.cycles),
        "rename_candidates": [
            {"kind": c.kind, "old": c.old, "new": c.new, "score": c.score, "hint": c.hint}
            for c in result.candidates
        ],
    }
    if result.excluded is not None:
        # objects the `exclude` patterns left out of both sides (only when patterns are given)
        out["excluded"] = result.excluded
    return out


def diff_text(result: DiffResult) -> str:
    """A readable summary grouped by table, with data-loss and rename-candidate marks."""
    head = f"{result.old.source.describe()} -> {result.new.source.describe()}"
    if not result.changes:
        if result.differs:  # named on stderr, one line each
            cannot = f"{len(result.warnings())} it cannot (see above)"
            return f"{head}: no differences schema-studio can migrate; {cannot}"
        return f"{head}: no differences"
    groups: dict[str, list[str]] = {}
    for change in result.changes:
        group = change.targets[0] if change.targets else "(database)"
        mark = click.style(" [data loss]", fg="red", bold=True) if change.destructive else ""
        sign = {"create": "+", "add": "+", "drop": "-"}.get(change.kind.split("_", 1)[0], "~")
        colour = {"+": "green", "-": "red"}.get(sign, "yellow")
        groups.setdefault(group, []).append(
            click.style(f"  {sign} ", fg=colour) + change.describe() + mark
        )
    lines = [f"{head}: {counted(len(result.changes), 'change')}"]
    for group, items in groups.items():
        lines.append(click.style(group, bold=True))
        lines.extend(items)
    if result.candidates:
        lines.append(
            click.style("rename candidates (pass --rename to accept):", fg="magenta", bold=True)
        )
        for c in result.candidates:
            lines.append(f"  ? {c.kind} {c.old} -> {c.new}   --rename {c.hint}")
    return "\n".join(lines)
