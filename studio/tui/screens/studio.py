"""The main screen: Declared | Live | Diff side by side.

A filter above the panes, and the detail of the selection below (or beside) them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.widgets import Input, Tree

from studio.model import qualname
from studio.model.changes.base import split_qualified
from studio.tui import services
from studio.tui.definitions import definition
from studio.tui.keys import bind
from studio.tui.messages import DiffComputed, DriftChecked, OverviewLoaded
from studio.tui.objects import member_id, table_id
from studio.tui.screens.base import StudioScreen, describe_error
from studio.tui.screens.modals import ChoiceScreen
from studio.tui.widgets.detail import DetailPanel
from studio.tui.widgets.footer import StudioFooter
from studio.tui.widgets.header import StudioHeader
from studio.tui.widgets.object_tree import ObjectPane

if TYPE_CHECKING:
    from textual import events
    from textual.timer import Timer

    from studio.diff import RenameCandidate
    from studio.tui.objects import Node
    from studio.tui.services import Comparison, Sides

# at this width and more, the detail panel sits beside the panes instead of under them
WIDE = 150
# moves closer together than this are a held key: the detail waits until the cursor rests
REPEAT = 0.15
# the drift check waits for the panes to be drawn, this many seconds at most
DRAWN_WAIT = 3.0


class MainScreen(StudioScreen):
    """Declared schema, live database and their diff; select, filter, refresh, accept renames."""

    ESSENTIAL = frozenset({"load"})
    AUTO_FOCUS = "#declared"

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("review"),
        bind("apply"),
        bind("history"),
        bind("locks"),
        bind("fleet"),
        bind("refresh"),
        bind("accept_rename"),
        bind("filter"),
        Binding("1", "pane('declared')", "Declared", show=False),
        Binding("2", "pane('live')", "Live", show=False),
        Binding("3", "pane('diff')", "Diff", show=False),
        Binding("d", "focus_detail", "Detail", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, started: asyncio.Task[Sides] | None = None) -> None:
        """`started`: the first read of both sides, begun before the screen was made."""
        super().__init__(id="main")
        self._started = started
        self._active = "declared"
        self._filter = ""
        self._last_move = 0.0
        self._detail_timer: Timer | None = None
        # set once the panes of the last load are drawn (the drift check waits for it)
        self._drawn: asyncio.Event | None = None
        self._pane_map: dict[str, ObjectPane] = {}

    def compose(self) -> ComposeResult:
        yield StudioHeader("schema-studio")
        yield Input(placeholder="/ filter by name", id="filter")
        with Container(id="body"):
            with Horizontal(id="panes"):
                yield ObjectPane("Declared", id="declared")
                yield ObjectPane("Live", id="live")
                yield ObjectPane("Diff", id="diff")
            yield DetailPanel(id="detail")
        yield StudioFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#declared", ObjectPane).loading = True
        if self.studio.comparison is not None:
            self._show(self.studio.comparison)
        else:
            self.load()
        self.query_one("#declared", ObjectPane).focus()

    def on_resize(self, event: events.Resize) -> None:
        """Use the room of a large terminal: the detail beside the panes."""
        self.set_class(event.size.width >= WIDE, "-wide")

    def has_data(self) -> bool:
        return self.studio.comparison is not None

    def worker_failed(self, group: str, error: BaseException) -> None:
        for pane in self.query(ObjectPane):
            pane.loading = False

    # --- workers ------------------------------------------------------------------------

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load(self) -> None:
        """Read both sides (and the migrations), diff them; then check drift in the background."""
        settings = self.studio.options.settings
        # what the studio holds now (the app, the last read) stays; so do the new sides
        self.studio.unsettle()
        self.studio.settle()
        started, self._started = self._started, None  # a later load reads anew
        sides = await services.overview_and_sides(
            settings, lambda overview: self.app.post_message(OverviewLoaded(overview)), started
        )
        self.studio.sides = sides
        self.studio.settle()
        comparison = await services.compare(sides, self.studio.hints)
        # the drift check (a thread of its own) starts once the panes are drawn, not beside it
        self._drawn = asyncio.Event()
        self.post_message(DiffComputed(comparison))
        self.check_drift(self._drawn)

    @work(exclusive=True, group="rediff", exit_on_error=False)
    async def rediff(self) -> None:
        """Diff the loaded sides again with the renames accepted so far (no reload)."""
        sides = self.studio.sides
        if sides is None:
            self.load()
            return
        self.post_message(DiffComputed(await services.compare(sides, self.studio.hints)))

    @work(exclusive=True, group="drift", exit_on_error=False)
    async def check_drift(self, after: asyncio.Event | None = None) -> None:
        """Compare the live database with its applied migrations (drift badge).

        `after`: set when the panes are drawn; the check waits for it (a few seconds at most).
        """
        if after is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(after.wait(), DRAWN_WAIT)
        settings = self.studio.options.settings
        try:
            report = await services.drift(settings)
            # read after the check: a run that committed steps while it ran still shows
            running = await services.in_progress(settings)
        except Exception as e:  # noqa: BLE001  # the badge says "drift ?"; the rest of the screen is fine
            self.app.post_message(DriftChecked(None, describe_error(e)[0]))
            return
        self.app.post_message(DriftChecked(report, running=running))

    # --- drawing ------------------------------------------------------------------------

    @on(DiffComputed)
    def _diff_computed(self, message: DiffComputed) -> None:
        self.studio.comparison = message.comparison
        self.studio.server_version = message.comparison.server_version
        self.studio.refresh_headers()
        self._show(message.comparison)
        if self._drawn is not None:
            self.call_after_refresh(self._panes_drawn, self._drawn)
        if warnings := message.comparison.warnings():
            # never in the diff pane's changes: said once per comparison, by name
            shown = "\n".join(warnings[:8]) + (
                f"\n... and {len(warnings) - 8} more" if len(warnings) > 8 else ""
            )
            self.notify(shown, title="diff warnings", severity="warning", timeout=30, markup=False)

    def _panes_drawn(self, drawn: asyncio.Event) -> None:
        self.studio.settle()
        drawn.set()

    def _show(self, c: Comparison) -> None:
        panes = self._panes()
        for name, model in (("declared", c.left), ("live", c.right), ("diff", c.diff.tree)):
            pane = panes[name]
            pane.loading = False
            pane.show(model, model.matching(self._filter), _note(name, c))
        self._sync_from(panes[self._active])

    def _panes(self) -> dict[str, ObjectPane]:
        # composed once: found once (a query per key cost a millisecond of each key's repaint)
        if not self._pane_map:
            self._pane_map = {p.id or "": p for p in self.query(ObjectPane)}
        return self._pane_map

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[Node]) -> None:
        pane = event.control
        if not isinstance(pane, ObjectPane) or pane.id != self._active:
            return
        self._sync_from(pane)

    def _sync_from(self, pane: ObjectPane) -> None:
        """Select in the other panes what is selected in `pane`, and show its detail."""
        node = pane.current
        if node is None:
            return
        target = self._object_of(pane, node)
        if target is not None:
            c = self.studio.comparison
            lineage: tuple[str, ...] = ()
            if c is not None:
                model = c.left if target in c.left else c.right
                lineage = tuple(reversed(model.ancestors(target)))
            peer = self._candidate_peer(target)
            for other in self._panes().values():
                if other is not pane and other.id != "diff":
                    wanted = peer if peer is not None and peer in other.model else target
                    other.reveal(wanted, notify=False, fallbacks=lineage)
            if pane.id != "diff":
                self._reveal_in_diff(target)
        self._schedule_detail()

    def _schedule_detail(self) -> None:
        """Redraw the detail now, or once the cursor rests when a key is held down.

        The panes follow every move at once; the detail (highlighted SQL, whose
        height changes the layout) is the expensive part of a move.
        """
        now = time.monotonic()
        repeating = now - self._last_move < REPEAT
        self._last_move = now
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        if repeating:
            self._detail_timer = self.set_timer(REPEAT, self._update_detail)
        else:
            self._update_detail()

    def _candidate_peer(self, object_id: str) -> str | None:
        """The other object of a rename candidate (the new column for the old one, and back)."""
        c = self.studio.comparison
        if c is None:
            return None
        for cand in c.candidates:
            old_id, new_id = _candidate_objects(cand)
            if object_id == old_id:
                return new_id
            if object_id == new_id:
                return old_id
        return None

    def _reveal_in_diff(self, object_id: str) -> None:
        c = self.studio.comparison
        if c is None:
            return
        diff_pane = self._panes()["diff"]
        indexes = c.diff.concerning.get(object_id)
        if indexes:
            diff_pane.reveal(f"change:{indexes[0]}", notify=False)
            return
        for i, cand in enumerate(c.candidates):
            if object_id in _candidate_objects(cand):
                diff_pane.reveal(f"candidate:{i}", notify=False)
                return

    def _object_of(self, pane: ObjectPane, node: Node) -> str | None:
        """The object a node stands for (a diff leaf stands for the object its change concerns)."""
        if pane.id != "diff":
            return node.id
        c = self.studio.comparison
        if c is None:
            return None
        if node.id in c.diff.change_of:
            change = c.changes[c.diff.change_of[node.id]]
            ids = [k for k, v in c.diff.concerning.items() if c.diff.change_of[node.id] in v]
            # the most specific object the panes have (a column before its table)
            ids.sort(key=lambda i: (i.startswith("table:"), i))
            for i in ids:
                if i in c.left or i in c.right:
                    return i
            return f"table:{change.targets[0]}" if change.targets else None
        if node.id in c.diff.candidate_of:
            cand = c.candidates[c.diff.candidate_of[node.id]]
            return _candidate_objects(cand)[1]
        if node.id.startswith("group:"):
            return node.id.removeprefix("group:")
        return None

    def _update_detail(self) -> None:
        c = self.studio.comparison
        if c is None:
            return
        panes = self._panes()
        pane = panes.get(self._active)
        node = pane.current if pane is not None else None
        detail = self.query_one(DetailPanel)
        if node is None:
            return
        if pane is not None and pane.id == "diff":
            if node.id in c.diff.candidate_of:
                cand = c.candidates[c.diff.candidate_of[node.id]]
                old_id, new_id = _candidate_objects(cand)
                detail.show_candidate(cand, definition(c.new, new_id), definition(c.old, old_id))
                return
            if node.id in c.diff.change_of:
                i = c.diff.change_of[node.id]
                target = self._object_of(pane, node)
                obj = (c.left.get(target) or c.right.get(target)) if target else None
                if obj is None:
                    detail.show_change(c.changes[i], i)
                    return
                node = obj
            elif node.id.startswith("group:"):
                obj = c.left.get(node.id.removeprefix("group:")) or c.right.get(
                    node.id.removeprefix("group:")
                )
                if obj is None:
                    return
                node = obj
            else:
                return
        changes = [c.changes[i] for i in c.diff.concerning.get(node.id, ())]
        if node.kind == "table" or node.kind == "schema":
            # a table's detail lists every change of the table, its columns' included
            prefix = node.id.partition(":")[2]
            seen: set[int] = set()
            for key, idx in c.diff.concerning.items():
                if key.partition(":")[2].startswith(prefix + "."):
                    seen.update(idx)
            changes += [c.changes[i] for i in sorted(seen) if c.changes[i] not in changes]
        candidate = next(
            (cand for cand in c.candidates if node.id in _candidate_objects(cand)), None
        )
        declared_id, live_id = node.id, c.old_id(node.id)
        if candidate is not None:
            live_id, declared_id = _candidate_objects(candidate)
            for i in c.diff.concerning.get(declared_id, ()) + c.diff.concerning.get(live_id, ()):
                if c.changes[i] not in changes:
                    changes.append(c.changes[i])
        detail.show_object(
            node,
            definition(c.new, declared_id),
            definition(c.old, live_id),
            changes,
            candidate,
        )

    # --- actions ------------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter = event.value
        c = self.studio.comparison
        if c is None:
            return
        for name, model in (("declared", c.left), ("live", c.right), ("diff", c.diff.tree)):
            self._panes()[name].show(model, model.matching(self._filter), _note(name, c))

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self._panes()[self._active].focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The pane with focus drives the others."""
        if isinstance(event.widget, ObjectPane) and event.widget.id:
            self._active = event.widget.id
            self._sync_from(event.widget)

    def action_filter(self) -> None:
        """Focus the filter box."""
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        """Empty the filter and go back to the panes."""
        box = self.query_one("#filter", Input)
        if box.value:
            box.value = ""
        self._panes()[self._active].focus()

    def action_pane(self, name: str) -> None:
        """Focus one of the three panes."""
        self._panes()[name].focus()

    def action_focus_detail(self) -> None:
        """Focus the detail panel (to scroll it)."""
        self.query_one(DetailPanel).focus()

    def action_refresh(self) -> None:
        """Read both sides again."""
        for pane in self.query(ObjectPane):
            pane.loading = self.studio.comparison is None
        self.notify("reading the live database and the declared schema…", timeout=2)
        self.load()

    def action_accept_rename(self) -> None:
        """Accept a rename candidate: the one under the cursor, the only one, or one picked."""
        c = self.studio.comparison
        if c is None or not c.candidates:
            self.notify("no rename candidates", severity="warning")
            return
        pane = self._panes()[self._active]
        node = pane.current
        chosen: RenameCandidate | None = None
        if node is not None:
            if node.id in c.diff.candidate_of:
                chosen = c.candidates[c.diff.candidate_of[node.id]]
            else:
                chosen = next((x for x in c.candidates if node.id in _candidate_objects(x)), None)
        if chosen is None and len(c.candidates) == 1:
            chosen = c.candidates[0]
        if chosen is not None:
            self._accept(chosen)
            return

        def picked(index: int | None) -> None:
            if index is not None:
                self._accept(c.candidates[index])

        self.app.push_screen(
            ChoiceScreen(
                "Which is a rename?", [f"{x.kind} {x.old} → {x.new}" for x in c.candidates]
            ),
            picked,
        )

    def _accept(self, candidate: RenameCandidate) -> None:
        self.notify(f"{candidate.old} will be renamed to {candidate.new}", markup=False)
        self.studio.accept_rename(candidate.hint)

    def action_review(self) -> None:
        """Generate a migration and review it step by step."""
        self.studio.open_review()

    def action_apply(self) -> None:
        """Apply the pending migrations."""
        self.studio.open_apply()

    def action_history(self) -> None:
        """Show applied, pending, modified and missing migrations."""
        self.studio.open_history()

    def action_locks(self) -> None:
        """Watch lock waits on the target."""
        self.studio.open_locks()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The fleet's key only in a project that names a fleet."""
        if action == "fleet":
            return services.fleet_configured(self.studio.options.settings)
        return True

    def action_fleet(self) -> None:
        """Every target of the fleet, and a fleet-wide migrate."""
        self.studio.open_fleet()


def _candidate_objects(c: RenameCandidate) -> tuple[str, str]:
    """(old-side id, new-side id) of a rename candidate."""
    if c.kind == "table":
        return table_id(c.old), table_id(c.new)
    a, b = split_qualified(c.old), split_qualified(c.new)
    return (
        member_id("column", qualname(a[0], a[1]), a[2]),
        member_id("column", qualname(b[0], b[1]), b[2]),
    )


def _note(pane: str, c: Comparison) -> str:
    """What `exclude` left out of both sides: said once, under the declared schema's pane."""
    return f"{c.excluded} excluded" if pane == "declared" and c.excluded is not None else ""
