"""The review screen (`g`): the plan step by step, decided one by one, then written or applied."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from studio.tui import services
from studio.tui.facts import relations
from studio.tui.keys import bind, shown
from studio.tui.messages import PlanReady
from studio.tui.review import Decision, Review
from studio.tui.screens.finish import FinishScreen
from studio.tui.screens.step_review import StepReviewScreen
from studio.tui.widgets.detail import sql_content
from studio.tui.widgets.step_facts import facts_content
from studio.tui.widgets.steps import Col, StyledTable
from studio.words import counted

if TYPE_CHECKING:
    from textual import events

    from studio.commands.draft import PlanInput
    from studio.plan.preview import Requirement
    from studio.tui.review import Summary


def _targets(source: PlanInput) -> tuple[tuple[str, ...], tuple[Requirement, ...]]:
    """Every relation any form of the plan locks, and what any form requires of the rows."""
    # deferred: pglast, loaded when a plan is analysed, not when the studio opens
    from studio.plan.planner import plan_safe_forms

    # deferred: pglast loads its parser only when SQL is parsed
    from studio.plan.preview import data_requirements

    items = plan_safe_forms(source.changes, source.old, server_version=source.server_version).items
    every = [c for item in items for c in (*item.plain, *(item.safe or ()))]
    (wanted,) = data_requirements([[sql for c in every for sql in c.sql()]])
    return relations(every, source.server_version, source.old), tuple(dict.fromkeys(wanted))


class ReviewScreen(StepReviewScreen):
    """Generate: approve, skip, switch forms, then see the file and write it (or apply it)."""

    ESSENTIAL = frozenset({"plan"})
    MARK = Col("decision", "")
    NO_DATA = "No plan: see the error."

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("approve"),
        bind("skip"),
        bind("toggle_form"),
        bind("split"),
        bind("approve_all"),
        bind("next", show=False),
        bind("previous", show=False),
        bind("write"),
        bind("accept_rename"),
        bind("back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="review")
        self.review: Review | None = None

    def loading_title(self) -> str:
        return "Planning…"

    def has_data(self) -> bool:
        return self.review is not None

    # --- workers ------------------------------------------------------------------------

    @work(exclusive=True, group="plan", exit_on_error=False)
    async def load(self) -> None:
        """Replay the migrations, materialize the declared schema, diff, read table sizes."""
        app = self.studio
        settings = app.options.settings
        major = app.server_version // 10000 if app.server_version else None
        source = await services.plan_input(settings, app.hints, major)
        relations, wanted = await asyncio.to_thread(_targets, source)
        sizes, throughput, findings = await services.plan_sizes(settings, relations, wanted)
        self.post_message(PlanReady(source, sizes, throughput, findings))

    @work(exclusive=True, group="plan", exit_on_error=False)
    async def replan(self) -> None:
        """Diff again with the accepted renames (no reload)."""
        assert self.review is not None
        source = await services.replan(self.review.source, self.studio.hints)
        self.post_message(
            PlanReady(source, self.review.sizes, self.review.throughput, self.review.findings)
        )

    @on(PlanReady)
    def _plan_ready(self, message: PlanReady) -> None:
        self.review = Review(message.plan, message.sizes, message.throughput, message.findings)
        table = self.query_one("#steps", StyledTable)
        table.loading = False
        table.focus()
        self._fill()
        if len(self.review):
            table.move_cursor(row=0)
        self._show_step()

    # --- drawing ------------------------------------------------------------------------

    def _fill(self) -> None:
        table = self.query_one("#steps", StyledTable)
        table.clear_rows()
        r = self.review
        assert r is not None
        for i in range(len(r)):
            table.put_row(str(i), *self._row(i))
        self._banner()
        self._summary()

    def _row(self, i: int) -> list[Text]:
        r = self.review
        assert r is not None
        table = self.query_one("#steps", StyledTable)
        d = r.decisions[i]
        worst = r.worst_hazard(i)
        form = r.form(i)
        label = r.items[i].describe()
        if form != "only":
            label += f" [{form}]"
        if r.is_split(i):
            label += " [expand/contract]"
        mark = {"danger": "!", "warning": "▲", "info": "i"}.get(worst or "", "")
        return [
            table.cell(d.symbol, d.value),
            table.cell(str(i + 1), "muted"),
            table.cell(mark, worst or ""),
            table.cell(label, "skipped" if d is Decision.SKIPPED else ""),
        ]

    def _refresh_row(self, i: int) -> None:
        table = self.query_one("#steps", StyledTable)
        for key, value in zip(("decision", "n", "hazard", "step"), self._row(i), strict=True):
            table.put_cell(str(i), key, value)
        self._summary()

    def _banner(self) -> None:
        r = self.review
        banner = self.query_one("#review-banner", Static)
        if r is None or not r.source.candidates:
            banner.display = False
            return
        banner.display = True
        cands = r.source.candidates
        text = "; ".join(f"{c.old} → {c.new}" for c in cands)
        banner.update(
            Content.assemble(
                ("? ", "bold"),
                f"{counted(len(cands), 'possible rename')}, planned as drop + add: {text} — press ",
                (shown("accept_rename"), "bold"),
                " to plan it as a rename",
            )
        )

    def _summary(self) -> None:
        r = self.review
        if r is None:
            return
        s = r.summary()
        if self.has_class("-narrow"):
            self._summary_short(s)
            return
        parts = [
            (counted(s.total, "step"), ""),
            ("  ✓ ", "bold"),
            (f"{s.approved} approved", ""),
            ("  ✗ ", "bold"),
            (f"{s.skipped} skipped", ""),
            ("  · ", "bold"),
            (f"{s.pending} pending", ""),
            ("   hazards: ", ""),
            (f"{s.hazards['danger']} danger", "$text-error" if s.hazards["danger"] else ""),
            (", ", ""),
            (f"{s.hazards['warning']} warning", "$text-warning" if s.hazards["warning"] else ""),
            (", ", ""),
            (f"{s.hazards['info']} info", ""),
        ]
        bar = self.query_one("#summary-bar", Static)
        bar.update(Content.assemble(*parts))
        bar.set_class(s.pending == 0 and s.approved > 0, "-ready")

    def _summary_short(self, s: Summary) -> None:
        """The summary in a few words (80 columns)."""
        bar = self.query_one("#summary-bar", Static)
        bar.update(
            Content.assemble(
                f"{counted(s.total, 'step')} ✓{s.approved} ✗{s.skipped} ·{s.pending}  hazards ",
                (f"{s.hazards['danger']}!", "$text-error" if s.hazards["danger"] else ""),
                " ",
                (f"{s.hazards['warning']}▲", "$text-warning" if s.hazards["warning"] else ""),
                f" {s.hazards['info']}i",
            )
        )
        bar.set_class(s.pending == 0 and s.approved > 0, "-ready")

    def on_resize(self, event: events.Resize) -> None:
        """The summary's words follow the width (once `StudioScreen` set `-narrow`)."""
        self.call_after_refresh(self._summary)

    def _show_step(self) -> None:
        self.refresh_bindings()  # which keys apply depends on the step under the cursor
        r = self.review
        title = self.query_one("#step-title", Static)
        if r is None:
            return
        if not len(r):
            title.update(
                Content("Nothing to generate: the migrations already reach the declared schema.")
            )
            self.query_one("#step-sql", Static).update(Content(""))
            self.query_one("#step-facts", Static).update(Content(""))
            return
        i = self.cursor
        item = r.items[i]
        form = r.form(i)
        form_text = {"safe": "safe form", "plain": "plain form", "only": "one form"}[form]
        if r.is_split(i):
            form_text += " · expand/contract"
        title.update(
            Content.assemble(
                (f"Step {i + 1} of {len(r)}", "bold"),
                f" · {form_text} · {r.decisions[i].value}",
            )
        )
        self.query_one("#step-sql", Static).update(sql_content(r.sql(i)))
        self.query_one("#step-facts", Static).update(self._facts_content(i))
        del item

    def _facts_content(self, i: int) -> Content:
        assert self.review is not None
        width = max(30, self.query_one("#step-facts", Static).size.width - 10)
        return facts_content(self.review, i, self.studio.options, width)

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Step keys only when there are steps; the form key only for steps with two forms."""
        if action in (
            "approve",
            "skip",
            "toggle_form",
            "split",
            "approve_all",
            "next",
            "previous",
            "write",
        ):
            if self.review is None or not len(self.review):
                return None
            if action == "toggle_form" and not self.review.items[self.cursor].has_safe_form:
                return None
            if action == "split" and not self.review.can_split(self.cursor):
                return None
        if action == "accept_rename" and (self.review is None or not self.review.source.candidates):
            return None
        return True

    def _decide(self, approve: bool) -> None:
        r = self.review
        if r is None or not len(r):
            return
        i = self.cursor
        (r.approve if approve else r.skip)(i)
        self._refresh_row(i)
        self._show_step()
        if i + 1 < len(r):
            self.query_one("#steps", StyledTable).move_cursor(row=i + 1)

    def action_approve(self) -> None:
        """Approve this step and go to the next."""
        self._decide(True)

    def action_skip(self) -> None:
        """Leave this step out of the migration and go to the next."""
        self._decide(False)

    def action_approve_all(self) -> None:
        """Approve every pending step."""
        if self.review is None:
            return
        self.review.approve_all()
        for i in range(len(self.review)):
            self._refresh_row(i)
        self._show_step()

    def action_toggle_form(self) -> None:
        """Switch this step between its safe and its plain form."""
        r = self.review
        if r is None or not len(r):
            return
        i = self.cursor
        if not r.toggle_form(i):
            self.notify("this step has only one form", severity="warning")
            return
        self._refresh_row(i)
        self._show_step()
        self.refresh_bindings()

    def action_split(self) -> None:
        """Plan this step (a rename or a breaking type change) as expand and contract migrations."""
        r = self.review
        if r is None or not len(r):
            return
        i = self.cursor
        if not r.toggle_split(i):
            self.notify(
                "only renames and breaking type changes go through expand/contract",
                severity="warning",
            )
            return
        table = r.items[i].plain[0].targets[0]
        self.notify(
            f"{table}: expand/contract" if r.is_split(i) else f"{table}: one migration",
            markup=False,
        )
        for j in range(len(r)):
            self._refresh_row(j)
        self._show_step()

    def action_accept_rename(self) -> None:
        """Plan the (first) rename candidate as a rename."""
        r = self.review
        if r is None or not r.source.candidates:
            self.notify("no rename candidates", severity="warning")
            return
        cand = r.source.candidates[0]
        self.studio.accept_rename(cand.hint)
        self.notify(f"{cand.old} will be renamed to {cand.new}", markup=False)
        self.replan()

    def action_write(self) -> None:
        """See the whole migration file as it will be written; then write it or apply it."""
        r = self.review
        if r is None or not len(r):
            return
        s = r.summary()
        if s.pending:
            self.notify(
                f"{counted(s.pending, 'step')} still pending:"
                " approve (a) or skip (s) each, or approve all (A)",
                severity="warning",
            )
            return
        if not s.approved:
            self.notify("every step is skipped: there is nothing to write", severity="warning")
            return
        self.app.push_screen(FinishScreen(r))

    def action_back(self) -> None:
        """Back to the studio (decisions are dropped)."""
        self.app.pop_screen()

    def refresh_steps(self) -> None:
        """Redraw after the app's state changed."""
        if self.review is not None:
            self._fill()
