"""Lint hand-written SQL and migration files: lock facts and hazards per statement.

Two ways a file runs, and lint follows the one that applies:

- a migration (`<version>_<slug>.sql`, parsed by `studio.migrations.files`) runs
  under schema-studio's runner: a transactional migration is one
  transaction; a migration with non-transactional steps, an expand/contract
  phase or a backfill runs step by step (`Migration.one_transaction`).
  The runner sets lock_timeout itself, so `missing-lock-timeout` is not
  reported for it.
- any other .sql file, or any file with `--external`, is a script someone
  else runs (psql, another tool): each statement commits on its own unless
  inside BEGIN ... COMMIT, and lock_timeout must be set by the script.

`-- schema-studio:ignore <hazard-id> <reason>` on the lines before a
statement accepts that hazard there; the finding is kept, marked ignored,
with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pglast import ast

from studio.migrations import files as migrations
from studio.migrations.format import Ignore
from studio.plan.locks.context import Context
from studio.plan.locks.flow import detect
from studio.plan.locks.hazards import Hazard, Level, hazard, known
from studio.plan.locks.kb import LockFact
from studio.plan.locks.parse import comments, isa
from studio.plan.locks.replay import Replay
from studio.plan.locks.rules import Unit
from studio.plan.locks.statements import classify, facts_of
from studio.sqltext.split import ParsedStatement, parse_statements
from studio.sqltext.syntax_errors import SqlSyntaxError, line_of

DEFAULT_SERVER_VERSION = 180000  # lint without a database assumes the newest server supported
_MIGRATION_NAME = re.compile(r"^\d{14}_[A-Za-z0-9][A-Za-z0-9_-]*\.sql$")
_IGNORE = re.compile(r"^schema-studio:ignore(?:\s+(?P<id>\S+))?(?:\s+(?P<reason>.*?))?\s*$")


@dataclass(frozen=True, slots=True)
class Finding:
    """A hazard on one statement of one file."""

    hazard: Hazard
    path: str
    line: int
    statement: str
    detail: str = ""
    facts: tuple[LockFact, ...] = ()
    ignored: str | None = None  # the reason given, when an ignore comment accepted it

    @property
    def level(self) -> Level:
        """The hazard's level."""
        return self.hazard.level

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": self.path,
            "line": self.line,
            "hazard": self.hazard.id,
            "level": self.level.label,
            "message": self.hazard.message,
            "fix": self.hazard.fix,
            "detail": self.detail,
            "statement": self.statement,
            "locks": [f.to_dict() for f in self.facts],
            "ignored": self.ignored is not None,
            "reason": self.ignored,
        }


@dataclass(frozen=True, slots=True)
class StatementReport:
    """One linted statement: where it is and the locks it takes."""

    path: str
    line: int
    statement: str
    facts: tuple[LockFact, ...]


@dataclass(frozen=True, slots=True)
class LintReport:
    """What lint found in a set of files."""

    findings: tuple[Finding, ...]
    statements: tuple[StatementReport, ...] = ()
    files: tuple[str, ...] = ()
    server_version: int = DEFAULT_SERVER_VERSION
    notes: tuple[str, ...] = field(default=())

    def active(self) -> tuple[Finding, ...]:
        """The findings no ignore comment accepted."""
        return tuple(f for f in self.findings if f.ignored is None)

    def exit_code(self, fail_on: Level = Level.DANGER) -> int:
        """2 when an active finding is at or above `fail_on`, 0 otherwise."""
        return 2 if any(f.level >= fail_on for f in self.active()) else 0

    def counts(self) -> dict[str, int]:
        """Active findings per level, and how many were ignored."""
        out = {lv.label: sum(1 for f in self.active() if f.level is lv) for lv in Level}
        out["ignored"] = len(self.findings) - len(self.active())
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "server_version": self.server_version,
            "files": list(self.files),
            "notes": list(self.notes),
            "findings": [f.to_dict() for f in self.findings],
            "statements": [
                {
                    "path": s.path,
                    "line": s.line,
                    "statement": s.statement,
                    "locks": [f.to_dict() for f in s.facts],
                }
                for s in self.statements
            ],
            "summary": self.counts(),
        }


@dataclass(frozen=True, slots=True)
class StatementFindings:
    """One statement's findings, with the statement and its locks said once."""

    path: str
    line: int
    statement: str
    facts: tuple[LockFact, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class RepeatedFinding:
    """A style hazard found on several statements of one file: said once, naming them."""

    hazard: Hazard
    path: str
    # (line, detail) of each statement it is on
    where: tuple[tuple[int, str], ...]


def grouped(
    findings: Sequence[Finding],
) -> tuple[tuple[StatementFindings, ...], tuple[RepeatedFinding, ...]]:
    """Findings per statement, in file order; an active style hazard on more than one
    statement of a file is taken out and said once for the file."""
    style: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.hazard.style and f.ignored is None:
            style.setdefault((f.path, f.hazard.id), []).append(f)
    repeated = {key: fs for key, fs in style.items() if len(fs) > 1}
    per: dict[tuple[str, int, str], list[Finding]] = {}
    for f in findings:
        if (f.path, f.hazard.id) in repeated and f.ignored is None:
            continue
        per.setdefault((f.path, f.line, f.statement), []).append(f)
    statements = tuple(
        StatementFindings(path, line, text, fs[0].facts, tuple(fs))
        for (path, line, text), fs in per.items()
    )
    once = tuple(
        RepeatedFinding(fs[0].hazard, path, tuple((f.line, f.detail) for f in fs))
        for (path, _), fs in repeated.items()
    )
    return statements, once


# --- sources: what a file runs, statement by statement ---------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    path: str
    statements: tuple[tuple[ParsedStatement, tuple[Ignore, ...]], ...]
    # per statement: (transaction key, inside a transaction block)
    runs: tuple[tuple[int, bool], ...]
    runner: bool
    report: bool = True  # False: replayed for context only (an applied migration)


def _script(text: str, path: str) -> tuple[tuple[ParsedStatement, tuple[Ignore, ...]], ...]:
    stmts = parse_statements(text, path)
    pending: list[tuple[int, Ignore]] = []
    for offset, body in comments(text):
        m = _IGNORE.match(body)
        if m is None:
            continue
        line = line_of(text, offset)
        if not m["id"] or not m["reason"]:
            raise SqlSyntaxError(
                path,
                line,
                "usage: `-- schema-studio:ignore <hazard-id> <reason>` (the reason is required)",
            )
        pending.append((offset, Ignore(m["id"], m["reason"], line)))
    out = []
    prev = -1
    for s in stmts:
        mine = tuple(ig for off, ig in pending if prev < off < s.start)
        out.append((s, mine))
        prev = s.start
    if pending and (last := pending[-1])[0] > prev:
        raise SqlSyntaxError(
            path, last[1].line, "`-- schema-studio:ignore` is not followed by a statement"
        )
    return tuple(out)


def _script_runs(stmts: Sequence[ParsedStatement], tx0: int) -> tuple[tuple[int, bool], ...]:
    """psql semantics: autocommit, except between BEGIN and COMMIT/ROLLBACK."""
    runs = []
    tx, in_block = tx0, False
    for s in stmts:
        node = s.node
        kind = node.kind.name if isa(node, ast.TransactionStmt) else ""
        if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START") and not in_block:
            tx, in_block = tx + 1, True
            runs.append((tx, True))
            continue
        if in_block:
            runs.append((tx, True))
            if kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
                in_block = False
            continue
        tx += 1
        runs.append((tx, False))
    return tuple(runs)


def script_source(text: str, path: str, tx0: int = 0) -> _Source:
    """A plain SQL file, run by someone else (psql semantics)."""
    stmts = _script(text, path)
    return _Source(path, stmts, _script_runs([s for s, _ in stmts], tx0), runner=False)


def migration_source(m: migrations.Migration, tx0: int = 0, *, report: bool = True) -> _Source:
    """A migration file, as schema-studio's runner applies it."""
    stmts: list[tuple[ParsedStatement, tuple[Ignore, ...]]] = []
    runs: list[tuple[int, bool]] = []
    path = str(m.path)
    tx = tx0 + 1
    # as the runner applies it; a walk over every step: once, not once per step
    transactional = m.one_transaction
    for step in m.steps:
        if not transactional:
            tx += 1
        for st in step.statements:
            parsed = parse_statements(st.sql, path)
            for i, p in enumerate(parsed):
                line = st.line + p.line - 1
                stmts.append(
                    (
                        ParsedStatement(p.node, p.text, p.start, line, p.dropped),
                        st.ignores if i == 0 else (),
                    )
                )
                if step.transactional:
                    runs.append((tx, True))
                else:
                    tx += 1
                    runs.append((tx, False))
    return _Source(path, tuple(stmts), tuple(runs), runner=True, report=report)


# --- the analysis ------------------------------------------------------------------------------


def lint_sources(
    sources: Sequence[_Source],
    *,
    server_version: int = DEFAULT_SERVER_VERSION,
    external: bool = False,
    context: Context | None = None,
    notes: Iterable[str] = (),
) -> LintReport:
    """Analyse sources in order (each one's context includes what the earlier ones created)."""
    replay = Replay(context)
    units: list[Unit] = []
    ignores: dict[int, tuple[Ignore, ...]] = {}
    reported: set[int] = set()
    for src in sources:
        replay.start_unit()
        for (stmt, igs), (tx, in_block) in zip(src.statements, src.runs, strict=True):
            ctx = replay.context
            matches = classify(stmt.node, server_version, ctx)
            unit = Unit(
                len(units), src.path, stmt.line, stmt.text, stmt.node, matches,
                facts_of(matches, server_version), ctx, tx, in_block, src.runner and not external,
                stmt.dropped,
            )  # fmt: skip
            units.append(unit)
            ignores[unit.index] = igs
            if src.report:
                reported.add(unit.index)
            replay.apply(stmt.node)
    hits = detect(units, server_version, external=external)
    findings: list[Finding] = []
    used: set[tuple[int, str]] = set()
    for h in hits:
        if h.unit not in reported:
            continue
        u = units[h.unit]
        reason = next((ig.reason for ig in ignores[h.unit] if ig.hazard == h.hazard.id), None)
        if reason is not None:
            used.add((h.unit, h.hazard.id))
        findings.append(
            Finding(h.hazard, u.path, u.line, _first_line(u.text), h.detail, u.facts, reason)
        )
    for index in sorted(reported):
        for ig in ignores[index]:
            if (index, ig.hazard) not in used:
                u = units[index]
                what = (
                    f"{ig.hazard} is not found here"
                    if known(ig.hazard)
                    else f"no hazard is called {ig.hazard}"
                )
                findings.append(
                    Finding(hazard("unused-ignore"), u.path, ig.line, _first_line(u.text), what)
                )
    findings.sort(key=lambda f: (f.path, f.line, -f.level))
    statements = tuple(
        StatementReport(units[i].path, units[i].line, units[i].text, units[i].facts)
        for i in sorted(reported)
    )
    files = tuple(dict.fromkeys(s.path for s in sources if s.report))
    return LintReport(tuple(findings), statements, files, server_version, tuple(notes))


def _first_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= 100 else first[:97] + "..."


def lint_sql(
    text: str,
    path: str = "<sql>",
    *,
    server_version: int = DEFAULT_SERVER_VERSION,
    external: bool = False,
    context: Context | None = None,
) -> LintReport:
    """Lint one SQL script (psql semantics)."""
    return lint_sources(
        [script_source(text, path)],
        server_version=server_version,
        external=external,
        context=context,
    )


def is_migration_file(path: Path) -> bool:
    """Whether `path` is named like a migration (`<version>_<slug>.sql`, not a down file)."""
    return bool(_MIGRATION_NAME.match(path.name)) and not path.name.endswith(".down.sql")


def sources_for_paths(paths: Sequence[Path], *, external: bool = False) -> list[_Source]:
    """Files and directories -> sources, in the order given (a directory's .sql files by name)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.glob("*.sql") if not q.name.endswith(".down.sql")))
        elif p.is_file():
            files.append(p)
        else:
            raise SqlSyntaxError(str(p), 1, "no such file or directory")
    out: list[_Source] = []
    tx = 0
    for f in files:
        if is_migration_file(f) and not external:
            src = migration_source(migrations.parse_file(f), tx)
        else:
            try:
                text = f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise SqlSyntaxError(str(f), 1, f"cannot read the file: {e}") from None
            src = script_source(text, str(f), tx)
        tx = max((t for t, _ in src.runs), default=tx) + 1
        out.append(src)
    return out


def sources_for_migrations(
    ms: Sequence[migrations.Migration], report: set[str] | None = None, *, external: bool = False
) -> list[_Source]:
    """The migrations in order; versions in `report` (all when None) reported, the rest replayed."""
    out: list[_Source] = []
    tx = 0
    for m in ms:
        shown = report is None or m.version in report
        if external:
            src = script_source(m.path.read_text(encoding="utf-8"), str(m.path), tx)
            src = _Source(src.path, src.statements, src.runs, src.runner, shown)
        else:
            src = migration_source(m, tx, report=shown)
        tx = max((t for t, _ in src.runs), default=tx) + 1
        out.append(src)
    return out
