"""The runner's events and the one shape their consumers share (EventHandler)."""

from __future__ import annotations

from studio.run.events import (
    Direction,
    EventHandler,
    MigrationFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    on,
)


def test_an_event_handler_calls_the_method_marked_for_the_event_class() -> None:
    class Recorder(EventHandler):
        def __init__(self) -> None:
            self.seen: list[str] = []

        @on(StepStarted)
        def started(self, event: StepStarted) -> None:
            self.seen.append(f"started {event.index}")

        @on(StepFinished, MigrationFinished)
        def finished(self, event: StepFinished | MigrationFinished) -> None:
            self.seen.append(type(event).__name__)

    class Quieter(Recorder):
        @on(StepStarted)
        def started(self, event: StepStarted) -> None:
            self.seen.append("quiet")

    step = dict(at=0.0, version="1", index=2, steps_total=3, title="t", transactional=True)
    r = Recorder()
    r.handle(StepStarted(**step))
    r.handle(StepFinished(at=1.0, version="1", index=2, steps_total=3, duration=0.5))
    r.handle(RunStarted(at=0.0, direction=Direction.UP, migrations=()))  # no method: ignored
    assert r.seen == ["started 2", "StepFinished"]
    q = Quieter()
    q.handle(StepStarted(**step))
    assert q.seen == ["quiet"]
