"""Benchmark: `lint` against squawk on the same files: the golden lint cases, the demo's migrations.

The golden cases (tests/unit/lint_cases.py) say, per peer rule, what
PostgreSQL makes a hazard: statements lint must flag and near misses it must
accept. Both linters read each case as a file of its own:

- lint: the flag rate (must-flag cases reported with the rule's hazard at the
  level expected), and two false-alarm rates on the near misses (a hazard of
  the rule at any level; any warning or danger the case does not expect);
- squawk (`squawk-cli`, installed into bench/.peers/squawk, never globally,
  run with its opt-in require-table-schema on): whether it reports the rule,
  the same rates, and the cases where it and the labels disagree;

split into lock and safety rules and style rules. Then the demo's migrations
(studio/demo/migrations), as migrations (squawk with --assume-in-transaction,
as the runner wraps each): findings side by side, and how often the two agree
per (file, squawk rule). Time per file: lint in-process and as a process,
squawk as a process.

    python -m bench.lint [--out bench/results/lint.md] [--before before.json]
    python -m bench.lint --dump findings.json   # lint's findings per case, for --before

`--before` compares with the findings of another version of lint on the same
cases, in `--dump`'s JSON form, written with that version's `studio` package
first on sys.path (the before columns of bench/results/lint.md: commit
2f6f8e4, the base of issue 22's branch).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SQUAWK_PACKAGE = "squawk-cli==2.70.0"
SQUAWK_DIR = HERE / ".peers" / "squawk"
DEMO = ROOT / "studio" / "demo" / "migrations"
# squawk's rules about style (naming, types, rerunnability); the rest are about locks and safety
STYLE = frozenset({
    "ban-char-field", "ban-create-domain-with-constraint", "identifier-too-long",
    "prefer-bigint-over-int", "prefer-bigint-over-smallint", "prefer-identity",
    "prefer-robust-stmts", "prefer-text-field", "prefer-timestamptz",
    "require-enum-value-ordering", "require-table-schema", "unused-ignore",
})  # fmt: skip

sys.path.insert(0, str(ROOT / "tests" / "unit"))
from lint_cases import CASES, LintCase  # noqa: E402  (the golden cases live beside their test)

Found = frozenset[tuple[str, str]]  # (hazard id, level)


@dataclass(frozen=True)
class Run:
    """One case on one server version, with what each linter said."""

    case: LintCase
    version: int
    ours: Found
    squawk: frozenset[str] | None  # the squawk rules reported; None: squawk not run

    @property
    def rule(self) -> str:
        return self.case.rule.split(":", 1)[1]

    def caught(self, found: Found | None = None) -> bool:
        """Must-flag: every hazard of the rule the case expects, at its level or above."""
        have = {h: _LEVELS[lv] for h, lv in (found if found is not None else self.ours)}
        want = [(h, lv) for h, lv in self.case.expect if h in self.case.mapped]
        return all(have.get(h, 0) >= int(lv) for h, lv in want)

    def mapped_alarm(self, found: Found | None = None) -> bool:
        """Near miss: a hazard of the rule reported, at any level."""
        return any(h in self.case.mapped for h, _ in (found if found is not None else self.ours))

    def unexpected(self, found: Found | None = None) -> set[str]:
        """Warnings and dangers the case does not expect."""
        want = {(h, lv.label) for h, lv in self.case.expect}
        return {
            f"{h} {lv}"
            for h, lv in (found if found is not None else self.ours)
            if lv != "info" and (h, lv) not in want
        }


_LEVELS = {"info": 1, "warning": 2, "danger": 3}


def lint_runs(cases: Sequence[LintCase]) -> tuple[list[tuple[LintCase, int, Found]], float]:
    """lint's active findings per (case, version), and the seconds per case in-process."""
    out = []
    start = time.perf_counter()
    for c in cases:
        for v in c.versions:
            found = frozenset((f.hazard.id, f.level.label) for f in c.run(v).active())
            out.append((c, v, found))
    return out, (time.perf_counter() - start) / max(len(out), 1)


def squawk_binary() -> Path | None:
    """squawk, installed into bench/.peers/squawk when missing (pip, as for the other peers)."""
    exe = SQUAWK_DIR / "bin" / "squawk"
    if not exe.exists():
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--target", str(SQUAWK_DIR),
               SQUAWK_PACKAGE]  # fmt: skip
        if subprocess.run(cmd, check=False).returncode != 0:
            return None
    return exe if exe.exists() else None


# squawk 2.70's names for rules the reference (and docs/hazards.md) spell otherwise
ALIASES = {"prefer-timestamp-tz": "prefer-timestamptz"}


def squawk_rules(exe: Path, files: Sequence[Path], *extra: str) -> dict[str, set[str]]:
    """The rules squawk reports, per file (one process for all of them)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(SQUAWK_DIR)}
    cmd = [str(exe), "--reporter", "json", "--include", "require-table-schema", *extra]
    proc = subprocess.run([*cmd, *map(str, files)], capture_output=True, text=True, env=env,
                          check=False)  # fmt: skip
    out: dict[str, set[str]] = {str(f): set() for f in files}
    for v in json.loads(proc.stdout or "[]"):
        out.setdefault(v["file"], set()).add(ALIASES.get(v["rule_name"], v["rule_name"]))
    return out


def squawk_cases(exe: Path, cases: Sequence[LintCase], work: Path) -> list[frozenset[str]]:
    files = []
    for i, c in enumerate(cases):
        f = work / f"case{i:03d}.sql"
        f.write_text(c.sql + "\n")
        files.append(f)
    rules = squawk_rules(exe, files)
    return [frozenset(rules[str(f)]) for f in files]


def timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False, env=env)
    return time.perf_counter() - start


# --- the report -----------------------------------------------------------------------------


def _rate(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f}%)" if d else "-"


def summary(runs: Sequence[Run], before: dict[int, Found] | None) -> list[str]:
    """Flag and false-alarm rates, lock and safety rules against style rules."""
    head = "| rules | must flag | lint flags | squawk flags | near misses | lint: rule's hazard |"
    head += " lint: unexpected warning/danger | squawk flags |"
    if before:
        head += " lint before: flags | before: rule's hazard | before: unexpected |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    groups = {
        "lock and safety": [r for r in runs if r.rule not in STYLE],
        "style": [r for r in runs if r.rule in STYLE],
        "all": list(runs),
    }
    for name, rs in groups.items():
        lines.append(_row(name, rs, before))
    return lines


def _row(name: str, rs: Sequence[Run], before: dict[int, Found] | None) -> str:
    flag = [r for r in rs if r.case.must_flag]
    miss = [r for r in rs if not r.case.must_flag]
    sq = [r for r in rs if r.squawk is not None]
    cells = [
        name,
        str(len(flag)),
        _rate(sum(r.caught() for r in flag), len(flag)),
        _rate(
            sum(r.rule in (r.squawk or ()) for r in flag if r in sq),
            len([r for r in flag if r in sq]),
        ),
        str(len(miss)),
        _rate(sum(r.mapped_alarm() for r in miss), len(miss)),
        _rate(sum(bool(r.unexpected()) for r in miss), len(miss)),
        _rate(
            sum(r.rule in (r.squawk or ()) for r in miss if r in sq),
            len([r for r in miss if r in sq]),
        ),
    ]
    if before:
        old = {id(r): before[_key(r)] for r in rs}
        cells += [
            _rate(sum(r.caught(old[id(r)]) for r in flag), len(flag)),
            _rate(sum(r.mapped_alarm(old[id(r)]) for r in miss), len(miss)),
            _rate(sum(bool(r.unexpected(old[id(r)])) for r in miss), len(miss)),
        ]
    return "| " + " | ".join(cells) + " |"


def _key(r: Run) -> int:
    return CASES.index(r.case) * 1_000_000 + r.version


def per_rule(runs: Sequence[Run], before: dict[int, Found] | None) -> list[str]:
    """Per squawk rule: its hazards, and each linter's flags and false alarms."""
    head = "| squawk rule | lint hazards | lint flags | squawk flags | lint false alarms |"
    head += " squawk false alarms |" + (" lint before: flags, false alarms |" if before else "")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    by: dict[str, list[Run]] = defaultdict(list)
    for r in runs:
        by[r.rule].append(r)
    for rule in sorted(by):
        rs = by[rule]
        flag = [r for r in rs if r.case.must_flag]
        miss = [r for r in rs if not r.case.must_flag]
        hazards = ", ".join(f"`{h}`" for h in sorted(rs[0].case.mapped)) or "-"
        alarms = sum(r.mapped_alarm() or bool(r.unexpected()) for r in miss)
        cells = [
            rule, hazards,
            f"{sum(r.caught() for r in flag)}/{len(flag)}",
            f"{sum(r.rule in (r.squawk or ()) for r in flag)}/{len(flag)}",
            f"{alarms}/{len(miss)}",
            f"{sum(r.rule in (r.squawk or ()) for r in miss)}/{len(miss)}",
        ]  # fmt: skip
        if before:
            old = {id(r): before[_key(r)] for r in rs}
            f0 = sum(r.caught(old[id(r)]) for r in flag)
            a0 = sum(r.mapped_alarm(old[id(r)]) or bool(r.unexpected(old[id(r)])) for r in miss)
            cells.append(f"{f0}/{len(flag)}, {a0}/{len(miss)}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def disagreements(runs: Sequence[Run]) -> list[str]:
    """Cases where a linter and the label differ."""
    lines = []
    for r in runs:
        sql = " ".join(r.case.sql.split())
        sql = sql if len(sql) <= 90 else sql[:87] + "..."
        label = "flag" if r.case.must_flag else "accept"
        ours_wrong = not r.caught() if r.case.must_flag else (r.mapped_alarm() or r.unexpected())
        if ours_wrong:
            got = ", ".join(sorted(f"{h} {lv}" for h, lv in r.ours)) or "nothing"
            lines.append(f"- lint, {r.rule} ({label}, PG {r.version // 10000}): `{sql}` -> {got}")
        if r.squawk is not None and (r.rule in r.squawk) != r.case.must_flag:
            lines.append(f"- squawk, {r.rule} ({label}): `{sql}`")
    return lines


def demo(exe: Path | None) -> tuple[list[str], str]:
    """The demo's migrations, side by side; and the agreement per (file, squawk rule)."""
    # deferred: the analysis is imported once the cases are linted
    from studio.plan.locks.hazards import HAZARDS
    from studio.plan.locks.lint import lint_sources, sources_for_paths

    files = sorted(p for p in DEMO.glob("*.sql") if not p.name.endswith(".down.sql"))
    report = lint_sources(sources_for_paths(files))
    ours: dict[str, set[str]] = defaultdict(set)
    for f in report.active():
        ours[Path(f.path).name].add(f"{f.hazard.id} {f.level.label}")
    theirs = squawk_rules(exe, files, "--assume-in-transaction") if exe else {}
    to_squawk = {
        h.id: {p.split(":", 1)[1] for p in h.peers if p.startswith("squawk:")} for h in HAZARDS
    }
    lines = ["| migration | lint | squawk |", "|---|---|---|"]
    both = either = 0
    for f in files:
        mine = sorted(ours.get(f.name, ()))
        sq = sorted(theirs.get(str(f), ()))
        lines.append(f"| {f.name} | {', '.join(mine) or '-'} | {', '.join(sq) or '-'} |")
        mapped = {r for h in mine for r in to_squawk.get(h.split()[0], ())}
        both += len(mapped & set(sq))
        either += len(mapped | set(sq))
    return lines, _rate(both, either)


def main(argv: Iterable[str] | None = None) -> None:
    """Run the comparison and write the report."""
    ap = argparse.ArgumentParser(prog="python -m bench.lint")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "lint.md")
    ap.add_argument("--before", type=Path, help="findings dumped by another checkout (--dump)")
    ap.add_argument("--dump", type=Path, help="write lint's findings per case as JSON, and stop")
    args = ap.parse_args(list(argv) if argv is not None else None)
    linted, per_case = lint_runs(CASES)
    if args.dump:
        rows = [{"case": CASES.index(c), "version": v, "found": sorted(f)} for c, v, f in linted]
        args.dump.write_text(json.dumps(rows))
        return
    exe = squawk_binary()
    with tempfile.TemporaryDirectory() as tmp:
        verdicts = squawk_cases(exe, CASES, Path(tmp)) if exe else None
        runs = [
            Run(c, v, f, verdicts[CASES.index(c)] if verdicts is not None else None)
            for c, v, f in linted
        ]
        one = Path(tmp) / "case000.sql"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
        ours_cli = timed(
            [sys.executable, "-c", "from studio.cli import main; main()", "lint", str(one)], env
        )
        squawk_cli = timed([str(exe), str(one)]) if exe else None
    before = None
    if args.before:
        before = {
            row["case"] * 1_000_000 + row["version"]: frozenset(map(tuple, row["found"]))
            for row in json.loads(args.before.read_text())
        }
    demo_lines, agreement = demo(exe)
    text = _render(runs, before, per_case, ours_cli, squawk_cli, demo_lines, agreement)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


def _render(
    runs: Sequence[Run],
    before: dict[int, Found] | None,
    per_case: float,
    ours_cli: float,
    squawk_cli: float | None,
    demo_lines: list[str],
    agreement: str,
) -> str:
    n_cases = len({id(r.case) for r in runs})
    out = [
        "# lint against squawk",
        "",
        f"{n_cases} golden cases (tests/unit/lint_cases.py), {len(runs)} runs counting each server"
        f" version a case names; squawk {SQUAWK_PACKAGE.split('==')[1]}"
        + ("" if runs and runs[0].squawk is not None else " (not available: its columns are empty)")
        + ". Generated by `python -m bench.lint`.",
        "",
        "A must-flag case is flagged when every hazard of its rule it expects is reported at its"
        " level (lock and safety rules: warning or danger). A near miss is a false alarm when it"
        " gets a hazard of its rule (any level) or a warning or danger it does not expect.",
        "",
        *summary(runs, before),
        "",
        "## Per squawk rule",
        "",
        *per_rule(runs, before),
        "",
        "## Where a linter and the labels differ",
        "",
        *(disagreements(runs) or ["- none"]),
        "",
        "## The demo's migrations",
        "",
        *demo_lines,
        "",
        f"Agreement per (file, squawk rule) flagged by either: {agreement}.",
        "",
        "## Time per file",
        "",
        f"- lint, in-process: {per_case * 1000:.1f} ms per case",
        f"- lint, a `schema-studio lint FILE` process: {ours_cli:.2f} s",
        f"- squawk, a process: {squawk_cli:.3f} s" if squawk_cli is not None else "- squawk: -",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    main()
