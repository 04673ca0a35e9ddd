"""The messages work flows through: workers post them, screens and the app handle them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from studio.commands.check import CheckReport
    from studio.commands.draft import PlanInput
    from studio.commands.fleet.report import FleetReport, TargetReport
    from studio.commands.pending import PendingReview
    from studio.plan.estimates import RelationSize, Throughput
    from studio.run.events import Event
    from studio.run.history import Status
    from studio.run.inflight import InFlight
    from studio.run.monitor import Snapshot
    from studio.tui.services import Comparison, Overview


class OverviewLoaded(Message):
    """The target's migrations were read (for the header)."""

    def __init__(self, overview: Overview) -> None:
        super().__init__()
        self.overview = overview


class DriftChecked(Message):
    """`check` ran against the target (for the drift badge)."""

    def __init__(
        self, report: CheckReport | None, error: str | None = None, running: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self.report = report
        self.error = error
        # migrations the history shows half-applied as it was checked (`services.in_progress`)
        self.running = running


class DiffComputed(Message):
    """Both sides were read and diffed; the panes can be drawn."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__()
        self.comparison = comparison


class PlanReady(Message):
    """The changes from the migrations to the declared schema.

    With the sizes of what they lock, the target's throughput and its data findings.
    """

    def __init__(
        self,
        plan: PlanInput,
        sizes: dict[str, RelationSize],
        throughput: Throughput | None,
        findings: dict[tuple[str, ...], str] | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.sizes = sizes
        self.throughput = throughput
        # what a step requires of the target's rows -> why the rows there now fail it
        self.findings = findings or {}


class PendingReviewed(Message):
    """A pending migration was analysed against the target (`commands.pending`)."""

    def __init__(self, review: PendingReview) -> None:
        super().__init__()
        self.review = review


class StepEvent(Message):
    """A runner event, as the apply screen draws it."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class BackendKnown(Message):
    """The backend pid of the migration being applied."""

    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid


class LocksSampled(Message):
    """One lock monitor snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class HistoryLoaded(Message):
    """The migrations directory against the target's history."""

    def __init__(self, status: Status, in_flight: InFlight | None = None) -> None:
        super().__init__()
        self.status = status
        # each expand/contract migration's phase, and the waiting contracts later ones passed
        self.in_flight = in_flight


class MigrationsChanged(Message):
    """A migration was written or applied: whatever shows migrations must re-read them."""


class FleetTargetDone(Message):
    """One target of the fleet was read, or its run ended."""

    def __init__(self, report: TargetReport) -> None:
        super().__init__()
        self.report = report


class FleetStepEvent(Message):
    """A runner event of one target of the fleet."""

    def __init__(self, target: str, event: Event) -> None:
        super().__init__()
        self.target = target
        self.event = event


class FleetDone(Message):
    """A fleet command ended: every target's report, and the fleet's."""

    def __init__(self, report: FleetReport, kind: str) -> None:
        super().__init__()
        self.report = report
        # "read": the fleet was read; "migrate": `migrate --fleet` ran; "confirm": the same,
        # confirming the waiting contracts on the targets they wait on
        self.kind = kind
