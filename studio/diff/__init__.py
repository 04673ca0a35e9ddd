"""Schema x Schema -> ordered [Change]: the declarative diff, pure (no I/O).

`diff(old, new)` lists what turns `old` into `new`, ordered by
`studio.diff.order.order`. Renames are never guessed: `rename_candidates` reports
the dropped/added pairs that look like renames, and a `Rename` hint (parsed
from the CLI's `A=B` by `parse_rename`) turns such a pair into a RENAME.
Privileges and owners are compared only with `with_privileges`.

One comparator per object kind (`objects`, `tables`, `views`), in the order
their decisions feed each other: enums and functions say what they recreate
before tables and views decide what must be rebuilt around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.diff import catalog, objects, tables, views
from studio.diff.context import Context
from studio.diff.depend import rebuilds
from studio.diff.order import order_report
from studio.diff.renames import Rename, RenameCandidate, parse_rename, rename_candidates
from studio.diff.renaming import apply_renames

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.model import Schema
    from studio.model.changes import Change

__all__ = [
    "DiffReport",
    "Rename",
    "RenameCandidate",
    "diff",
    "diff_report",
    "parse_rename",
    "rename_candidates",
]


@dataclass(frozen=True, slots=True)
class DiffReport:
    """The ordered changes, and what they cannot do (named, never passed over)."""

    changes: tuple[Change, ...]
    # differences between the schemas that no change reaches (no SQL makes them), one line each
    unreached: tuple[str, ...] = ()
    # dependency cycles broken to order the changes, naming theirs (studio.diff.order)
    cycles: tuple[str, ...] = ()

    def warnings(self) -> tuple[str, ...]:
        """Everything the faces show beside the changes, one line each."""
        return self.unreached + self.cycles


def diff(
    old: Schema,
    new: Schema,
    renames: Sequence[Rename] = (),
    *,
    with_privileges: bool = False,
    server_version: int | None = None,
) -> list[Change]:
    """The changes that turn `old` into `new`, in an order PostgreSQL accepts (`diff_report`)."""
    report = diff_report(
        old, new, renames, with_privileges=with_privileges, server_version=server_version
    )
    return list(report.changes)


def diff_report(
    old: Schema,
    new: Schema,
    renames: Sequence[Rename] = (),
    *,
    with_privileges: bool = False,
    server_version: int | None = None,
) -> DiffReport:
    """The ordered changes that turn `old` into `new`, and what they cannot reach.

    Args:
        server_version: server_version_num of the database the changes are for,
            when known. PostgreSQL 18 names NOT NULL constraints and keeps those
            names through renames and detaches: knowing the version lets the
            diff rename them in the same migration.

    Raises:
        UsageError: a rename names an object the old schema does not have.
    """
    base, rename_changes = apply_renames(old, renames, server_version=server_version)
    forced: frozenset[str] = frozenset()
    while True:
        ctx = Context(
            base, new, with_privileges, server_version=server_version, original=old, forced=forced
        )
        ctx.add(*rename_changes)
        _compare(ctx)
        # what the changes take a dependency of goes and comes back: compare again with it
        more = rebuilds(ctx)
        if more <= forced:
            ordered = order_report(ctx.out, base.dependencies, new.dependencies)
            return DiffReport(ordered.changes, tuple(ctx.unreached), ordered.warnings())
        forced |= more


def _compare(ctx: Context) -> None:
    """Every comparator, in the order their decisions feed each other."""
    objects.namespaces(ctx)
    objects.extensions(ctx)
    objects.enums(ctx)
    objects.domains(ctx)
    objects.sequences(ctx)
    objects.functions(ctx)
    catalog.composites(ctx)
    catalog.catalog_objects(ctx)
    tables.tables(ctx)
    views.views(ctx)
    if ctx.with_privileges:
        objects.privileges(ctx)
