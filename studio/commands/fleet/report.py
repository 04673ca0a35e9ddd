"""What a fleet command says of each target, and of the fleet: states, reports, exit code."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.commands.fleet.targets import FleetTarget
    from studio.model.changes import Change


class TargetState(enum.StrEnum):
    """Where one target stands once its part of the command is over."""

    # status, check: every migration applied, no drift
    IN_SYNC = "in sync"
    # migrate: nothing was pending
    UP_TO_DATE = "up to date"
    # migrate: migrations applied; rollback: migrations rolled back
    DONE = "done"
    # migrations not applied yet (or an interrupted one to resume)
    PENDING = "pending"
    # the live schema differs from the replay of its applied migrations
    DRIFT = "drift"
    # a migration (or rollback) failed on it: what ran in a transaction was rolled back
    FAILED = "failed"
    # another migrator holds its migration lock
    BUSY = "busy"
    # it could not be reached
    UNREACHABLE = "unreachable"
    # anything else that stopped it (its history, a privilege, an edited applied migration)
    ERROR = "error"
    # never started: the run halted, or a canary did not succeed
    SKIPPED = "skipped"
    # stopped by the user at a step boundary (the running step rolled back): a rerun resumes it
    ABORTED = "aborted"

    @property
    def ok(self) -> bool:
        """Whether the target needs nothing: done, or nothing to do."""
        return self in (TargetState.IN_SYNC, TargetState.UP_TO_DATE, TargetState.DONE)

    @property
    def error(self) -> bool:
        """Whether the target stopped on an error (exit 1)."""
        return self in _ERRORS


_ERRORS = frozenset(
    {TargetState.FAILED, TargetState.BUSY, TargetState.UNREACHABLE, TargetState.ERROR}
)


@dataclass(frozen=True, slots=True)
class TargetReport:
    """One target's outcome: its state, where its migrations stand, and why."""

    target: FleetTarget
    state: TargetState
    # the newest migration applied there (None: none, or not read)
    version: str | None = None
    # migrations not applied there yet (pending, or interrupted)
    pending: int = 0
    # the changes from its applied migrations to its live schema (None: not compared)
    drift: tuple[Change, ...] | None = None
    # migrations this run applied (or rolled back) there, in order
    ran: tuple[str, ...] = ()
    # what stopped it (errors, skips), one line, URLs masked; and what to do about it
    message: str = ""
    hint: str = ""
    # other differences `check` fails on: edited applied migrations, unmodelled objects
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    duration: float = 0.0
    # server_version_num of the target (0: not reached)
    server_version: int = 0
    # the longest its migrator waited for a lock, in seconds (migrate, rollback)
    lock_wait: float = 0.0
    # the contract migrations waiting there for confirmation, by version (None: not read)
    waiting: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class FleetReport:
    """A fleet command's outcome: each target's, in the order they were configured."""

    command: str
    targets: tuple[TargetReport, ...]
    # what holds for the whole fleet (check): the sum file, the declared schema vs migrations
    problems: tuple[str, ...] = ()
    duration: float = 0.0

    def counts(self) -> dict[TargetState, int]:
        """How many targets are in each state (states with none left out)."""
        found = Counter(r.state for r in self.targets)
        return {s: found[s] for s in TargetState if found[s]}

    @property
    def exit_code(self) -> int:
        """0: every target done and in sync; 1: an error on any; 2: drift or pending on any."""
        if any(r.state.error for r in self.targets):
            return 1
        if self.problems or any(not r.state.ok for r in self.targets):
            return 2
        return 0

    def summary(self) -> str:
        """`4 targets: 2 done, 1 failed, 1 skipped`."""
        parts = ", ".join(f"{n} {state.value}" for state, n in self.counts().items())
        n = len(self.targets)
        return f"{n} target{'' if n == 1 else 's'}: {parts or 'none'}"
