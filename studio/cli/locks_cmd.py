"""`schema-studio locks`: tail lock waits like `tail -f`.

Text on a terminal redraws one frame in place every poll; piped, it prints a
block per change. JSON prints one object per line per change (not per
poll), flushed, for scripts. `--count` counts polls, changed or not. Ctrl-C
stops it with exit status 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, TextIO

import click

from studio.cli import cli, run, settings_from
from studio.cli.options import format_option
from studio.config import mask_dsn
from studio.run import monitor
from studio.words import counted

if TYPE_CHECKING:
    from studio.run.monitor import Blocker, Chain, Session, Snapshot, Wait

_CLEAR = "\x1b[H\x1b[2J"


@cli.command("locks")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Target database URL (default: $DATABASE_URL or the configured variable).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.01),
    default=monitor.DEFAULT_INTERVAL,
    show_default=True,
    metavar="S",
    help="Seconds between polls.",
)
@click.option(
    "--all-databases", is_flag=True, help="Watch the whole server, not only the target database."
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    metavar="N",
    help="Stop after N snapshots (polls), whether or not they changed: piped, only the ones "
    "that changed are printed, so a quiet database prints one and stops after N x --interval.",
)
@format_option("text", "json")
def locks_cmd(
    db_url: str | None, interval: float, all_databases: bool, count: int | None, fmt: str
) -> int:
    """Tail lock waits: who waits on whom, for how long, on what (Ctrl-C to stop)."""
    url = settings_from(db_url).database_url()
    assert url is not None
    scope = "the whole server" if all_databases else "its database"
    click.echo(
        f"-- lock waits on {mask_dsn(url)} ({scope}), every {interval:g}s; Ctrl-C to stop", err=True
    )
    try:
        run(
            tail(
                url,
                interval=interval,
                all_databases=all_databases,
                fmt=fmt,
                count=count,
                out=sys.stdout,
            )
        )
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        # the reader went away (`| head`): not an error; keep Python's exit flush quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


async def tail(
    url: str, *, interval: float, all_databases: bool, fmt: str, count: int | None, out: TextIO
) -> None:
    """Write snapshots of `url`'s lock waits to `out`, until `count` are taken (or forever).

    Every poll counts, written or not: counting written ones only, a quiet
    database (no change after the first) never reached the count.
    """
    redraw = fmt == "text" and out.isatty()
    taken = 0
    last: tuple[object, ...] | None = None
    title = mask_dsn(url) + (" (all databases)" if all_databases else "")
    stream = monitor.watch(url, interval=interval, all_databases=all_databases)
    async with contextlib.aclosing(stream):
        async for snap in stream:
            taken += 1
            done = count is not None and taken >= count
            # a terminal shows the durations growing; a pipe only gets changes
            if snap.shape == last and not redraw:
                if done:
                    return
                continue
            last = snap.shape
            if fmt == "json":
                out.write(snapshot_json(snap) + "\n")
            elif redraw:
                out.write(_CLEAR + render_text(snap, title) + "\n")
            else:
                out.write(render_text(snap, title) + "\n\n")
            out.flush()
            if done:
                return


def snapshot_json(snap: Snapshot) -> str:
    """One snapshot as one line of JSON."""

    return json.dumps(snap.as_dict(), ensure_ascii=False, separators=(",", ":"))


# --- text ---------------------------------------------------------------------


def render_text(snap: Snapshot, title: str) -> str:
    """A readable frame: a header, then each chain as a tree from its root."""
    stamp = snap.taken_at.astimezone().strftime("%H:%M:%S")
    if snap.gap:
        return f"{stamp}  {title}\n  -- gap: {snap.error}"
    n = len(snap.waits)
    if not n:
        return f"{stamp}  {title}: no lock waits"
    lines = [f"{stamp}  {title}: {n} waiting, {counted(len(snap.chains), 'chain')}"]
    for chain in snap.chains:
        lines.append("")
        lines += _chain_lines(chain)
    return "\n".join(lines)


def _chain_lines(chain: Chain) -> list[str]:
    lines: list[str] = []
    if chain.cycle:
        start = max(chain.waits, key=lambda w: w.waited)
        lines.append(
            "deadlock in the making (a cycle; PostgreSQL breaks it after deadlock_timeout)"
        )
        lines += _node_lines(start.session, chain, "", {start.pid})
        return lines
    for root in chain.roots:
        head = f"{root.label}  {_activity(root)}"
        lines.append(head.rstrip())
        lines += _query_lines(root, "  ")
        lines += _children(root.pid, chain, "", {root.pid})
    return lines


def _node_lines(session: Session, chain: Chain, indent: str, path: set[int]) -> list[str]:
    return [f"{indent}{session.label}", *_children(session.pid, chain, indent, path)]


def _children(pid: int, chain: Chain, indent: str, path: set[int]) -> list[str]:
    lines: list[str] = []
    kids = chain.blocked_by(pid)
    for i, w in enumerate(kids):
        last = i == len(kids) - 1
        branch, cont = ("└─ ", "   ") if last else ("├─ ", "│  ")
        blocker = next(b for b in w.blockers if b.session.pid == pid)
        lines.append(f"{indent}{branch}{_wait_line(w, blocker)}")
        lines += _query_lines(w.session, indent + cont + "  ")
        if w.pid in path:
            lines.append(f"{indent}{cont}  (back to pid {w.pid}: a cycle)")
            continue
        lines += _children(w.pid, chain, indent + cont, path | {w.pid})
    return lines


def _wait_line(w: Wait, blocker: Blocker) -> str:
    how = _edge(blocker)
    return f"{w.session.label}  waits {_duration(w.waited)} for {w.mode} on {w.target}  ({how})"


def _edge(b: Blocker) -> str:
    who = "a prepared transaction" if b.session.pid == 0 else f"pid {b.session.pid}"
    modes = ", ".join(b.modes) or "a lock"
    return f"{who} holds {modes}" if b.granted else f"{who} is queued first for {modes}"


def _activity(s: Session) -> str:
    parts = []
    if s.state:
        parts.append(s.state)
    if s.xact_age is not None:
        parts.append(f"transaction open {_duration(s.xact_age)}")
    if s.user or s.client:
        parts.append(f"{s.user or '?'}@{s.client or 'local'}")
    if s.backend_type and s.backend_type != "client backend":
        parts.append(s.backend_type)
    return ", ".join(parts)


def _query_lines(s: Session, indent: str) -> list[str]:
    return [f"{indent}{s.query}"] if s.query else []


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"
