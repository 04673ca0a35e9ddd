"""The review of a pending migration: a file already written (generated or by hand), step by step.

Opened from the history (enter on a pending or partial migration). Each step
shows its SQL and what `migrate` would say before running it: the locks it
takes and what they block, the target's table sizes, an estimate, what the
rows say, and lint's hazards. `m` applies it (and the pending ones before it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.content import Content
from textual.widgets import Static

from studio.run.history import State
from studio.tui import services
from studio.tui.facts import LEVELS
from studio.tui.keys import bind, shown
from studio.tui.messages import PendingReviewed
from studio.tui.screens.step_review import StepReviewScreen
from studio.tui.widgets.detail import sql_content
from studio.tui.widgets.step_facts import pending_content
from studio.tui.widgets.steps import Col, StyledTable
from studio.words import counted, plural

if TYPE_CHECKING:
    from textual.binding import BindingType

    from studio.commands.pending import PendingReview


class PendingScreen(StepReviewScreen):
    """A pending migration's steps with their locks, estimates and hazards; apply from here."""

    ESSENTIAL = frozenset({"pending-review"})
    MARK = Col("done", "")
    NO_DATA = "No analysis: see the error."

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("apply"),
        bind("next", show=False),
        bind("previous", show=False),
        bind("back"),
    ]

    def __init__(self, version: str) -> None:
        super().__init__(id="review")
        self.version = version
        self.review: PendingReview | None = None

    def loading_title(self) -> str:
        return f"Analysing {self.version}…"

    def on_mount(self) -> None:
        # the banner shows only the pending migrations applied before this one
        self.query_one("#review-banner").display = False
        super().on_mount()

    def has_data(self) -> bool:
        return self.review is not None

    @work(exclusive=True, group="pending-review", exit_on_error=False)
    async def load(self) -> None:
        """Read the migration and analyse it against the target (read-only)."""
        review = await services.pending_review(self.studio.options.settings, self.version)
        self.post_message(PendingReviewed(review))

    # --- drawing ------------------------------------------------------------------------

    @on(PendingReviewed)
    def _reviewed(self, message: PendingReviewed) -> None:
        r = self.review = message.review
        table = self.query_one("#steps", StyledTable)
        table.loading = False
        table.clear_rows()
        for i, step in enumerate(r.steps):
            worst = next(
                (lv for lv in LEVELS if any(f.level.label == lv for f in step.findings)), ""
            )
            mark = {"danger": "!", "warning": "▲", "info": "i"}.get(worst, "")
            table.put_row(
                str(i),
                table.cell("✓" if step.done else "·", "done" if step.done else "pending"),
                table.cell(str(step.step.index), "muted"),
                table.cell(mark, worst),
                table.cell(step.step.title or f"step {step.step.index}", ""),
            )
        table.focus()
        if r.steps:
            table.move_cursor(row=0)
        self._banner()
        self._summary()
        self._show_step()
        self.refresh_bindings()

    def _banner(self) -> None:
        r = self.review
        banner = self.query_one("#review-banner", Static)
        banner.display = bool(r and r.before)
        if r and r.before:
            banner.update(
                Content(
                    f"applying it applies the pending {plural(len(r.before), 'migration')}"
                    " before it first:"
                    f" {', '.join(r.before)}"
                )
            )

    def _summary(self) -> None:
        r = self.review
        if r is None:
            return
        m = r.migration
        counts = dict.fromkeys(LEVELS, 0)
        for step in r.steps:
            for level in {f.level.label for f in step.findings}:
                counts[level] = counts.get(level, 0) + 1
        whole = m.transactional and not any(s.python for s in m.steps)
        mode = "one transaction" if whole else "step by step"
        state = "partial: resumes where it stopped" if r.state is State.PARTIAL else "pending"
        self.query_one("#summary-bar", Static).update(
            Content.assemble(
                (m.filename, "bold"),
                f"  {counted(len(r.steps), 'step')}, {mode} · {state}",
                "   hazards: ",
                (f"{counts['danger']} danger", "$text-error" if counts["danger"] else ""),
                f", {counts['warning']} warning, {counts['info']} info  — press ",
                (shown("apply"), "bold"),
                " to apply it",
            )
        )

    def _show_step(self) -> None:
        r = self.review
        if r is None:
            return
        title = self.query_one("#step-title", Static)
        if not r.steps:
            title.update(Content(f"{r.migration.filename} has no statement yet."))
            return
        step = r.steps[self.cursor]
        title.update(
            Content.assemble(
                (f"Step {step.step.index} of {len(r.steps)}", "bold"),
                f" · {r.migration.version} · "
                + (
                    "python step, in its own transaction"
                    if step.step.python
                    else "in the migration's transaction"
                    if step.step.transactional
                    else "no transaction"
                ),
            )
        )
        call = step.step.python
        # a Python step has no SQL: its directive says what runs
        text = f"-- schema-studio:python {call.target}" if call else step.step.sql.strip()
        self.query_one("#step-sql", Static).update(sql_content(text))
        width = max(30, self.query_one("#step-facts", Static).size.width - 10)
        self.query_one("#step-facts", Static).update(
            pending_content(step, self.studio.options, width)
        )

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Apply once the migration is read; moving needs steps."""
        if action in ("apply", "next", "previous"):
            return (self.review is not None and bool(self.review.steps)) or None
        return True

    def action_apply(self) -> None:
        """Apply this migration now (and the pending ones before it), on the apply screen."""
        if self.review is None:
            return
        self.app.pop_screen()
        self.studio.open_apply(start=True, to=self.version)

    def action_back(self) -> None:
        """Back to where the review was opened from."""
        self.app.pop_screen()
