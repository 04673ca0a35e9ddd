"""What the fleet screen asks before a run: under which policy (`m`); may the contracts run (`c`)?

The contracts' question names each contract, the targets it waits on and
what it drops or renames (as `migrate`'s confirmation names them); its first
answer, the one highlighted, is no; the others are yes under one of the
policies `m` offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content

from studio.commands.fleet.rollout import Policy
from studio.tui.screens.modals import ChoiceScreen
from studio.words import counted, plural

if TYPE_CHECKING:
    from studio.commands.fleet.contracts import ContractsWaiting, FleetContract


@dataclass(frozen=True, slots=True)
class Choice:
    """One policy a fleet run may go under, as `m` and `c` offer it."""

    migrate: str
    confirm: str
    canary: int
    halt: bool

    def policy(self, parallel: int) -> Policy:
        """The rollout's policy, `parallel` targets at a time."""
        return Policy(parallel, self.canary, self.halt)


# each fits an 80-column terminal's dialog on one line
CHOICES = (
    Choice(
        "Migrate the first target alone, then the rest; stop at a failure",
        "Yes: first target alone, then the rest; stop at a failure",
        1,
        True,
    ),
    Choice(
        "Migrate every target; stop starting others at a failure",
        "Yes: every target; stop starting others at a failure",
        0,
        True,
    ),
    Choice(
        "Migrate every target; go on past a failure",
        "Yes: every target; go on past a failure",
        0,
        False,
    ),
)
# the targets a contract's line names before `and N more`
_NAMED = 4
# the lines of what one contract takes away shown before `and N more`
_LINES = 4


def migrate_question(targets: int, parallel: int) -> ChoiceScreen:
    """`m`: under which policy? Answers the index in `CHOICES` (past it or None: cancel)."""
    return ChoiceScreen(
        f"Apply the pending migrations to {counted(targets, 'target')}, {parallel} at a time?",
        [c.migrate for c in CHOICES] + ["Cancel"],
    )


def confirm_question(waiting: ContractsWaiting, parallel: int) -> ChoiceScreen:
    """`c`: which contracts on how many targets, what they take away; no, or yes how.

    Answers None or 0 for no, else 1 + the index in `CHOICES` picked.
    """
    n = len(waiting.contracts)
    which = "the waiting contract" if n == 1 else counted(n, "waiting contract")
    prompt = f"Confirm {which} on {counted(len(waiting.targets), 'target')}, {parallel} at a time?"
    options = ["No: not yet"] + [c.confirm for c in CHOICES]
    return ChoiceScreen(prompt, options, detail=_detail(waiting))


def _detail(waiting: ContractsWaiting) -> Content:
    parts: list[str | tuple[str, str]] = []
    for c in waiting.contracts:
        parts += _contract(c)
    n = len(waiting.contracts)
    parts.append(
        f"{'It' if n == 1 else 'They'} {plural(n, 'drops', 'drop')} what the old application"
        " version still uses: confirm once no instance of it runs."
    )
    if waiting.others:
        others = counted(waiting.others, "other pending migration")
        parts.append(f"\n{others} on those targets {plural(waiting.others, 'runs', 'run')} too.")
    return Content.assemble(*parts)


def _contract(c: FleetContract) -> list[str | tuple[str, str]]:
    """`20250101000003_drop_name.sql on A, B:` and what it drops, a line each."""
    more = len(c.targets) - _NAMED
    names = ", ".join(c.targets[:_NAMED]) + (f" and {more} more" if more > 0 else "")
    lines = list(c.takes_away) or [f"runs: {title}" for title in c.steps]
    shown = [f"  {line}\n" for line in lines[:_LINES]]
    if len(lines) > _LINES:
        shown.append(f"  and {len(lines) - _LINES} more\n")
    return [(c.filename, "bold"), f" on {names}:\n", *shown]
