"""How long an attempt waits for its lock, its budget, and how the CLI shows both (issue 20)."""

from __future__ import annotations

import random

import pytest

from studio.cli.progress import ProgressPrinter
from studio.config import Settings, attempt_lock_timeout
from studio.run.events import LockTimeoutRetry, StepFinished, StepStarted
from studio.run.executor import Backoff


def test_an_attempt_waits_queue_guard_unless_the_guard_watches() -> None:
    s = Settings()
    # the server itself ends a wait nobody watches after queue_guard; watched, lock_timeout
    assert attempt_lock_timeout(s, watching=False) == "30ms"
    assert attempt_lock_timeout(s, watching=True) == "1s"
    # overrides: the guard off, lock_timeout is every attempt's; a shorter one stays
    assert attempt_lock_timeout(Settings(queue_guard=0), watching=False) == "1s"
    assert attempt_lock_timeout(Settings(lock_timeout="20ms"), watching=False) == "20ms"
    assert attempt_lock_timeout(
        Settings(lock_timeout="500ms", queue_guard=1.0), watching=False
    ) == ("500ms")
    # lock_timeout 0 waits for ever: bounded by the guard's limit all the same
    assert attempt_lock_timeout(Settings(lock_timeout="0", queue_guard=0.2), watching=False) == (
        "200ms"
    )


def test_the_default_budget_is_thirty_retries_of_under_a_minute() -> None:
    rng = random.Random(1)
    retries = Settings().retries
    total = sum(Backoff().delay(a, rng) for a in range(1, retries + 1))
    # half of each ceiling is fixed, half random: 26.6 s at least, 53.1 s at most
    assert retries == 30 and 26.5 < total < 53.2, total
    assert all(1.0 <= Backoff().delay(9, rng) <= 2.0 for _ in range(50))


def test_progress_shows_attempts_the_budget_left_and_what_an_attempt_waits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = ProgressPrinter(tty=False)
    wait = "30 ms while others queue behind it, up to 1s alone"
    common = {"at": 0.0, "version": "1", "index": 2}
    p.handle(LockTimeoutRetry(**common, attempt=3, retries=30, delay=0.4, lock_wait=wait))
    p.handle(
        LockTimeoutRetry(
            **common, attempt=4, retries=30, delay=0.8, cause="queue_guard", lock_wait=wait
        )
    )
    p.handle(StepStarted(**common, steps_total=2, title="add column", attempt=5, attempts=31))
    p.handle(StepFinished(**common, steps_total=2, duration=0.01))
    p.handle(LockTimeoutRetry(**common, attempt=30, retries=30, delay=1.5))
    err = capsys.readouterr().err
    assert (
        "lock timeout on step 2 (retry 3 of 30, 27 left); blocked by" in err
        and f"retrying step 2 in 0.4s; it waits {wait}" in err
    ), err
    assert f"retrying step 2 in 0.8s (retry 4 of 30, 26 left; it waits {wait})" in err, err
    assert "[2/2] add column (attempt 5 of 31) ... " in err, err
    assert "(retry 30 of 30, 0 left)" in err, err
