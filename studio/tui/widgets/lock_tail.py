"""The lock monitor drawn: who waits on whom, and a tail of what changed.

`LockTable` shows the waits of the latest snapshot, chain by chain: the
session at the root (holding everyone up) first, then the sessions waiting
behind it. With `own_pid` set (the migration being applied), the
migration's own row is highlighted when it waits, and so are the sessions
queued behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Log

from studio.tui.widgets.steps import Col, StyledTable
from studio.words import counted, plural

if TYPE_CHECKING:
    from studio.run.monitor import Session, Snapshot, Wait
    from studio.tui.options import StudioOptions


def who(session: Session) -> str:
    """`psql alice idle in transaction` for a session."""
    parts = [session.application or session.backend_type or "", session.user or ""]
    if session.state:
        parts.append(session.state)
    return " ".join(p for p in parts if p) or "?"


class LockTable(StyledTable):
    """The waits of one snapshot, roots first."""

    def on_mount(self) -> None:
        self.define(
            Col("waited", "waited", drop=1),
            Col("pid", "pid"),
            Col("session", "session", flex=True),
            Col("lock", "lock mode", least=len("ACCESS EXCLUSIVE")),
            Col("on", "on"),
            Col("by", "blocked by"),
        )
        self.show_cursor = False

    def show(self, snap: Snapshot, options: StudioOptions, own_pid: int | None = None) -> None:
        """Redraw from a snapshot."""
        self.clear_rows()
        if snap.gap:
            self.put_row(
                "gap",
                self.cell("—", "muted"),
                self.cell("", ""),
                self.cell(snap.error or "monitor reconnecting", "warning"),
                self.cell("", ""), self.cell("", ""), self.cell("", ""),
            )  # fmt: skip
            return
        queued = {w.pid for w in snap.queued_behind(own_pid)} if own_pid else set()
        for chain in snap.chains:
            for root in chain.roots:
                style = "own" if root.pid == own_pid else "danger"
                held = next(
                    (
                        b.mode or ""
                        for w in chain.waits
                        for b in w.blockers
                        if b.session.pid == root.pid and b.granted
                    ),
                    "",
                )
                target = next(
                    (str(w.target) for w in chain.waits if root.pid in w.blocker_pids), ""
                )
                self.put_row(
                    self.next_key(),
                    self.cell("holds", style),
                    self.cell(options.pid(root.pid), style),
                    self.cell(_who(root, own_pid) + _age(root, options), style),
                    self.cell(held, style),
                    self.cell(target, style),
                    self.cell("", "muted"),
                )
            for wait in chain.waits:
                if wait.pid == own_pid:
                    style = "own"
                elif wait.pid in queued:
                    style = "queued"
                else:
                    style = ""
                self.put_row(self.next_key(), *self._wait_row(wait, options, own_pid, style))

    def _wait_row(
        self, wait: Wait, options: StudioOptions, own_pid: int | None, style: str
    ) -> list[Text]:
        blockers = ", ".join(
            ("migration " if b.session.pid == own_pid else "")
            + options.pid(b.session.pid)
            + ("" if b.granted else " (queued ahead)")
            for b in wait.blockers
        )
        return [
            self.cell(options.duration(wait.waited), style),
            self.cell(options.pid(wait.pid), style),
            self.cell(_who(wait.session, own_pid), style),
            self.cell(wait.mode, style),
            self.cell(str(wait.target), style),
            self.cell(blockers, style),
        ]


def _who(session: Session, own_pid: int | None) -> str:
    text = who(session)
    return f"this migration ({text})" if session.pid == own_pid else text


def _age(session: Session, options: StudioOptions) -> str:
    if session.xact_age is None:
        return ""
    return f" {options.duration(session.xact_age)}"


def describe_snapshot(snap: Snapshot, options: StudioOptions, own_pid: int | None) -> str:
    """One line for the tail: what the picture is now."""
    if snap.gap:
        return snap.error or "monitor reconnecting"
    if not snap.waits:
        return "no lock waits"
    parts = []
    own = snap.wait_of(own_pid) if own_pid else None
    if own is not None:
        holders = ", ".join(
            f"pid {options.pid(b.session.pid)} ({who(b.session)})" for b in own.blockers
        )
        parts.append(f"the migration waits for {own.mode} on {own.target} behind {holders}")
    if own_pid:
        behind = snap.queued_behind(own_pid)
        if behind:
            queue = plural(len(behind), "queues", "queue")
            parts.append(f"{counted(len(behind), 'session')} {queue} behind the migration")
    others = [w for w in snap.waits if w.pid != own_pid]
    if others and not parts:
        longest = max(w.waited for w in others)
        parts.append(
            f"{counted(len(others), 'session')} waiting, longest {options.duration(longest)}"
        )
    return "; ".join(parts)


class LockLog(Log):
    """The tail: one line each time the picture of lock waits changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=500, auto_scroll=True)
        self._last: tuple[object, ...] | None = None

    def record(self, snap: Snapshot, line: str, stamp: str) -> None:
        """Append `line` if the picture changed since the last snapshot."""
        if snap.shape == self._last:
            return
        self._last = snap.shape
        self.write_line(f"{stamp}  {line}")
