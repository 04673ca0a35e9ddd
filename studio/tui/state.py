"""What the studio knows: what screens see of the app, and what a run of migrations did (pure).

Screens never import the app: they see it as a `Studio`, the shared state
and the routes the app keeps, so the app can import every screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from studio.tui.keys import shown
from studio.words import plural

if TYPE_CHECKING:
    from studio.commands.check import CheckReport
    from studio.config import Settings
    from studio.run import events as ev
    from studio.tui.options import StudioOptions
    from studio.tui.services import Comparison, Overview, Sides


class Studio(Protocol):
    """The app as screens see it: what several screens show, and where each screen opens."""

    options: StudioOptions
    # the target's migrations, its drift, and the server version (the header)
    overview: Overview | None
    drift_report: CheckReport | None
    drift_error: str | None
    # half-applied migrations as drift was checked, and the studio's own run now
    drift_running: tuple[str, ...]
    applying: str | None
    server_version: int
    # both sides as loaded, their comparison, and the renames the user accepted
    sides: Sides | None
    comparison: Comparison | None
    hints: tuple[str, ...]

    def refresh_headers(self) -> None:
        """Redraw the header of every open screen."""

    def settle(self) -> None:
        """What the studio holds now stays until the next read (the collector stops walking it)."""

    def unsettle(self) -> None:
        """A new read replaces what the studio held: free what the last one left behind."""

    def set_applying(self, what: str | None) -> None:
        """Say in every header that the studio applies `what` now (None: it stopped)."""

    def accept_rename(self, hint: str) -> None:
        """Remember an accepted rename (`old=new`)."""

    def open_review(self) -> None:
        """The review screen (generate)."""

    def close_review(self) -> None:
        """Back past the review (and its finish screen)."""

    def open_apply(
        self,
        *,
        start: bool = False,
        to: str | None = None,
        settings: Settings | None = None,
        label: str | None = None,
    ) -> None:
        """The apply screen; `start` applies at once (up to `to`, when given); `settings`: a
        fleet target's instead of the studio's own."""

    def open_pending(self, version: str) -> None:
        """The review of pending migration `version`."""

    def open_fleet(self) -> None:
        """The fleet screen."""

    def open_history(self) -> None:
        """The history screen."""

    def open_locks(self) -> None:
        """The locks screen."""

    def show_error(self, error: BaseException, *, fatal: bool) -> None:
        """A notification for what can be recovered from, a modal otherwise."""


@dataclass
class RunProgress:
    """What the run did so far, to say what state the database is in."""

    version: str = ""
    name: str = ""
    transactional: bool = True
    current: int | None = None
    current_transactional: bool = True
    current_title: str = ""
    done_steps: list[int] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    started: dict[str, float] = field(default_factory=dict)
    # the step a run stopped before, its backfill left for later (the `no_backfill` option)
    deferred: str = ""


def failure_state(
    progress: RunProgress, e: ev.MigrationFailed, *, aborted: bool
) -> list[str | tuple[str, str]]:
    """What state the database is in after a failed (or aborted) migration, as status-line parts."""
    p = progress
    head: list[str | tuple[str, str]] = [
        ("aborted: " if aborted else "failed: ", "bold $text-error")
    ]
    if p.transactional:
        head.append(
            f"{e.version} ran in one transaction and was rolled back: none of it is applied"
        )
    else:
        done = sorted(set(p.done_steps))
        if done:
            steps = f"step {done[0]}" if len(done) == 1 else f"steps {done[0]}-{done[-1]}"
            head.append(
                f"{steps} of {e.version} {plural(len(done), 'is')} committed and recorded; "
                f"step {e.index} was rolled back"
            )
        else:
            head.append(f"no step of {e.version} was committed")
        if e.index is not None and not p.current_transactional:
            head.append(
                "; an invalid index it may have left is dropped and rebuilt when you apply again"
            )
    if p.finished:
        head.append(f"; applied before it: {', '.join(p.finished)}")
    if p.transactional:
        head.append(f" — press {shown('apply')} to apply it again")
    else:
        head.append(f" — press {shown('apply')} to resume at step {e.index}")
    return head
