"""The monitor query's rows (one per waiter and blocker) grouped into waits and chains."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from studio.model import qualname
from studio.run.monitor.snapshot import (
    LOCK_MODES,
    Blocker,
    Chain,
    LockTarget,
    Session,
    Snapshot,
    Wait,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime, timedelta

QUERY_CHARS = 200


def build_snapshot(rows: Iterable[Mapping[str, Any]], taken_at: datetime) -> Snapshot:
    """Group the monitor query's (waiter, blocker) rows into waits and chains."""
    by_pid: dict[int, list[Mapping[str, Any]]] = {}
    for r in rows:
        by_pid.setdefault(r["pid"], []).append(r)
    waits = tuple(_wait(group) for _, group in sorted(by_pid.items()))
    return Snapshot(taken_at=taken_at, waits=waits, chains=_chains(waits))


def _wait(rows: list[Mapping[str, Any]]) -> Wait:
    r = rows[0]
    return Wait(
        session=_session(r, ""),
        mode=r["mode"],
        target=_target(r),
        waited=_seconds(r["waited"]) or 0.0,
        since=r["wait_start"],
        blockers=tuple(_blocker(b) for b in rows),
    )


def _blocker(r: Mapping[str, Any]) -> Blocker:
    granted, queued = r["blocker_granted_modes"] or [], r["blocker_queued_modes"] or []
    modes = granted or queued
    return Blocker(
        session=_session(r, "blocker_"),
        modes=tuple(sorted(modes, key=_strength, reverse=True)),
        granted=bool(granted) or not queued,
        waiting=bool(r["blocker_waiting"]),
    )


def _session(r: Mapping[str, Any], prefix: str) -> Session:
    pid = r[f"{prefix}pid"]
    if pid == 0:
        return Session(pid=0, backend_type="prepared transaction")
    addr, port = r[f"{prefix}client_addr"], r[f"{prefix}client_port"]
    if addr is not None:
        client: str | None = f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
    else:
        client = "local" if port == -1 else None
    return Session(
        pid=pid,
        application=r[f"{prefix}application_name"] or "",
        user=r[f"{prefix}usename"],
        client=client,
        database=r[f"{prefix}datname"],
        state=r[f"{prefix}state"],
        query=trim_query(r[f"{prefix}query"] or ""),
        xact_age=_seconds(r[f"{prefix}xact_age"]),
        backend_type=r[f"{prefix}backend_type"],
    )


def _target(r: Mapping[str, Any]) -> LockTarget:
    kind = r["locktype"]
    rel: str | None = None
    if r["rel_name"] is not None:
        rel = qualname(r["rel_schema"], r["rel_name"])
    rel_text = rel or (f"relation {r['relation']}" if r["relation"] is not None else "")
    if not r["lock_here"] and r["relation"] is not None:
        rel_text += f" in database {r['lock_datid']}"
    match kind:
        case "relation":
            text = rel_text
        case "extend":
            text = f"extension of {rel_text}"
        case "page":
            text = f"page {r['page']} of {rel_text}"
        case "tuple":
            text = f"tuple ({r['page']},{r['tuple']}) of {rel_text}"
        case "transactionid":
            text = f"transaction {r['transactionid']}"
        case "virtualxid":
            text = f"virtual transaction {r['virtualxid']}"
        case "object":
            text = r["object"] or f"object {r['classid']}/{r['objid']}/{r['objsubid']}"
        case "advisory":
            text = "advisory lock " + _advisory_key(r["classid"], r["objid"], r["objsubid"])
        case _:
            text = kind
    return LockTarget(kind=kind, description=text, relation=rel)


def _advisory_key(classid: int, objid: int, objsubid: int) -> str:
    # pg_advisory_lock(bigint) splits the key over classid (high) and objid
    # (low) with objsubid 1; the (int4, int4) form uses objsubid 2.
    if objsubid == 2:
        return f"({_int4(classid)}, {_int4(objid)})"
    key = (classid << 32) | objid
    return str(key - (1 << 64) if key >= 1 << 63 else key)


def _int4(v: int) -> int:
    return v - (1 << 32) if v >= 1 << 31 else v


def _strength(mode: str) -> int:
    return LOCK_MODES.index(mode) if mode in LOCK_MODES else -1


def _seconds(d: timedelta | None) -> float | None:
    return None if d is None else max(0.0, d.total_seconds())


_WS = re.compile(r"\s+")


def trim_query(query: str, limit: int = QUERY_CHARS) -> str:
    """A query on one line, cut to `limit` characters (an ellipsis marks the cut)."""
    text = _WS.sub(" ", query).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _chains(waits: tuple[Wait, ...]) -> tuple[Chain, ...]:
    """Connected groups of waits, each with its roots and its waits level by level."""
    by_pid = {w.pid: w for w in waits}
    # union-find over waiter and blocker pids
    parent: dict[int, int] = {}

    def find(p: int) -> int:
        parent.setdefault(p, p)
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for w in waits:
        for b in w.blockers:
            parent[find(w.pid)] = find(b.session.pid)
    groups: dict[int, list[Wait]] = {}
    for w in waits:
        groups.setdefault(find(w.pid), []).append(w)

    chains = []
    for members in groups.values():
        roots: dict[int, Session] = {}
        for w in members:
            for b in w.blockers:
                if b.session.pid not in by_pid:
                    roots.setdefault(b.session.pid, b.session)
        ordered, depth = _levels(members, set(roots))
        chains.append(
            Chain(roots=tuple(roots[p] for p in sorted(roots)), waits=ordered, depth=depth)
        )
    chains.sort(key=lambda c: (-c.longest_wait, min(w.pid for w in c.waits)))
    return tuple(chains)


def _levels(members: list[Wait], roots: set[int]) -> tuple[tuple[Wait, ...], int]:
    """Waits ordered breadth-first from the roots, and the chain's depth in sessions."""
    placed: set[int] = set()
    frontier = set(roots)
    ordered: list[Wait] = []
    depth = 1 if roots else 0
    while True:
        level = sorted(
            (w for w in members if w.pid not in placed and frontier & set(w.blocker_pids)),
            key=lambda w: w.pid,
        )
        if not level:
            break
        ordered += level
        placed |= {w.pid for w in level}
        frontier = {w.pid for w in level}
        depth += 1
    # a cycle, or waits only reachable through one: append them as they are
    rest = sorted((w for w in members if w.pid not in placed), key=lambda w: w.pid)
    if rest and not roots:
        depth = len(rest)
    return tuple(ordered + rest), depth
