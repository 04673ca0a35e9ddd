"""The history screen's state cell names an expand/contract migration's phase (issue 23)."""

from __future__ import annotations

from studio.run.history import Entry, State
from studio.run.inflight import InFlight, Stage
from studio.tui.screens.history import _state


def test_the_state_cell_shows_the_phase_and_the_contracts_passed() -> None:
    flight = InFlight(
        {"1": Stage.BACKFILLED, "2": Stage.CONTRACT_WAITING, "0": Stage.DONE},
        {"3": ("2",)},
    )
    cell = {
        v: _state(Entry(v, "m", state, out_of_order=v == "2"), flight)
        for v, state in (("0", State.APPLIED), ("1", State.APPLIED), ("2", State.PENDING),
                         ("3", State.PENDING), ("4", State.APPLIED))
    }  # fmt: skip
    assert cell == {
        "0": ("applied", "done"),
        "1": ("applied · backfilled", "done"),
        # passed by a later migration: waiting, not out of order
        "2": ("contract waiting", "warning"),
        "3": ("pending · past waiting contract 2", "pending"),
        "4": ("applied", "done"),
    }
    assert _state(Entry("2", "m", State.PENDING, out_of_order=True), None) == (
        "pending (added on another branch)",
        "pending",
    )
