"""Timing whole processes: median wall time, peak memory and the machine's load beside them.

The machine is shared (2 cores, other engineers' tests running), so every
figure carries the 1-minute load average seen when its runs started, and is
the median of several runs. The peak memory is the child's maximum RSS as
GNU time (`/usr/bin/time -f %M`) reports it, the client process and the
children it waited for: not PostgreSQL's memory, neither for our tool nor
for the peers. (`ru_maxrss` from our own `wait4` would not do: a child
spawned by vfork or fork starts its high-water mark at the parent's RSS, and
this process holds 3,000-table schemas.) Without /usr/bin/time there is no
memory figure.
"""

from __future__ import annotations

import compileall
import contextlib
import functools
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import studio

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
SLOW = 5.0  # seconds: a warm-up run this long counts as a timed run


@dataclass
class Figure:
    """One measure at one size: median seconds (None: not measured), load, peak memory."""

    seconds: float | None
    load: float
    runs: int = 0
    rss_mb: float | None = None
    timed_out: float | None = None  # the cap, when the run was stopped at it
    note: str = ""
    walls: list[float] = field(default_factory=list)

    def text(self, digits: int = 3) -> str:
        """`0.365 s` or `> 60 s` or `—`."""
        if self.timed_out is not None:
            return f"> {self.timed_out:.0f} s"
        if self.seconds is None:
            return "—"
        return f"{self.seconds:.{digits}f} s"


class ProcessFailed(RuntimeError):
    """A measured process exited with a code it should not have."""


def with_bytecode(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a measured process of ours, as a user's runs: its modules' bytecode cached.

    The tool's package is compiled once here, and the process may write the bytecode of what
    it compiles (a user's edited models): PYTHONDONTWRITEBYTECODE, which a sandbox may set,
    would have every run compile the tool's modules from source again (0.2-0.3 s of CPU).
    """
    _compiled()
    out = dict(env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


@functools.cache
def _compiled() -> None:
    compileall.compile_dir(str(Path(studio.__file__).parent), quiet=1)


def load_now() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def _run_once(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    cwd: Path | None,
    timeout: float | None,
    ok: Sequence[int],
    stdout: int | None,
) -> tuple[float, float | None, bool]:
    """Wall seconds, peak RSS (MB, None when unknown) and whether the cap stopped it."""
    # stderr goes to a file: a pipe nobody reads while we poll could fill and block the child
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        prefix = [GNU_TIME, "-f", "%M", "-o", peak.name] if GNU_TIME else []
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*prefix, *argv],
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,  # no terminal: a tool that would ask a question must not wait
            stdout=stdout,
            stderr=err,
            start_new_session=True,  # a capped process is stopped with its children
        )
        deadline = None if timeout is None else started + timeout
        try:
            while True:
                pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    wall = time.perf_counter() - started
                    break
                if deadline is not None and time.perf_counter() > deadline:
                    os.killpg(proc.pid, 9)
                    os.wait4(proc.pid, 0)
                    return timeout or 0.0, None, True
                time.sleep(0.002)
        except BaseException:  # interrupted: the measured process goes too
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, 9)
            raise
        err.seek(0)
        stderr = err.read()
        kb = peak.read().strip().splitlines()
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise ProcessFailed(f"{' '.join(argv[:4])} … exited {code}: {' | '.join(tail)}")
    # GNU time writes "Command exited with non-zero status N" before the figure
    rss = int(kb[-1]) / 1024 if kb and kb[-1].isdigit() else None
    return wall, rss, False


def time_process(
    argv: Sequence[str],
    *,
    runs: int,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    ok: Sequence[int] = (0,),
    warmup: bool = True,
    before: Callable[[], None] | None = None,
    single_after: float | None = None,
    slow_warmup_counts: bool = True,
) -> Figure:
    """Median of `runs` runs of a whole process (stdout to /dev/null), after a warm-up run.

    A warm-up run longer than `SLOW` seconds counts as the first timed run,
    unless `slow_warmup_counts` is false (a warm-up that fills a cache).
    `before` runs ahead of every run, untimed (e.g. to empty a cache). A run
    stopped at `timeout` ends the series: the figure says "> timeout"; a run
    longer than `single_after` seconds ends it too, as the only sample.
    """
    load = load_now()
    walls: list[float] = []
    rss: list[float] = []
    note = ""
    while len(walls) < runs:
        if before is not None:
            before()
        wall, mb, capped = _run_once(argv, env, cwd, timeout, ok, subprocess.DEVNULL)
        if capped:
            return Figure(None, load, len(walls), max(rss) if rss else None, timed_out=timeout)
        if warmup:
            warmup = False
            if wall < SLOW or not slow_warmup_counts:
                continue  # untimed: caches warm
            # a run this long warms its caches within itself: it counts
        walls.append(wall)
        if mb is not None:
            rss.append(mb)
        if single_after is not None and wall > single_after:
            note = f"one run only (over {single_after:.0f} s)"
            break
    peak = max(rss) if rss else None
    return Figure(statistics.median(walls), load, len(walls), peak, note=note, walls=walls)


def wall_and_cpu(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ok: Sequence[int] = (0,),
) -> tuple[float, float]:
    """Run once (stdout to /dev/null): wall seconds, and the CPU seconds (user + system) of the
    process and the children it waited for, which the machine's load inflates less."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), env=dict(env) if env is not None else None, cwd=cwd,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            raise ProcessFailed(
                f"{' '.join(argv[:4])} … exited {proc.returncode}: {' | '.join(tail)}"
            )
    return wall, usage.ru_utime + usage.ru_stime


def run_output(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ok: Sequence[int] = (0,),
    timeout: float | None = None,
) -> str:
    """Run once and return stdout (for correctness checks, untimed)."""
    proc = subprocess.run(
        list(argv), env=dict(env) if env is not None else None, cwd=cwd,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if proc.returncode not in ok:
        tail = proc.stderr.strip().splitlines()[-3:]
        raise ProcessFailed(f"{' '.join(argv[:4])} … exited {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


def median_of(samples: Sequence[float], load: float, note: str = "") -> Figure:
    """A figure from in-process samples."""
    return Figure(statistics.median(samples), load, len(samples), note=note, walls=list(samples))


def exponent(points: Mapping[int, float]) -> float | None:
    """k in t ~ N^k: least-squares slope of log t against log N (None under two points)."""
    pts = [(math.log(n), math.log(t)) for n, t in sorted(points.items()) if t and t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


def log(msg: str) -> None:
    """Progress on stderr."""
    print(msg, file=sys.stderr, flush=True)
