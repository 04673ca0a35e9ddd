"""A pending migration, step by step, as the studio reviews it before applying it.

Generated or hand-written (`schema-studio new`), a migration the target has
not applied (or not finished) is analysed the way `migrate` previews it
(`commands.preview.preview_steps`: locks, sizes and estimates read from the
target, what its rows say) and `lint` reports it (hazards, with the
directory's earlier migrations replayed for context). Read-only.
`pending_steps` analyses several at once, for `plan` (`commands.plan_report`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from studio.commands.files import load_migrations
from studio.commands.preview import preview_steps
from studio.commands.status import status
from studio.errors import UsageError
from studio.plan.locks.lint import lint_sources, sources_for_migrations
from studio.run.history import State

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from studio.config import Settings
    from studio.migrations.files import Migration, Step
    from studio.plan.estimates import Throughput
    from studio.plan.locks.lint import Finding
    from studio.plan.preview import Preview, StepEstimate


@dataclass(frozen=True, slots=True)
class PendingStep:
    """One step of the migration: its SQL, its preview on the target, lint's findings on it."""

    step: Step
    preview: StepEstimate
    # hazards lint finds in the step's statements (those no ignore comment accepted)
    findings: tuple[Finding, ...]
    # already committed by an interrupted run (a partial migration resumes after it)
    done: bool = False


@dataclass(frozen=True, slots=True)
class PendingReview:
    """A pending (or partial) migration of the target, step by step."""

    migration: Migration
    state: State
    steps: tuple[PendingStep, ...]
    throughput: Throughput | None
    server_version: int
    # pending migrations before it: applying it applies them first
    before: tuple[str, ...] = ()


async def review_pending(settings: Settings, version: str) -> PendingReview:
    """The pending or partial migration `version`, analysed against the target (read-only).

    Raises:
        UsageError: `version` is not a migration the target still has to apply.
    """
    st = (await status(settings, drift=False)).status
    todo = st.having(State.PENDING, State.PARTIAL)
    entry = next((e for e in todo if e.version == version and e.migration is not None), None)
    if entry is None or entry.migration is None:
        raise UsageError(
            f"{version} is not a pending migration of the target",
            "`schema-studio status` lists the pending ones",
        )
    m = entry.migration
    url = settings.database_url()
    assert url is not None
    done = entry.row.steps_done if entry.row is not None else 0
    preview, steps = await pending_steps(settings, url, [m], {m.version: done})
    before = tuple(e.version for e in todo if e.version < m.version)
    return PendingReview(
        m, entry.state, steps[m.version], preview.throughput, preview.server_version, before
    )


async def pending_steps(
    settings: Settings, url: str, ms: Sequence[Migration], done: Mapping[str, int]
) -> tuple[Preview, dict[str, tuple[PendingStep, ...]]]:
    """Every step of the migrations `ms`, analysed together as the runner applies them.

    One preview of the target (read-only) and one lint, the directory's
    earlier migrations replayed for context; `done` says how many steps of a
    partial migration are committed. Returns the preview and the steps per version.
    """
    preview = await preview_steps(settings, url, ms)
    ordered = sorted(ms, key=lambda m: m.version)
    wanted = {m.version for m in ordered}
    first = ordered[0].version
    earlier = tuple(
        x
        for x in load_migrations(settings, verify=False)
        if x.version < first and x.version not in wanted
    )
    report = lint_sources(
        sources_for_migrations([*earlier, *ordered], wanted),
        server_version=preview.server_version,
        context=preview.context(),
    )
    active = report.active()
    out: dict[str, tuple[PendingStep, ...]] = {}
    for m in ordered:
        mine = [f for f in active if f.path == str(m.path)]
        estimates = [s for s in preview.steps if s.version == m.version]
        out[m.version] = tuple(
            PendingStep(step, estimate, within(step, mine), step.index <= done.get(m.version, 0))
            for step, estimate in zip(m.steps, estimates, strict=True)
        )
    return preview, out


class _Lined(Protocol):
    @property
    def line(self) -> int: ...


L = TypeVar("L", bound=_Lined)


def within(step: Step, items: Sequence[L]) -> tuple[L, ...]:
    """The items (findings, linted statements) on the lines of the step's statements."""
    spans = [(st.line, st.line + st.sql.count("\n")) for st in step.statements]
    return tuple(x for x in items if any(a <= x.line <= b for a, b in spans))
