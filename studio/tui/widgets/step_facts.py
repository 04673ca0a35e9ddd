"""The facts of one review step as lines: lock, what it blocks, effect, sizes, estimate, hazards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from studio.tui.review import Decision
from studio.words import plural

if TYPE_CHECKING:
    from studio.tui.options import StudioOptions
    from studio.tui.review import Review


def facts_content(r: Review, i: int, opts: StudioOptions, width: int) -> Content:
    """Step `i`'s facts, a label column and values wrapped to `width` (a hanging indent)."""
    lines: list[Content] = []

    def row(label: str, value: str | Content, style: str = "") -> None:
        text = value if isinstance(value, Content) else Content.styled(value, style)
        wrapped = text.wrap(width) if text.cell_length > width else [text]
        for n, part in enumerate(wrapped):
            lines.append(Content.assemble((f"{label if n == 0 else '':<10}", "$text-muted"), part))

    facts = r.facts(i)
    locks = [line for f in facts if f.locks for line in f.locks]
    if any(f.locks is None for f in facts):
        row("lock", "—")
        row("blocks", "—")
        row("effect", "—")
    else:
        for line in locks or []:
            row("lock", f"{line.mode} on {line.relation}", "bold")
            row(
                "blocks",
                line.blocks,
                "$text-error"
                if line.blocks_reads
                else ("$text-warning" if line.blocks_writes else ""),
            )
        effects = list(dict.fromkeys(f.effect for f in facts if f.effect))
        row("effect", ", ".join(effects) if effects else "—")
    for table in r.tables(i):
        size = r.sizes.get(table)
        if size is None:
            row("table", f"{table}: not on the target yet (empty)")
        else:
            row("table", f"{table}: {opts.size(size.total_bytes)}, {opts.rows(size.rows)}")
    if facts and all(f.instant for f in facts):
        row("estimate", "instant once the locks are granted (catalog only)")
    else:
        estimate = next((f.estimate for f in facts if f.estimate and not f.instant), None)
        row("estimate", opts.estimate(estimate))
    for check in r.checks(i):
        row("check", check, "$text-error")
    hazards = [h for f in facts for h in f.hazards]
    if not hazards:
        row("hazards", "none found")
    for h in hazards:
        tone = {"danger": "$text-error", "warning": "$text-warning"}.get(h.level, "")
        row("hazard", Content.assemble((f"{h.level}: ", f"bold {tone}".strip()), h.message))
        if h.fix:
            row("", f"fix: {h.fix}", "$text-muted")
    item = r.items[i]
    if item.has_safe_form:
        if item.use_safe:
            row("safer", f"this is the safe form: {item.why}", "$text-success")
            row("", "press f to see the plain form", "$text-muted")
        else:
            row("safer", f"a safe form exists: {item.why}", "$text-warning")
            row("", "press f to switch to it", "$text-muted")
    else:
        row("safer", "—")
    if r.can_split(i):
        if r.is_split(i):
            row(
                "phases",
                "expand now (new column, sync trigger, backfill), contract later",
                "$text-success",
            )
            row("", "press e to plan it as one migration", "$text-muted")
        else:
            row(
                "phases",
                "a running application breaks or waits on this change",
                "$text-warning",
            )
            row("", "press e to plan it as expand/contract migrations", "$text-muted")
    needs = r.needs(i)
    if needs and r.decisions[i] is not Decision.SKIPPED:
        row(
            "needs",
            f"{plural(len(needs), 'step')} {', '.join(str(j + 1) for j in needs)}, skipped:"
            " the file would fail",
            "$text-error",
        )
    return Content("\n").join(lines)
