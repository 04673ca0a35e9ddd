"""`generate`: the declared schema against the migrations directory, written as a new migration.

`generate` diffs the replay of the migrations directory (materialized in a
throwaway database) against the declared schema and writes the difference as
a new migration, one step per change, each step annotated with facts that
follow from its SQL. The steps' rendering (`step_spec`, `annotated_steps`)
and the rename questions (`resolve_renames`) serve `push` and the studio too.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from studio.catalog import connect as db
from studio.commands.diff import migrations_source
from studio.commands.schemas import Scoped, exclusions, in_scope, managed_schemas
from studio.commands.target import read_history
from studio.diff import diff_report, parse_rename, rename_candidates
from studio.diff.unmodelled import unmodelled
from studio.errors import ConnectionFailed, StudioError, UsageError
from studio.migrations import files as migrations
from studio.migrations.files import Phase
from studio.migrations.naming import name_from
from studio.model.changes import (
    Backfill,
    CreateTable,
    ValidateConstraint,
    ValidateDomainConstraint,
)
from studio.plan import expand
from studio.plan.planner import no_inverse, plan_safe_forms, undo
from studio.run import inflight
from studio.sources.devdb.lease import dev_major
from studio.sources.load import concurrently, load
from studio.sources.spec import declared_source
from studio.words import counted, plural

# the server version lock facts assume when the dev server's is not known
DEFAULT_SERVER_VERSION = 180000

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.diff import DiffReport, Rename, RenameCandidate
    from studio.diff.unmodelled import UnmodelledReport
    from studio.model import Schema
    from studio.model.changes import Change
    from studio.plan.expand import Phases
    from studio.plan.locks import Context
    from studio.sources.spec import Loaded

# Asks whether a candidate is a rename (True) or a drop and an add (False).
AskRename = Callable[["RenameCandidate"], bool]


class UnresolvedRenames(StudioError):
    """Rename candidates with no answer, and no terminal to ask on."""

    def __init__(self, candidates: Sequence[RenameCandidate]) -> None:
        self.candidates = tuple(candidates)
        hints = " ".join(f"--rename {c.hint}" for c in self.candidates)
        super().__init__(
            f"{counted(len(self.candidates), 'possible rename')}"
            f" {plural(len(self.candidates), 'needs', 'need')} an answer: "
            + ", ".join(f"{c.old} -> {c.new}" for c in self.candidates),
            f"pass {hints} to rename, or --no-rename to drop and add",
        )


def schema_hash(schema: Schema) -> str:
    """A short content hash of a schema, written in migration headers.

    Of what `==` compares: the dependency edges (how the objects came to be)
    are left out, so a fingerprint changes only when the schema does.
    """
    content = dataclasses.replace(schema, dependencies={}) if schema.dependencies else schema
    return hashlib.sha256(content.to_json().encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Generated:
    """A generated migration (or nothing to do when `changes` is empty)."""

    changes: tuple[Change, ...]
    renames: tuple[Rename, ...]
    text: str = ""
    down_text: str | None = None
    path: Path | None = None
    down_path: Path | None = None
    # why there is no down file (naming the changes with no inverse); "" when there is one
    no_down: str = ""
    version: str = ""
    # expand/contract: `text` is the expand migration, these the contract one
    phases: Phases | None = None
    contract_text: str | None = None
    contract_path: Path | None = None
    contract_version: str = ""
    # changes that could have been phased but stay plain, and why
    notes: tuple[str, ...] = ()
    # objects of kinds the model lacks, by side: never in the migration, always reported
    unmodelled: UnmodelledReport | None = None
    # differences between the two sides that no change reaches, and dependency cycles
    # broken to order the changes (see DiffReport)
    unreached: tuple[str, ...] = ()
    cycles: tuple[str, ...] = ()
    # objects the `exclude` patterns left out of both sides (None: no pattern given)
    excluded: int | None = None

    def warnings(self) -> tuple[str, ...]:
        """What the migration leaves undone (unmodelled objects on one side only, differences
        no SQL reaches) or may get wrong (a broken dependency cycle), one line each."""
        said = self.unreached + self.cycles
        if self.unmodelled is None:
            return said
        return self.unmodelled.problems("the migrations", "the declared schema") + said


def step_transactional(change: Change) -> bool:
    """Whether a change's step may share the migration's transaction.

    Not when a new enum value must be committed before a later step uses it,
    nor for a VALIDATE: a safe form adds the constraint NOT VALID (a brief
    strong lock), then validates it under a weak one; in the add's transaction
    the strong lock would be held for the whole scan (bench/online.py measured
    it: the foreign key's "safe" plan stalled writes as long as the plain one).
    A no-transaction step makes the runner commit each step on its own.
    """
    if isinstance(change, ValidateConstraint | ValidateDomainConstraint):
        return False
    return change.transactional and not change.commit_before_use


def step_spec(change: Change) -> migrations.StepSpec:
    """A change's step, annotated with its description (a backfill is a backfill step)."""
    if isinstance(change, Backfill):
        # run in batches by the runner (`studio.run.backfill`), each its own short transaction
        return migrations.StepSpec(
            statements=change.sql(),
            annotations=(
                change.describe(),
                change.annotation,
                "each batch: its own short transaction under lock_timeout"
                " (ROW EXCLUSIVE, row locks of the batch)",
            ),
            backfill=True,
        )
    return migrations.StepSpec(
        statements=change.sql(),
        annotations=(change.describe(),),
        transactional=step_transactional(change),
    )


def annotated_steps(
    changes: Sequence[Change], server_version: int, context: Context | None = None
) -> list[migrations.StepSpec]:
    """One step per change, each annotated with the facts that follow from its SQL.

    The lock analysis runs over the whole migration as the runner will apply
    it, so a step sees what the earlier steps did (a SET NOT NULL after its
    CHECK was validated skips the scan). Sizes and durations depend on the
    target: they are shown at review and migrate time, never written into files.
    """
    # Parsing and analysing every statement keeps millions of parse-tree
    # nodes alive until the end, and nothing is garbage before then: the
    # cyclic collector would only walk them again and again (a first generate
    # of 1,000 tables: 9.1 s with it, 6.4 s without).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _annotated_steps(changes, server_version, context)
    finally:
        if enabled:
            gc.enable()


def _annotated_steps(
    changes: Sequence[Change], server_version: int, context: Context | None
) -> list[migrations.StepSpec]:
    # deferred: lock analysis loads pglast, which push and the studio's step rendering skip
    from studio.plan.locks.hazards import Level
    from studio.plan.locks.lint import lint_sources, migration_source  # deferred: pglast

    steps = [step_spec(c) for c in changes]
    version = server_version or DEFAULT_SERVER_VERSION
    draft = migrations.parse_text(migrations.render_migration("00000000000000", steps), "<draft>")
    m = migrations.Migration(
        version="00000000000000", name="draft", path=Path("<draft>"), steps=draft.steps
    )
    report = lint_sources([migration_source(m)], server_version=version, context=context)
    # one draft file: statements and findings come in line order, so each
    # step's are found by bisection instead of a scan per step (O(steps^2))
    statements = _ByLine(report.statements)
    findings = _ByLine(report.active())
    out = []
    for spec, step in zip(steps, draft.steps, strict=True):
        # from the step's first statement to the last line of its last one, not into the next step
        first = min((st.line for st in step.statements), default=0)
        last = max((st.line + st.sql.count("\n") for st in step.statements), default=0)
        notes = [
            f"lock: {f.describe()}"
            for r in statements.between(first, last)
            for f in r.facts
            if not f.placeholder
        ]
        seen: set[str] = set()
        for finding in findings.between(first, last):
            if finding.level >= Level.WARNING and finding.hazard.id not in seen:
                seen.add(finding.hazard.id)
                notes.append(
                    f"hazard {finding.hazard.id} ({finding.level.label}): {finding.hazard.message}"
                )
        out.append(replace(spec, annotations=(*spec.annotations, *dict.fromkeys(notes))))
    return out


class _HasLine(Protocol):
    @property
    def line(self) -> int: ...


_Lined = TypeVar("_Lined", bound=_HasLine)


class _ByLine(Generic[_Lined]):
    """Report items of one file, looked up by a range of lines."""

    def __init__(self, items: Sequence[_Lined]) -> None:
        self._items = items
        self._lines = [i.line for i in items]
        self._ordered = all(a <= b for a, b in pairwise(self._lines))

    def between(self, first: int, last: int) -> Sequence[_Lined]:
        """The items on lines `first` to `last`, in their order."""
        if not self._ordered:
            return [i for i in self._items if first <= i.line <= last]
        return self._items[bisect_left(self._lines, first) : bisect_right(self._lines, last)]


async def plan_changes(
    settings: Settings,
    rename_specs: Sequence[str] = (),
    *,
    no_rename: bool = False,
    ask: AskRename | None = None,
    major: int | None = None,
) -> tuple[Loaded, Loaded, DiffReport, tuple[Rename, ...], Scoped]:
    """Replay of the migrations -> declared schema: the diff's report, the renames used, and
    the two sides as compared (managed schemas, `exclude` applied)."""

    # both sources first: one that raises would leave the other's coroutine never awaited
    sources = migrations_source(settings), declared_source(settings)
    # the replay runs on the dev server while the models import (one server, shared)
    old, new = await concurrently(*(load(s, settings, major=major) for s in sources))
    scoped = in_scope(settings, managed_schemas(settings, old, new), old.schema, new.schema)
    a, b = scoped.sides
    renames = resolve_renames(a, b, rename_specs, no_rename=no_rename, ask=ask)
    version = old.server_version or new.server_version or None
    report = diff_report(a, b, renames, server_version=version)
    return old, new, report, tuple(renames), scoped


def resolve_renames(
    a: Schema, b: Schema, rename_specs: Sequence[str], *, no_rename: bool, ask: AskRename | None
) -> list[Rename]:
    """The hints given, plus the candidates the user accepts; unanswered candidates raise."""
    renames = [parse_rename(text, a, b) for text in rename_specs]
    if no_rename:
        return renames
    open_candidates = rename_candidates(a, b, renames)
    if open_candidates and ask is None:
        raise UnresolvedRenames(open_candidates)
    for candidate in open_candidates:
        assert ask is not None
        # an earlier answer may have settled this one (a table renamed with its columns)
        if candidate in rename_candidates(a, b, renames) and ask(candidate):
            renames.append(candidate.rename())
    return renames


async def generate(
    settings: Settings,
    name: str | None,
    rename_specs: Sequence[str] = (),
    *,
    no_rename: bool = False,
    ask: AskRename | None = None,
    write: bool = True,
    safe: bool = True,
    expand_contract: bool = False,
    sizes: Mapping[str, int] | None = None,
) -> Generated:
    """Write the difference between the migrations and the declared schema as a new migration.

    Renames and breaking type changes become an expand and a contract
    migration (`studio.plan.expand`) when `expand_contract` is set, or for tables
    whose row count in `sizes` (qualified name -> rows) reaches the
    `expand_contract_rows` setting. Without a `name`, the migration is named from its
    changes (`add_orders_status_and_2_more`).
    """
    if name is not None and not name.strip():
        raise UsageError("a migration needs a name", "pass --name, e.g. --name add_orders_status")
    exclusions(settings)
    directory = settings.migrations_dir
    existing = migrations.load_directory(directory) if directory.is_dir() else ()
    if existing:
        migrations.verify_sum(directory)
    major, target_note = await target_major(settings)
    old, new, diffed_report, renames, scoped = await plan_changes(
        settings, rename_specs, no_rename=no_rename, ask=ask, major=major
    )
    diffed, unreached, cycles = diffed_report.changes, diffed_report.unreached, diffed_report.cycles
    compared_old, compared_new = scoped.sides
    report = unmodelled(compared_old, compared_new)
    excluded = scoped.excluded if settings.exclude else None
    if not diffed:
        return Generated(
            (), renames, unmodelled=report, unreached=unreached, cycles=cycles, excluded=excluded
        )
    name = name or name_from(diffed)
    version = migrations.next_version(m.version for m in existing)
    server_version = new.server_version or old.server_version
    batch_size = settings.backfill_batch_size or expand.DEFAULT_BATCH_SIZE
    planned = plan_safe_forms(
        diffed, old.schema, server_version=server_version, safe=safe, batch_size=batch_size
    )
    changes = planned.changes
    header = dict(schema_before=schema_hash(old.schema), schema_after=schema_hash(new.schema))
    options = expand.Options(
        force=expand_contract,
        sizes=sizes,
        threshold=settings.expand_contract_rows,
        batch_size=batch_size,
        server_version=server_version,
    )
    # a change that stays out of the phases keeps its planned (safe) form
    forms = {id(item.plain[0]): item.changes for item in planned.items}
    phases = expand.plan_phases(
        diffed,
        compared_old,
        compared_new,
        lambda c: annotated_steps(
            forms.get(id(c), (c,)), server_version, _context(old.schema, changes)
        ),
        options,
    )
    if phases is not None and phases.moves:
        written = _write_phases(
            directory, name, version, diffed, renames, phases, header, write=write
        )
        return replace(
            written,
            unmodelled=report,
            unreached=unreached,
            cycles=cycles,
            excluded=excluded,
            notes=written.notes + await waiting_conflicts(settings, version, write=write),
        )
    planned_notes = tuple(item.note for item in planned.items if item.note)
    notes = (phases.notes if phases else ()) + planned_notes + _plain_notes(changes) + target_note
    steps = annotated_steps(changes, server_version, _context(old.schema, changes))
    text = migrations.render_migration(
        version,
        steps,
        description=(name,),
        schema_before=header["schema_before"],
        schema_after=header["schema_after"],
    )
    undone = undo(planned.items, new.schema, server_version=server_version, safe=safe)
    down_text = None
    if undone.complete:
        down_changes = undone.changes
        down_steps = annotated_steps(
            down_changes, server_version, _context(new.schema, down_changes)
        )
        down_text = migrations.render_migration(
            version,
            down_steps,
            description=(f"{name} (down)",),
            schema_before=header["schema_after"],
            schema_after=header["schema_before"],
        )
    generated = Generated(
        changes, renames, text, down_text, no_down=undone.why_none(), version=version,
        notes=notes, unmodelled=report, unreached=unreached, cycles=cycles, excluded=excluded,
    )  # fmt: skip
    if not write:
        return generated
    path = migrations.write_migration(directory, version, migrations.slugify(name), text, down_text)
    down_path = path.with_name(migrations.file_name(version, migrations.slugify(name), down=True))
    conflicts = await waiting_conflicts(settings, version, write=write)
    return replace(
        generated,
        path=path,
        down_path=down_path if down_text is not None else None,
        notes=generated.notes + conflicts,
    )


async def waiting_conflicts(settings: Settings, version: str, *, write: bool) -> tuple[str, ...]:
    """A line per contract waiting on the target that the migration just written conflicts with.

    Which contracts wait is the target's history's to say: without a
    reachable target (or when nothing was written) there is nothing to warn of.
    """
    url = settings.database_url(required=False)
    if not write or not url:
        return ()
    try:
        rows, _, _ = await read_history(settings, url)
    except StudioError:
        return ()  # unreachable: `target_major` already said so
    ms = migrations.load_directory(settings.migrations_dir)
    waiting = inflight.waiting_contracts(ms, rows)
    out = []
    for m in ms:
        if m.version < version or m.phase is Phase.CONTRACT:
            continue
        for w in waiting:
            if (what := inflight.conflict(inflight.footprint(w), m)) is not None:
                out.append(
                    f"{m.filename} {what}, which {w.filename} drops or renames: that contract"
                    " waits on the target, and migrate refuses this migration until it is"
                    " confirmed (`migrate --confirm-contract`)"
                )
    return tuple(out)


async def target_major(settings: Settings) -> tuple[int | None, tuple[str, ...]]:
    """The target's major version, so migrations are written for the server they will run on.

    Without a configured database the dev server's default is used; an
    unreachable one is noted, not fatal: generating needs no target.
    """
    url = settings.database_url(required=False)
    if not url:
        return None, ()
    try:
        conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    except ConnectionFailed as e:
        return None, (
            f"target not reachable ({e.message}): SQL normalized on the default dev server",
        )
    try:
        major = await db.server_version_num(conn) // 10000
    finally:
        await conn.close()
    dev = dev_major(settings, major)
    if dev and dev != major:
        return major, (
            f"the target runs PostgreSQL {major}, the migrations and declared schema are read on a"
            f" dev server of PostgreSQL {dev}: the SQL is written as {dev} prints it; set dev_url"
            f" to a PostgreSQL {major} server (or STUDIO_PG_BIN to its binaries)",
        )
    return major, ()


def _plain_notes(changes: Sequence[Change]) -> tuple[str, ...]:
    """A reminder, for renames and breaking type changes planned plain, that phases exist."""
    breaking = [c for c in changes if expand.wants_phases(c)]
    if not breaking:
        return ()
    return tuple(
        f"{c.describe()}: planned as one step; a running application breaks or waits on it "
        "(--expand-contract plans it in phases)"
        for c in breaking
    )


def _write_phases(
    directory: Path,
    name: str,
    version: str,
    changes: tuple[Change, ...],
    renames: tuple[Rename, ...],
    phases: Phases,
    header: dict[str, str],
    *,
    write: bool,
) -> Generated:
    """The expand and contract migrations: two files, the contract one second later."""
    slug = migrations.slugify(name)
    expand_slug, contract_slug = f"{slug}_expand", f"{slug}_contract"
    contract_version = migrations.next_version([version])
    moves = [f"expand/contract: {m.describe()}" for m in phases.moves]
    text = migrations.render_migration(
        version,
        phases.expand,
        description=(
            f"{name} (expand)",
            *moves,
            f"contract migration: {contract_version}_{contract_slug}",
        ),
        schema_before=header["schema_before"],
        phase=Phase.EXPAND,
    )
    contract_text = migrations.render_migration(
        contract_version,
        phases.contract,
        description=(
            f"{name} (contract)",
            *moves,
            f"expand migration: {version}_{expand_slug}",
            "apply once the expand's backfill is done and no instance of the old application"
            " version runs",
        ),
        schema_after=header["schema_after"],
        phase=Phase.CONTRACT,
    )
    down_text = None
    if phases.expand_down is not None:
        down_text = migrations.render_migration(
            version,
            phases.expand_down,
            description=(f"{name} (expand, down)",),
            schema_after=header["schema_before"],
        )
    generated = Generated(
        changes,
        renames,
        text,
        down_text,
        version=version,
        phases=phases,
        contract_text=contract_text,
        contract_version=contract_version,
        notes=phases.notes,
        no_down=no_inverse(phases.irreversible) if phases.irreversible else "",
    )
    if not write:
        return generated
    path = migrations.write_migration(directory, version, expand_slug, text, down_text)
    down_path = path.with_name(migrations.file_name(version, expand_slug, down=True))
    contract_path = migrations.write_migration(
        directory, contract_version, contract_slug, contract_text
    )
    return replace(
        generated,
        path=path,
        down_path=down_path if down_text is not None else None,
        contract_path=contract_path,
    )


def _context(before: Schema, changes: Sequence[Change]) -> Context:
    """What lock analysis knows: the schema before the migration and the tables it creates."""
    # deferred: plan.locks loads pglast (see `_annotated_steps`)
    from studio.plan.locks import Context

    new_tables = frozenset(c.table.key for c in changes if isinstance(c, CreateTable))
    return Context.of(before, new_tables=new_tables)
