"""Expand/contract pairs: which contract completes which expand, where each pair stands, the gate.

Several pairs may be in flight at once: `studio.run.inflight`.

A contract migration (`-- schema-studio:phase contract`) names its expand in
its header (`-- expand migration: <version>_<name>`, written by `generate`);
a hand-written one without that line pairs with the nearest expand before it.
`migrate` applies a contract only once its expand is applied — its backfill
done, since the backfill step is recorded only when its last batch is — and
the user has confirmed that the old application version is gone.

Pure: the history rows and backfill progress are read by the caller.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.errors import StudioError
from studio.migrations.format import Phase
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from studio.migrations.files import Migration
    from studio.run.backfill import Progress
    from studio.run.history import HistoryRow

_EXPAND_LINE = re.compile(r"^expand migration:\s*(\d{14})(?!\d)")


class ContractBlocked(StudioError):
    """A contract migration whose expand (and its backfill) is not finished."""

    hint = (
        "run `schema-studio migrate` (or `schema-studio backfill VERSION`)"
        " to finish the expand first"
    )


class ContractNotConfirmed(StudioError):
    """A contract migration needs the user's word that the old application version is gone."""

    hint = (
        "once no instance of the old application version runs, pass --confirm-contract "
        "(or answer the prompt on a terminal)"
    )
    # the versions of the contracts left waiting (the run applied what it could past them)
    waiting: tuple[str, ...] = ()
    # the versions the run applied past those contracts (newer than one of them)
    passed: tuple[str, ...] = ()


def expand_of(contract: Migration, migrations: Sequence[Migration]) -> Migration | None:
    """The expand migration a contract completes.

    Found by its header line, else the nearest one before it.
    """
    by_version = {m.version: m for m in migrations}
    for line in contract.description:
        m = _EXPAND_LINE.match(line.strip())
        if m and m[1] in by_version:
            return by_version[m[1]]
    earlier = [m for m in migrations if m.phase is Phase.EXPAND and m.version < contract.version]
    return earlier[-1] if earlier else None


def gate(
    contract: Migration,
    migrations: Sequence[Migration],
    finished: Collection[str],
    *,
    confirmed: bool,
) -> None:
    """Refuse a contract migration whose expand is unfinished, or that is not confirmed.

    Args:
        finished: versions whose history row is finished (applied earlier or in this run).

    Raises:
        ContractBlocked: the expand (or its backfill) is not done.
        ContractNotConfirmed: `confirmed` is false.
    """
    expand = expand_of(contract, migrations)
    if expand is not None and expand.version not in finished:
        raise ContractBlocked(
            f"{contract.filename} contracts {expand.filename}, which is not fully applied "
            "(its backfill is not done)"
        )
    of = f" (contract of {expand.filename})" if expand is not None else " (a contract migration)"
    if not confirmed:
        raise ContractNotConfirmed(
            f"{contract.filename}{of} drops what the old application version still uses: "
            "not applied without confirmation"
        )


class PairState(enum.StrEnum):
    """Where an expand/contract pair stands."""

    PENDING = "pending"
    EXPANDING = "expanding"
    BACKFILLING = "backfilling"
    EXPANDED = "expanded"
    BACKFILLED = "backfilled"
    CONTRACTING = "contracting"
    CONTRACTED = "contracted"


@dataclass(frozen=True, slots=True)
class Pair:
    """An expand migration, its contract (if any) and their state."""

    expand: Migration
    contract: Migration | None
    state: PairState
    # 0-100 while backfilling (the backfill steps' rows done over rows total)
    percent: float | None = None
    rows_done: int = 0
    rows_total: int = 0

    def describe(self) -> str:
        """One line: `backfilling 42% (84,000/200,000 rows)`."""
        if self.state is PairState.BACKFILLING:
            done = f"{self.rows_done:,}/{counted(self.rows_total, 'row')}"
            return f"backfilling {self.percent or 0:.0f}% ({done})"
        if self.state is PairState.BACKFILLED and self.contract is not None:
            return f"backfilled: contract {self.contract.filename} waits for --confirm-contract"
        return self.state.value


def pairs(
    migrations: Sequence[Migration], rows: Sequence[HistoryRow], progress: Sequence[Progress]
) -> tuple[Pair, ...]:
    """Every expand migration on disk with its contract and where they stand."""
    recorded = {r.version: r for r in rows}
    contracts: dict[str, Migration] = {}
    for m in migrations:
        if m.phase is Phase.CONTRACT and (e := expand_of(m, migrations)) is not None:
            contracts.setdefault(e.version, m)
    out = []
    for m in migrations:
        if m.phase is not Phase.EXPAND:
            continue
        contract = contracts.get(m.version)
        out.append(_pair(m, contract, recorded, progress))
    return tuple(out)


def _pair(
    expand: Migration,
    contract: Migration | None,
    recorded: dict[str, HistoryRow],
    progress: Sequence[Progress],
) -> Pair:
    row = recorded.get(expand.version)
    if contract is not None and (c_row := recorded.get(contract.version)) is not None:
        state = PairState.CONTRACTED if c_row.finished_at is not None else PairState.CONTRACTING
        return Pair(expand, contract, state)
    backfills = [s for s in expand.steps if s.backfill]
    if row is None:
        return Pair(expand, contract, PairState.PENDING)
    if row.finished_at is not None:
        state = PairState.BACKFILLED if backfills else PairState.EXPANDED
        return Pair(expand, contract, state, 100.0 if backfills else None)
    mine = [p for p in progress if p.version == expand.version]
    first_backfill = min((s.index for s in backfills), default=None)
    if first_backfill is None or row.steps_done < first_backfill - 1:
        return Pair(expand, contract, PairState.EXPANDING)
    done = sum(p.rows_done for p in mine)
    total = sum(p.rows_total for p in mine)
    percent = 100.0 * done / total if total else 0.0
    return Pair(expand, contract, PairState.BACKFILLING, min(percent, 100.0), done, total)
