"""The review of a plan, step by step: decisions, forms, summary and the file it makes (pure).

One review step is one item of the planner's plan (`studio.plan.planner`): the
change in its plain form and, when there is one, its safe form. The user
approves or skips each step and may switch its form; the migration file is
rendered from the approved steps only, in plan order, through the same
renderer `generate` uses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.commands.generate import schema_hash
from studio.migrations import files as migrations
from studio.migrations.files import Phase, Statement
from studio.migrations.naming import name_from
from studio.model.changes import RenameColumn
from studio.plan import expand
from studio.plan.moves import ColumnMove, TableMove, contract_steps, expand_steps
from studio.plan.planner import PlanItem, no_inverse, plan_safe_forms, undo
from studio.tui.facts import LEVELS, StepFacts, analyse_steps, plain_steps, steps

if TYPE_CHECKING:
    from studio.commands.draft import PlanInput
    from studio.migrations.files import StepSpec
    from studio.model.changes import Change
    from studio.plan.estimates import RelationSize, Throughput
    from studio.plan.moves import Move


class Decision(enum.StrEnum):
    """What the user decided for a step."""

    PENDING = "pending"
    APPROVED = "approved"
    SKIPPED = "skipped"

    @property
    def symbol(self) -> str:
        """The mark shown in the step list."""
        return {"pending": "·", "approved": "✓", "skipped": "✗"}[self.value]


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts for the summary bar."""

    total: int
    approved: int
    skipped: int
    pending: int
    hazards: dict[str, int]


@dataclass(frozen=True, slots=True)
class Rendered:
    """The migration as it will be written (an expand and a contract migration when split)."""

    version: str
    text: str
    down_text: str | None
    steps: int
    contract_version: str | None = None
    contract_text: str | None = None
    moves: tuple[str, ...] = ()
    # why there is no down file, naming the changes with no inverse ("" when there is one)
    no_down: str = ""


class Review:
    """A plan under review (mutable: the screen changes decisions and forms)."""

    def __init__(
        self,
        source: PlanInput,
        sizes: dict[str, RelationSize] | None = None,
        throughput: Throughput | None = None,
        findings: dict[tuple[str, ...], str] | None = None,
    ) -> None:
        self.source = source
        self.sizes = sizes or {}
        self.throughput = throughput
        # what a step requires of the target's rows -> why they fail it (`preview.data_findings`)
        self.findings = findings or {}
        p = plan_safe_forms(
            source.changes, source.old, server_version=source.server_version, safe=True
        )
        self.items: list[PlanItem] = list(p.items)
        self.decisions: list[Decision] = [Decision.PENDING] * len(self.items)
        # tables whose renames and breaking type changes go through expand/contract
        self.split: set[str] = set()
        self._analysis: dict[object, tuple[tuple[StepFacts, ...], ...]] = {}
        # per set of split tables: item -> its expand/contract move (the first item of a move;
        # a later one, a type change after its rename, is done by it), why items stay plain
        self._moves: dict[frozenset[str], _Moves] = {}

    def __len__(self) -> int:
        return len(self.items)

    # --- decisions ------------------------------------------------------------------------

    def approve(self, i: int) -> None:
        """Approve step `i`."""
        self.decisions[i] = Decision.APPROVED

    def skip(self, i: int) -> None:
        """Skip step `i` (it is left out of the file)."""
        self.decisions[i] = Decision.SKIPPED

    def approve_all(self) -> None:
        """Approve every step still pending."""
        self.decisions = [Decision.APPROVED if d is Decision.PENDING else d for d in self.decisions]

    def toggle_form(self, i: int) -> bool:
        """Switch step `i` between its safe and plain form; False when it has only one."""
        item = self.items[i]
        if not item.has_safe_form:
            return False
        self.items[i] = item.toggled()
        return True

    def form(self, i: int) -> str:
        """`safe`, `plain`, or `only` when the step has a single form."""
        item = self.items[i]
        if not item.has_safe_form:
            return "only"
        return "safe" if item.use_safe else "plain"

    def can_split(self, i: int) -> bool:
        """Whether step `i` is a rename or a breaking type change (what expand/contract is for)."""
        return expand.wants_phases(self.items[i].plain[0])

    def toggle_split(self, i: int) -> bool:
        """Plan step `i`'s table in expand/contract phases (or back); False when it cannot be."""
        if not self.can_split(i):
            return False
        for table in self.items[i].plain[0].targets[:1]:
            self.split ^= {table}
        return True

    def is_split(self, i: int) -> bool:
        """Whether step `i` goes through expand/contract."""
        return self.can_split(i) and any(t in self.split for t in self.items[i].plain[0].targets)

    def move(self, i: int) -> Move | None:
        """The expand/contract move of step `i`, when it is split and can be phased."""
        return self._planned_moves().first.get(i) if self.is_split(i) else None

    def done_by(self, i: int) -> int | None:
        """The step whose expand/contract does step `i` too (a type change after its rename)."""
        return self._planned_moves().later.get(i) if self.is_split(i) else None

    def unphased(self) -> tuple[str, ...]:
        """Why steps marked for expand/contract stay one migration (the planner's notes)."""
        return self._planned_moves().notes

    def phase_steps(self, i: int) -> tuple[tuple[StepSpec, ...], tuple[StepSpec, ...]]:
        """The expand steps step `i` becomes and its contract steps (empty when not phased)."""
        m = self.move(i)
        if m is None:
            return (), ()
        return tuple(expand_steps(m, expand.DEFAULT_BATCH_SIZE)), tuple(contract_steps(m))

    def _planned_moves(self) -> _Moves:
        """The planner's moves for the split tables, found back by the steps they come from."""
        key = frozenset(self.split)
        if key not in self._moves:
            found: dict[int, Move] = {}
            later: dict[int, int] = {}
            notes: tuple[str, ...] = ()
            if key:
                options = expand.Options(
                    sizes=dict.fromkeys(key, 1),
                    threshold=1,
                    server_version=self.source.server_version,
                )
                phases = expand.plan_phases(
                    [c for item in self.items for c in item.plain],
                    self.source.old,
                    self.source.new,
                    plain_steps_of,
                    options,
                )
                moves = phases.moves if phases is not None else ()
                notes = phases.notes if phases is not None else ()
                first: dict[int, int] = {}  # id of a move -> its first step
                for i, item in enumerate(self.items):
                    owner = next((m for m in moves if _moves(m, item.plain[0])), None)
                    if owner is None or not self.is_split(i):
                        continue
                    if id(owner) in first:
                        later[i] = first[id(owner)]
                    else:
                        first[id(owner)] = i
                        found[i] = owner
            self._moves[key] = _Moves(found, later, notes)
        return self._moves[key]

    # --- what a step is -----------------------------------------------------------------

    def changes(self, i: int) -> tuple[Change, ...]:
        """The changes step `i` runs in its chosen form."""
        return self.items[i].changes

    def sql(self, i: int) -> str:
        """Step `i`'s SQL in its chosen form, one statement per line.

        A step split into expand/contract shows the expand migration's steps,
        each under its description, then what the contract migration does.
        """
        expands, contracts = self.phase_steps(i)
        if (by := self.done_by(i)) is not None:
            return f"-- done by step {by + 1}'s expand/contract migrations"
        if not expands:
            return "\n".join(s.rstrip() + ";" for c in self.changes(i) for s in c.sql())
        out: list[str] = []
        for n, spec in enumerate(expands, 1):
            out.append(f"-- expand {n}: {step_title(spec)}")
            out += [_text(s).rstrip() + ";" for s in spec.statements]
        steps_ = f"{len(contracts)} step" + ("s" if len(contracts) != 1 else "")
        out.append(f"-- later, in the contract migration ({steps_}):")
        out += [f"--   {step_title(spec)}" for spec in contracts]
        return "\n".join(out)

    def specs(self, i: int) -> tuple[StepSpec, ...]:
        """The migration steps step `i` writes now: its changes, or its expand steps."""
        expands, _ = self.phase_steps(i)
        if self.done_by(i) is not None:
            return ()
        return expands or tuple(plain_steps(self.changes(i)))

    def facts(self, i: int) -> tuple[StepFacts, ...]:
        """Lock facts, hazards and estimate of each change of step `i`.

        The whole plan, in the forms chosen now, is analysed as one migration
        (cached per choice of forms): a step's facts depend on the steps before it.
        """
        key = (tuple(item.use_safe for item in self.items), frozenset(self.split))
        if key not in self._analysis:
            specs: list[StepSpec] = []
            changes: list[Change | None] = []
            counts: list[int] = []
            for j, item in enumerate(self.items):
                own = self.specs(j)
                specs += own
                split = self.move(j) is not None or self.done_by(j) is not None
                changes += [None] * len(own) if split else list(item.changes)
                counts.append(len(own))
            flat = analyse_steps(
                specs,
                changes,
                self.source.server_version,
                self.source.old,
                self.sizes,
                self.throughput,
            )
            per_item: list[tuple[StepFacts, ...]] = []
            n = 0
            for count in counts:
                per_item.append(flat[n : n + count])
                n += count
            self._analysis[key] = tuple(per_item)
        return self._analysis[key][i]

    def checks(self, i: int) -> tuple[str, ...]:
        """What the target's rows say of step `i` in its chosen form.

        NULLs, and values it cuts or fails on.
        """
        # deferred: pglast, loaded when a plan is analysed, not when the studio opens
        from studio.plan.preview import data_requirements

        if not self.findings:
            return ()
        steps = [[sql for c in item.changes for sql in c.sql()] for item in self.items[: i + 1]]
        wanted = data_requirements(steps)[-1]  # the steps before it: the NOT VALID checks they add
        return tuple(dict.fromkeys(self.findings[r] for r in wanted if r in self.findings))

    def worst_hazard(self, i: int) -> str | None:
        """The most severe hazard level of step `i`."""
        levels = {f.worst for f in self.facts(i)} - {None}
        return next((lv for lv in LEVELS if lv in levels), None)

    def tables(self, i: int) -> tuple[str, ...]:
        """The tables step `i` locks."""
        return tuple(dict.fromkeys(t for c in self.changes(i) for t in c.targets))

    def needs(self, i: int) -> list[int]:
        """Skipped steps that step `i` depends on (the file would fail without them)."""
        wanted = frozenset().union(*(c.requires for c in self.changes(i)))
        out = []
        for j in range(i):
            if self.decisions[j] is Decision.SKIPPED:
                provided = frozenset().union(*(c.provides for c in self.changes(j)))
                if wanted & provided:
                    out.append(j)
        return out

    def summary(self) -> Summary:
        """Counts of decisions and of hazards (worst per step) over approved and pending steps."""
        hazards = dict.fromkeys(LEVELS, 0)
        for i, d in enumerate(self.decisions):
            if d is not Decision.SKIPPED and (worst := self.worst_hazard(i)) is not None:
                hazards[worst] += 1
        return Summary(
            len(self.items),
            self.decisions.count(Decision.APPROVED),
            self.decisions.count(Decision.SKIPPED),
            self.decisions.count(Decision.PENDING),
            hazards,
        )

    # --- the file ---------------------------------------------------------------------------

    def approved_changes(self) -> tuple[Change, ...]:
        """The changes of the approved steps, in order."""
        return tuple(
            c
            for item, d in zip(self.items, self.decisions, strict=True)
            if d is Decision.APPROVED
            for c in item.changes
        )

    def render(self, version: str, name: str) -> Rendered:
        """The migration file as it will be written.

        With its down file, when every change has an inverse.

        Raises:
            ExpandUnsupported: a step marked for expand/contract that cannot be phased.
        """
        if self.split:
            phased = self._render_phases(version, name)
            if phased is not None:
                return phased
        sv = self.source.server_version
        changes = self.approved_changes()
        file_steps = steps(changes, sv, self.source.old)
        complete = Decision.SKIPPED not in self.decisions
        before = schema_hash(self.source.old)
        after = schema_hash(self.source.new) if complete else None
        text = migrations.render_migration(
            version, file_steps, description=(name,), schema_before=before, schema_after=after
        )
        approved = [
            item
            for item, d in zip(self.items, self.decisions, strict=True)
            if d is Decision.APPROVED
        ]
        undone = undo(approved, self.source.new, server_version=sv)
        down = None
        if undone.complete:
            down = migrations.render_migration(
                version,
                steps(undone.changes, sv, self.source.new),
                description=(f"{name} (down)",),
                schema_before=after,
                schema_after=before,
            )
        return Rendered(version, text, down, len(file_steps), no_down=undone.why_none())

    def _render_phases(self, version: str, name: str) -> Rendered | None:
        """The expand and contract migrations for the approved steps (None: nothing to phase)."""
        sv = self.source.server_version
        approved = [
            item
            for item, d in zip(self.items, self.decisions, strict=True)
            if d is Decision.APPROVED
        ]
        diffed = [c for item in approved for c in item.plain]
        forms = {id(item.plain[0]): item.changes for item in approved}
        options = expand.Options(sizes=dict.fromkeys(self.split, 1), threshold=1, server_version=sv)
        phases = expand.plan_phases(
            diffed,
            self.source.old,
            self.source.new,
            lambda c: steps(forms.get(id(c), (c,)), sv, self.source.old),
            options,
        )
        if phases is None or not phases.moves:
            return None
        slug = migrations.slugify(name)
        contract_version = migrations.next_version([version])
        moves = tuple(f"expand/contract: {m.describe()}" for m in phases.moves)
        before = schema_hash(self.source.old)
        after = schema_hash(self.source.new) if Decision.SKIPPED not in self.decisions else None
        text = migrations.render_migration(
            version,
            phases.expand,
            description=(
                f"{name} (expand)",
                *moves,
                f"contract migration: {contract_version}_{slug}_contract",
            ),
            schema_before=before,
            phase=Phase.EXPAND,
        )
        contract = migrations.render_migration(
            contract_version,
            phases.contract,
            description=(
                f"{name} (contract)",
                *moves,
                f"expand migration: {version}_{slug}_expand",
                "apply once the expand's backfill is done"
                " and no instance of the old application version runs",
            ),
            schema_after=after,
            phase=Phase.CONTRACT,
        )
        down = None
        if phases.expand_down is not None:
            down = migrations.render_migration(
                version,
                phases.expand_down,
                description=(f"{name} (expand, down)",),
                schema_after=before,
            )
        no_down = no_inverse(phases.irreversible) if phases.irreversible else ""
        return Rendered(
            version, text, down, len(phases.expand), contract_version, contract, moves, no_down
        )


@dataclass(frozen=True, slots=True)
class _Moves:
    """The expand/contract moves of a review's split steps."""

    first: dict[int, Move]  # the step a move is shown with -> the move
    later: dict[int, int]  # a step the move does too -> the step it is shown with
    notes: tuple[str, ...]  # why steps marked split stay one migration


def step_title(spec: StepSpec) -> str:
    """A phase step's description, without the phase it is in (`expand: add column ...`)."""
    title = spec.annotations[0] if spec.annotations else "step"
    return title.removeprefix("expand: ").removeprefix("contract: ")


def _text(statement: str | Statement) -> str:
    return statement if isinstance(statement, str) else statement.sql


def plain_steps_of(change: Change) -> list[StepSpec]:
    """A change's step, described only (the moves are what `Review` looks at)."""
    return plain_steps([change])


def _moves(move: Move, change: Change) -> bool:
    """Whether `move` is the expand/contract of `change` (a rename or a type change)."""
    if isinstance(move, TableMove):
        return getattr(change, "old", None) == move.old and getattr(change, "new", None) == move.new
    if getattr(change, "table", None) != move.table:
        return False
    if isinstance(change, RenameColumn):
        return (change.old_name, change.new_name) == (move.old.name, move.new.name)
    new = getattr(change, "new", None)
    return isinstance(move, ColumnMove) and getattr(new, "name", None) == move.new.name


def suggested_name(changes: tuple[Change, ...]) -> str:
    """A default migration name, as `generate` names one without `--name` (`name_from`)."""
    return name_from(changes) if changes else "schema_change"


__all__ = ["Decision", "Rendered", "Review", "Summary", "suggested_name"]
