"""The contracts waiting across a fleet, and confirming them: `migrate --fleet --confirm-contract`.

A contract migration waits on a target once its expand is finished there,
until the user says no instance of the old application version runs
(`studio.run.inflight`). `waiting_on_fleet` gathers, from each target's
last report, which contracts wait where and what each drops or renames;
`fleet_confirm` runs `migrate --fleet` on those targets only, confirming
those contracts only (a contract it did not name keeps waiting), under the
policy given: each target's run is its own, as `migrate --fleet` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from studio.commands.files import load_migrations
from studio.commands.fleet.rollout import fleet_migrate
from studio.commands.fleet.targets import fleet_targets
from studio.run.inflight import takes_away

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.commands.fleet.report import FleetReport, TargetReport
    from studio.commands.fleet.rollout import (
        Abort,
        FleetEventSink,
        MigrateOptions,
        Policy,
        TargetSink,
    )
    from studio.config import Settings


@dataclass(frozen=True, slots=True)
class FleetContract:
    """One contract migration, the targets it waits on, and what it takes away."""

    version: str
    filename: str
    targets: tuple[str, ...]
    # `drops column public.items.name`, one line each (empty: it drops no column or table)
    takes_away: tuple[str, ...]
    # its steps' titles: what it runs, when it takes nothing away that can be named
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContractsWaiting:
    """What confirming the fleet's waiting contracts runs: which contracts, on which targets."""

    contracts: tuple[FleetContract, ...]
    # the targets where one waits, in the fleet's order
    targets: tuple[str, ...]
    # the other migrations pending on those targets: the confirmed run applies them too
    others: int = 0

    @property
    def versions(self) -> frozenset[str]:
        """The contracts confirmed, by version."""
        return frozenset(c.version for c in self.contracts)


def waiting_on_fleet(settings: Settings, reports: Sequence[TargetReport]) -> ContractsWaiting:
    """The contracts waiting on each target as its last report read them, oldest first.

    A contract on disk no more (the directory changed since) is left out.
    """
    by_version = {m.version: m for m in load_migrations(settings)}
    where: dict[str, list[str]] = {}
    targets: list[str] = []
    others = 0
    for r in reports:
        versions = [v for v in r.waiting or () if v in by_version]
        if not versions:
            continue
        targets.append(r.target.name)
        others += max(r.pending - len(versions), 0)
        for v in versions:
            where.setdefault(v, []).append(r.target.name)
    contracts = []
    for version in sorted(where):
        m = by_version[version]
        contracts.append(
            FleetContract(
                version,
                m.filename,
                tuple(where[version]),
                takes_away(m),
                tuple(step.title for step in m.steps),
            )
        )
    return ContractsWaiting(tuple(contracts), tuple(targets), others)


async def fleet_confirm(
    settings: Settings,
    policy: Policy,
    options: MigrateOptions,
    waiting: ContractsWaiting,
    *,
    on_event: FleetEventSink | None = None,
    on_target: TargetSink | None = None,
    abort: Abort | None = None,
) -> FleetReport:
    """`migrate --fleet --confirm-contract` for `waiting`'s contracts, on its targets only.

    The targets are found again (their URLs as configured now); one gone from
    the fleet since is not run.
    """
    chosen = [t for t in await fleet_targets(settings) if t.name in waiting.targets]
    confirmed = replace(options, confirm_contract=waiting.versions)
    return await fleet_migrate(
        settings, policy, confirmed, on_event=on_event, on_target=on_target, targets=chosen,
        abort=abort,
    )  # fmt: skip
