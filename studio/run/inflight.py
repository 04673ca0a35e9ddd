"""Several expand/contract pairs in flight: a waiting contract is a deferred phase, not a wall.

A contract waiting for confirmation is deferred: `schedule` lets the
migrations after it run past it unless they use what it takes away (a column
it drops, a column it renames, the view it drops), which would break the day
it runs (`footprint`, `conflict`). Contracts run in version order when
confirmed. `in_flight` says where each migration stands for `status`,
`check` and the studio; `refuse_lone_rollback` guards `rollback --only`.

Pure: the history rows are read by the caller.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.errors import StudioError
from studio.migrations.format import Phase
from studio.model import qualname, quote_ident
from studio.run.phases import ContractNotConfirmed, PairState, expand_of, gate, pairs
from studio.sqltext.columns import ColumnUse, column_use

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from studio.migrations.files import Migration
    from studio.run.backfill import Progress
    from studio.run.history import HistoryRow


class ContractConflict(StudioError):
    """A later migration uses what an earlier, waiting contract migration drops or renames."""

    hint = (
        "confirm the waiting contract first (`migrate --confirm-contract VERSION` once the old "
        "application version is gone), or write the later migration without those columns"
    )


@dataclass(frozen=True, slots=True)
class Footprint:
    """What a contract migration takes away, by (schema, table) and column name."""

    # (schema, table, column): columns dropped, and both names of columns renamed
    columns: frozenset[tuple[str, str, str]]
    # tables whose columns it renames
    renames_on: frozenset[tuple[str, str]]
    # relations it drops or renames (the view of a renamed table)
    removed: frozenset[tuple[str, str]]
    # every table it alters (renaming or dropping one of them breaks it)
    tables: frozenset[tuple[str, str]]


def _uses(m: Migration) -> list[ColumnUse]:
    return [column_use(st.sql) for step in m.steps for st in step.statements]


def footprint(contract: Migration) -> Footprint:
    """What `contract` drops and renames, read from its statements."""
    columns: set[tuple[str, str, str]] = set()
    renames_on: set[tuple[str, str]] = set()
    removed: set[tuple[str, str]] = set()
    tables: set[tuple[str, str]] = set()
    for use in _uses(contract):
        columns |= use.dropped
        for schema, table, old, new in use.renamed:
            columns |= {(schema, table, old), (schema, table, new)}
            renames_on.add((schema, table))
        removed |= use.removed
        tables |= use.relations - use.removed
    return Footprint(
        frozenset(columns), frozenset(renames_on), frozenset(removed), frozenset(tables)
    )


def conflict(waiting: Footprint, later: Migration) -> str | None:
    """What `later` uses of what the waiting contract takes away (None: nothing, it may pass)."""
    for use in _uses(later):
        for schema, table, column in sorted(waiting.columns):
            if (schema, table) in use.relations and column in use.columns:
                return f"uses {_name(schema, table)}.{quote_ident(column)}"
        for schema, table in sorted(use.relations & waiting.removed):
            return f"uses {_name(schema, table)}"
        for schema, table in sorted(use.removed & waiting.tables):
            return f"renames or drops {_name(schema, table)}"
        for schema, table, _, _ in sorted(use.renamed):
            if (schema, table) in waiting.renames_on:
                return f"renames columns of {_name(schema, table)}"
    return None


def _name(schema: str, table: str) -> str:
    return qualname(schema, table)


def takes_away(contract: Migration) -> tuple[str, ...]:
    """What `contract` drops and renames, one line each (`drops column public.items.name`).

    Read from its statements as `footprint` reads them: what a confirmation names.
    """
    lines: list[str] = []
    for use in _uses(contract):
        for schema, table, column in sorted(use.dropped):
            lines.append(f"drops column {_name(schema, table)}.{quote_ident(column)}")
        for schema, table, old, new in sorted(use.renamed):
            lines.append(
                f"renames column {_name(schema, table)}.{quote_ident(old)} to {quote_ident(new)}"
            )
        renamed = {(s, t): to for s, t, to in use.renamed_relations}
        for schema, table in sorted(use.removed):
            if (schema, table) in renamed:
                to = quote_ident(renamed[(schema, table)])
                lines.append(f"renames {_name(schema, table)} to {to}")
            else:
                lines.append(f"drops {_name(schema, table)}")
    return tuple(dict.fromkeys(lines))


# `--confirm-contract`: every contract (True), one (its VERSION), or those of a set of
# versions (the studio's fleet screen: the contracts it named); False: none
Confirmation = bool | str | frozenset[str]


def confirms(confirm: Confirmation, contract: Migration) -> bool:
    """Whether the confirmation (all: True; one: its VERSION; a set of them) covers `contract`."""
    if isinstance(confirm, frozenset):
        return contract.version in confirm
    return confirm is True or (isinstance(confirm, str) and confirm == contract.version)


@dataclass(frozen=True, slots=True)
class Schedule:
    """What a `migrate` run applies, in order, and the contracts it leaves waiting."""

    run: tuple[tuple[Migration, HistoryRow | None], ...]
    waiting: tuple[Migration, ...]


def schedule(
    todo: Sequence[tuple[Migration, HistoryRow | None]],
    migrations: Sequence[Migration],
    finished: Collection[str],
    confirm: Confirmation,
) -> Schedule:
    """Defer the unconfirmed contracts; refuse a migration that conflicts with one (pure).

    Refuses before anything runs.

    Raises:
        ContractBlocked: a confirmed contract whose expand is neither finished nor in this run.
        ContractConflict: a migration uses what a contract it would pass drops or renames.
        StudioError: `confirm` names a version that is no pending contract.
    """
    if isinstance(confirm, str) and not any(
        m.version == confirm and m.phase is Phase.CONTRACT for m, _ in todo
    ):
        raise StudioError(
            f"--confirm-contract {confirm}: no pending contract migration has that version",
            "see `schema-studio status` for the contracts waiting",
        )
    done = set(finished)
    run: list[tuple[Migration, HistoryRow | None]] = []
    waiting: list[tuple[Migration, Footprint]] = []
    for m, row in todo:
        if m.phase is Phase.CONTRACT and row is None:
            if not confirms(confirm, m):
                waiting.append((m, footprint(m)))
                continue
            gate(m, migrations, done, confirmed=True)
        for w, print_ in waiting:
            if (what := conflict(print_, m)) is not None:
                raise ContractConflict(
                    f"{m.filename} {what}, which {w.filename} (a contract waiting for"
                    " confirmation) drops or renames: not applied past it"
                )
        run.append((m, row))
        done.add(m.version)
    return Schedule(tuple(run), tuple(m for m, _ in waiting))


def not_confirmed(
    waiting: Sequence[Migration], migrations: Sequence[Migration], *, applied: Sequence[str] = ()
) -> ContractNotConfirmed:
    """The error a run ends with when contracts wait: each named with its expand."""
    named = []
    for m in waiting:
        expand = expand_of(m, migrations)
        named.append(f"{m.filename} (contract of {expand.filename})" if expand else m.filename)
    verb = "drops" if len(named) == 1 else "drop"
    err = ContractNotConfirmed(
        f"{', '.join(named)} {verb} what the old application version still uses: "
        "not applied without confirmation"
    )
    err.waiting = tuple(m.version for m in waiting)
    err.passed = tuple(v for v in applied if any(m.version < v for m in waiting))
    return err


def waiting_contracts(
    migrations: Sequence[Migration], rows: Sequence[HistoryRow]
) -> tuple[Migration, ...]:
    """Contracts not applied whose expand is finished: they wait for confirmation."""
    finished = {r.version for r in rows if r.finished}
    recorded = {r.version for r in rows}
    out = []
    for m in migrations:
        if m.phase is not Phase.CONTRACT or m.version in recorded:
            continue
        expand = expand_of(m, migrations)
        if expand is None or expand.version in finished:
            out.append(m)
    return tuple(out)


class Stage(enum.StrEnum):
    """A migration's phase, as `status`, `check` and the studio's history show it."""

    EXPANDING = "expanding"
    EXPANDED = "expanded"
    BACKFILLING = "backfilling"
    BACKFILLED = "backfilled"
    CONTRACT_WAITING = "contract waiting"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class InFlight:
    """Each expand/contract migration's phase, and the waiting contracts each later one passed."""

    stages: dict[str, Stage]
    # version -> the waiting contracts older than it (it was applied, or will be, past them)
    passed: dict[str, tuple[str, ...]]

    @property
    def waiting(self) -> frozenset[str]:
        """The contract migrations waiting for confirmation."""
        return frozenset(v for v, s in self.stages.items() if s is Stage.CONTRACT_WAITING)

    def describe(self, version: str) -> str:
        """`backfilled`, `contract waiting`, `past 20260101000002 (waiting)`, or ''."""
        parts = []
        if (stage := self.stages.get(version)) is not None:
            parts.append(stage.value)
        if past := self.passed.get(version):
            parts.append(f"past waiting contract {', '.join(past)}")
        return "; ".join(parts)


def in_flight(
    migrations: Sequence[Migration], rows: Sequence[HistoryRow], progress: Sequence[Progress]
) -> InFlight:
    """Every expand and contract migration's phase, and what passed which waiting contract."""
    stages: dict[str, Stage] = {}
    for p in pairs(migrations, rows, progress):
        stage = _STAGE.get(p.state)
        if stage is not None:
            stages[p.expand.version] = stage
        if p.contract is not None and p.state is PairState.CONTRACTED:
            stages[p.contract.version] = Stage.DONE
    waiting = waiting_contracts(migrations, rows)
    for m in waiting:
        stages[m.version] = Stage.CONTRACT_WAITING
    passed: dict[str, tuple[str, ...]] = {}
    for m in migrations:
        past = tuple(w.version for w in waiting if w.version < m.version and w is not m)
        if past and m not in waiting:
            passed[m.version] = past
    return InFlight(stages, passed)


_STAGE = {
    PairState.EXPANDING: Stage.EXPANDING,
    PairState.BACKFILLING: Stage.BACKFILLING,
    PairState.EXPANDED: Stage.EXPANDED,
    PairState.BACKFILLED: Stage.BACKFILLED,
    PairState.CONTRACTING: Stage.BACKFILLED,
    PairState.CONTRACTED: Stage.DONE,
}


def depends_on(expand: Migration, later: Migration) -> tuple[str, str] | None:
    """A table of `expand`'s that `later` also names: it was written against the expanded table.

    Conservative: any use of the same table counts (a sync trigger of the
    expand fires on the later migration's writes to it).
    """
    tables = {rel for use in _uses(expand) for rel in use.relations}
    for use in _uses(later):
        if shared := sorted(use.relations & tables):
            return shared[0]
    return None


def refuse_lone_rollback(
    m: Migration, migrations: Sequence[Migration], applied_after: Sequence[Migration]
) -> None:
    """Refuse rolling back `m` alone unless it is an expand in flight no later migration uses.

    Raises:
        StudioError: `m` is not an expand whose contract waits, or a later applied migration
            uses one of its tables.
    """
    contract = next(
        (c for c in migrations if c.phase is Phase.CONTRACT and expand_of(c, migrations) is m),
        None,
    )
    if m.phase is not Phase.EXPAND or contract is None:
        raise StudioError(
            f"--only {m.version}: {m.filename} is not an expand migration with a contract",
            "roll back the newest migrations with --count or --to",
        )
    for later in applied_after:
        if later is contract:
            raise StudioError(
                f"--only {m.version}: its contract {contract.filename} is applied",
                "roll back the newest migrations with --count or --to",
            )
        if (table := depends_on(m, later)) is not None:
            raise StudioError(
                f"{m.filename} cannot be rolled back while {later.filename}, applied past its"
                f" waiting contract, depends on its expanded state (both use"
                f" {_name(*table)})",
                f"roll {later.filename} back first (`schema-studio rollback --to {m.version}`"
                " rolls back everything after it)",
            )
