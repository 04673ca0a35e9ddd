"""What a run of migrations did so far, and what state the database is in when it stops (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.run import events as ev


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
            head.append(
                f"steps {done[0]}-{done[-1]} of {e.version} are committed and recorded; "
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
        head.append(" — press a to apply it again")
    else:
        head.append(f" — press a to resume at step {e.index}")
    return head
