"""The facts of one review step as lines: lock, what it blocks, effect, sizes, estimate, hazards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from textual.content import Content

from studio.tui.facts import pending_facts
from studio.tui.keys import shown
from studio.tui.review import Decision, step_title
from studio.words import plural

if TYPE_CHECKING:
    from studio.commands.pending import PendingStep
    from studio.plan.estimates import RelationSize
    from studio.tui.facts import Hazard, StepFacts
    from studio.tui.options import StudioOptions
    from studio.tui.review import Review

# one labelled line (wrapped with a hanging indent): label, value, style
Row = Callable[[str, "str | Content", str], None]


def _rows(width: int) -> tuple[list[Content], Row]:
    """Lines and the function that adds one: a label column, values wrapped to `width`."""
    lines: list[Content] = []

    def row(label: str, value: str | Content, style: str = "") -> None:
        text = value if isinstance(value, Content) else Content.styled(value, style)
        wrapped = text.wrap(width) if text.cell_length > width else [text]
        for n, part in enumerate(wrapped):
            lines.append(Content.assemble((f"{label if n == 0 else '':<10}", "$text-muted"), part))

    return lines, row


def pending_content(step: PendingStep, opts: StudioOptions, width: int) -> Content:
    """A pending migration's step: the facts a generated step shows, from its preview and lint."""
    lines, row = _rows(width)
    if (call := step.step.python) is not None:
        # no SQL: nothing for the knowledge base or the estimates to read, so nothing is claimed
        row("kind", f"python: {call.target}", "bold")
        row("locks", "not analysed: the lock analysis covers SQL only", "$text-muted")
        row("time", "not estimated", "$text-muted")
        row("runs", "in a transaction of its own; batches() commits each batch", "")
        return Content("\n").join(lines)
    facts = pending_facts(step)
    if step.done:
        row("done", "committed by an earlier, interrupted run: applying resumes after it", "")
    _locks(row, (facts,))
    for size in step.preview.sizes:
        _size(row, size.relation, size, opts)
    _estimate(row, (facts,), opts)
    for check in step.preview.checks:
        row("check", check, "$text-error")
    for note in step.preview.replicas:
        row("replica", note, "$text-warning")
    _hazards(row, facts.hazards, none="none found")
    row(
        "runs",
        "in the migration's transaction"
        if step.step.transactional
        else "on its own, committed when it ends (no transaction around it)",
        "",
    )
    return Content("\n").join(lines)


def facts_content(r: Review, i: int, opts: StudioOptions, width: int) -> Content:
    """Step `i`'s facts, a label column and values wrapped to `width` (a hanging indent)."""
    lines, row = _rows(width)
    facts = r.facts(i)
    if (by := r.done_by(i)) is not None:
        row("phases", f"done by step {by + 1}'s expand/contract migrations", "$text-success")
        row("", f"press {shown('split')} to plan it as one migration", "$text-muted")
        return Content("\n").join(lines)
    if r.move(i) is not None:
        # split: each expand step with its own locks, estimate and hazards, as the file runs it
        for n, (spec, f) in enumerate(zip(r.specs(i), facts, strict=True), 1):
            row("expand", f"{n}. {step_title(spec)}", "bold $text-accent")
            _locks(row, (f,))
            _estimate(row, (f,), opts)
            _hazards(row, f.hazards, none="")
        _tables(row, r, i, opts)
    else:
        _locks(row, facts)
        _tables(row, r, i, opts)
        _estimate(row, facts, opts)
    for check in r.checks(i):
        row("check", check, "$text-error")
    if r.move(i) is None:
        _hazards(row, [h for f in facts for h in f.hazards], none="none found")
    _forms(row, r, i)
    needs = r.needs(i)
    if needs and r.decisions[i] is not Decision.SKIPPED:
        row(
            "needs",
            f"{plural(len(needs), 'step')} {', '.join(str(j + 1) for j in needs)}, skipped:"
            " the file would fail",
            "$text-error",
        )
    return Content("\n").join(lines)


def _locks(row: Row, facts: Sequence[StepFacts]) -> None:
    if any(f.locks is None for f in facts):
        row("lock", "—", "")
        row("blocks", "—", "")
        row("effect", "—", "")
        return
    for line in (line for f in facts if f.locks for line in f.locks):
        row("lock", f"{line.mode} on {line.relation}", "bold")
        tone = "$text-error" if line.blocks_reads else "$text-warning" if line.blocks_writes else ""
        row("blocks", line.blocks, tone)
    effects = list(dict.fromkeys(f.effect for f in facts if f.effect))
    row("effect", ", ".join(effects) if effects else "—", "")


def _tables(row: Row, r: Review, i: int, opts: StudioOptions) -> None:
    for table in r.tables(i):
        _size(row, table, r.sizes.get(table), opts)


def _size(row: Row, table: str, size: RelationSize | None, opts: StudioOptions) -> None:
    if size is None:
        row("table", f"{table}: not on the target yet (empty)", "")
    else:
        # both sizes: the estimate and its basis speak of the rows, not of the indexes
        row(
            "table",
            f"{table}: {opts.size(size.table_bytes)} of rows,"
            f" {opts.size(size.total_bytes)} with indexes; {opts.rows(size.rows)}",
            "",
        )


def _estimate(row: Row, facts: Sequence[StepFacts], opts: StudioOptions) -> None:
    if facts and all(f.instant for f in facts):
        row("estimate", "instant once the locks are granted (catalog only)", "")
    else:
        estimate = next((f.estimate for f in facts if f.estimate and not f.instant), None)
        row("estimate", opts.estimate(estimate), "")


def _hazards(row: Row, hazards: Sequence[Hazard], *, none: str) -> None:
    if not hazards and none:
        row("hazards", none, "")
    for h in hazards:
        tone = {"danger": "$text-error", "warning": "$text-warning"}.get(h.level, "")
        row("hazard", Content.assemble((f"{h.level}: ", f"bold {tone}".strip()), h.message), "")
        if h.fix:
            row("", f"fix: {h.fix}", "$text-muted")


def _forms(row: Row, r: Review, i: int) -> None:
    """The other forms the step has: safe or plain, one migration or expand/contract."""
    item = r.items[i]
    form, split = shown("toggle_form"), shown("split")
    if item.has_safe_form:
        if item.use_safe:
            row("safer", f"this is the safe form: {item.why}", "$text-success")
            row("", f"press {form} to see the plain form", "$text-muted")
        else:
            row("safer", f"a safe form exists: {item.why}", "$text-warning")
            row("", f"press {form} to switch to it", "$text-muted")
    else:
        row("safer", "—", "")
    if not r.can_split(i):
        return
    if r.move(i) is not None:
        _, contract = r.phase_steps(i)
        row(
            "phases",
            "the expand migration runs the steps above now; its contract migration"
            f" ({len(contract)} step{'s' if len(contract) != 1 else ''}) later,"
            " once no old application instance runs",
            "$text-success",
        )
        row("", f"press {split} to plan it as one migration", "$text-muted")
    elif r.is_split(i):
        why = "; ".join(r.unphased()) or "the planner cannot phase it"
        row("phases", f"cannot go through expand/contract: {why}", "$text-error")
        row("", f"press {split} to plan it as one migration", "$text-muted")
    else:
        row("phases", "a running application breaks or waits on this change", "$text-warning")
        row("", f"press {split} to plan it as expand/contract migrations", "$text-muted")
