"""`plan --format markdown`: the plan as a pull-request comment body.

A short summary first (what is planned, the strongest lock, hazards by level,
the estimated time under locks that stop the application, one row per step),
then each migration's steps folded in `<details>`: SQL, locks, sizes,
estimate, row checks, hazards with their fix. The body stays under GitHub's
comment limit: long SQL is cut, and past the limit the details of the last
migrations are left out, said so.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from studio.plan.estimates import human_range
from studio.plan.locks.hazards import Level
from studio.plan.locks.modes import summary
from studio.plan.report import Source
from studio.words import counted

if TYPE_CHECKING:
    from studio.plan.locks.kb import LockFact
    from studio.plan.locks.lint import Finding
    from studio.plan.report import PlannedMigration, PlannedStep, PlanReport

# the first line: a workflow finds the comment it posted before by it, to edit it
MARKER = "<!-- schema-studio plan -->"
# GitHub refuses a comment body longer than this many characters
COMMENT_LIMIT = 65_536
# SQL shown per step, at most (the rest: `schema-studio plan` in a terminal)
SQL_LINES = 40
SQL_CHARS = 4_000


def text(s: str) -> str:
    """Plain text safe in Markdown and in a table cell: no HTML, emphasis, code or cell break."""
    s = html.escape(re.sub(r"\s+", " ", s), quote=False)
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", s)


def prose(s: str) -> str:
    """Text whose `backticked` spans stay code (notes, which quote commands and names)."""
    parts = s.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: all text
        return text(s)
    return "".join(code(p) if i % 2 else text(p) for i, p in enumerate(parts))


def code(s: str) -> str:
    """Inline code, fenced by more backticks than it holds (`|` escaped for table cells)."""
    s = " ".join(s.split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def sql_block(sql: str) -> str:
    """A fenced SQL block, cut past `SQL_LINES` lines or `SQL_CHARS` characters."""
    lines = sql.strip().splitlines()
    kept: list[str] = []
    size = 0
    for line in lines[:SQL_LINES]:
        if size + len(line) > SQL_CHARS:
            break
        kept.append(line)
        size += len(line) + 1
    body = "\n".join(kept)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    out = f"{fence}sql\n{body}\n{fence}"
    if cut := len(lines) - len(kept):
        out += f"\n\n_{counted(cut, 'more line')} of SQL: `schema-studio plan` prints them all_"
    return out


def seconds(r: tuple[float, float]) -> str:
    """A duration range in words (`instant` for 0-0)."""
    return "instant" if r[1] == 0 else human_range(*r)


def hazards(counts: dict[str, int]) -> str:
    """`**1 danger**, 2 warning, 0 info` (as lint counts them): a danger in bold."""
    parts = [f"{counts[lv.label]} {lv.label}" for lv in (Level.DANGER, Level.WARNING, Level.INFO)]
    if counts["danger"]:
        parts[0] = f"**{parts[0]}**"
    return ", ".join(parts)


def lock(f: LockFact | None) -> str:
    """`ACCESS EXCLUSIVE on public.orders`, or `none known`."""
    return "none known" if f is None else f"{f.mode.label} on {code(f.relation)}"


def markdown(report: PlanReport) -> str:
    """The comment body: summary, then details per migration, under GitHub's limit."""
    head = _summary(report)
    tail = "\n\n---\n_`schema-studio plan`: read-only, nothing was applied or written._\n"
    parts = [head]
    size = len(head) + len(tail)
    left = 0
    for i, m in enumerate(report.migrations):
        block = "\n\n" + _details(m)
        reserve = 300  # room for the line saying what was left out
        if size + len(block) + reserve > COMMENT_LIMIT:
            left = len(report.migrations) - i
            break
        parts.append(block)
        size += len(block)
    if left:
        parts.append(
            f"\n\n_The details of the last {counted(left, 'migration')} are left out: a comment"
            f" holds at most {COMMENT_LIMIT:,} characters. `schema-studio plan` prints them all._"
        )
    return "".join(parts) + tail


def _summary(report: PlanReport) -> str:
    what = {
        Source.PENDING: "What `schema-studio migrate` would run",
        Source.FILES: "As `schema-studio migrate` would run them",
        Source.GENERATE: "Nothing is written: what `schema-studio generate` would write now",
    }[report.source]
    lines = [MARKER, f"### Migration plan: {report.headline()}", "", f"{what}."]
    if not report.migrations:
        lines += ["", *(f"- {prose(n)}" for n in report.notes)]
        return "\n".join(lines)
    strongest = report.strongest()
    where = (
        ""
        if strongest is None
        else f" ({strongest[0].migration.version}, step {strongest[1].step.index})"
    )
    cells = [lock(strongest[2] if strongest else None) + where, hazards(report.counts())]
    header = "| strongest lock | hazards |"
    if report.estimated:
        header = header[:-1] + "| time under locks that stop reads or writes | whole run |"
        cells += [seconds(report.blocking()), seconds(report.duration())]
    lines += ["", header, "|" + "---|" * len(cells), "| " + " | ".join(cells) + " |", ""]
    lines.append(_basis(report))
    lines += ["", *_step_table(report)]
    if report.notes:
        lines += ["", *(f"- {prose(n)}" for n in report.notes)]
    return "\n".join(lines)


def _basis(report: PlanReport) -> str:
    """What the analysis assumed: server, where durations come from, the lock wait bound."""
    major = report.server_version // 10000
    parts = [f"PostgreSQL {major}" if major else "server version not read"]
    if report.estimated:
        rate = (
            report.throughput.describe() if report.throughput else "catalog only: nothing to read"
        )
        parts.append(f"sizes from the target's statistics, {rate}")
    else:
        parts.append("no database given: no sizes or durations (`--db`, read-only, adds them)")
    parts.append(report.lock_wait)
    return " · ".join(prose(p) for p in parts)


def _step_table(report: PlanReport) -> list[str]:
    cols = ["migration", "step", "strongest lock", "blocks", "does"]
    if report.estimated:
        cols.append("time")
    cols.append("hazards")
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for m in report.migrations:
        for s in m.todo:
            f = s.strongest()
            cells = [
                code(m.migration.version),
                text(f"{s.step.index}. {_title(s)}"),
                "not analysed (Python step)" if s.step.python else lock(f),
                text(summary(f.blocks)) if f else "",
                text(f.effect.label) if f else "",
            ]
            if report.estimated:
                cells.append("not estimated" if s.step.python else seconds(s.seconds()))
            cells.append(_hazard_cell(s.findings))
            rows.append("| " + " | ".join(cells) + " |")
    return rows


def _title(s: PlannedStep) -> str:
    title = s.step.title
    return title if len(title) <= 70 else title[:67] + "..."


def _hazard_cell(findings: tuple[Finding, ...]) -> str:
    if not findings:
        return "—"
    return ", ".join(
        f"{'**' if f.level is Level.DANGER else ''}{f.level.label}"
        f"{'**' if f.level is Level.DANGER else ''} {code(f.hazard.id)}"
        for f in findings
    )


def _details(m: PlannedMigration) -> str:
    mig = m.migration
    how = "one transaction" if m.one_transaction else "step by step"
    state = {"partial": ", resumed after its committed steps", "draft": ", not written yet"}
    phase = f", {mig.phase.value} phase" if mig.phase else ""
    name = f"{mig.version}_{mig.name}"
    summary_line = (
        f"<code>{html.escape(name)}</code>: {counted(len(m.todo), 'step')}, {how}{phase}"
        f"{state.get(m.state, '')}"
    )
    out = [f"<details><summary>{summary_line}</summary>", ""]
    for s in m.todo:
        out += _step(s)
    out.append("</details>")
    return "\n".join(out)


def _step(s: PlannedStep) -> list[str]:
    flags = [] if s.step.transactional else ["no transaction"]
    if s.step.backfill:
        flags.append("backfill, in batches")
    extra = f" ({', '.join(flags)})" if flags else ""
    out = [f"#### {s.step.index}. {text(s.step.title)}{extra}", ""]
    if s.step.python is not None:
        # no SQL to analyse: no lock, blocking or time is claimed for it
        return [
            *out,
            f"Calls {code(s.step.python.target)}: the lock analysis covers SQL only.",
            "",
        ]
    out += [sql_block(s.step.sql), ""]
    rows = [
        f"| {f.mode.label} | {code(f.relation)} | {text(summary(f.blocks))}"
        f" | {text(f.effect.label)}{_conditions(f)} |"
        for f in s.facts
    ]
    if rows:
        out += ["| lock | on | blocks | does |", "|---|---|---|---|", *dict.fromkeys(rows), ""]
    else:
        out += ["No lock known to the knowledge base.", ""]
    e = s.estimate
    if e is not None:
        out += [f"- size: {text(size.describe())}" for size in e.sizes]
        # the throughput the range is based on is said once, in the summary
        time = (
            e.estimate.describe()
            if e.estimate.instant
            else seconds((e.estimate.low, e.estimate.high))
        )
        if e.estimate.notes:
            time += "; " + "; ".join(e.estimate.notes)
        out.append(f"- time: {text(time)}")
        out += [f"- check: {text(c)}" for c in e.checks]
    for h in s.findings:
        bold = "**" if h.level is Level.DANGER else ""
        on = f" on {text(h.detail)}" if h.detail else ""
        out.append(
            f"- {bold}{h.level.label}{bold} {code(h.hazard.id)} (line {h.line}){on}:"
            f" {text(h.hazard.message)}. Fix: {text(h.hazard.fix)}"
        )
    if e is not None or s.findings:
        out.append("")
    return out


def _conditions(f: LockFact) -> str:
    return f" ({text('; '.join(f.conditions))})" if f.conditions else ""
