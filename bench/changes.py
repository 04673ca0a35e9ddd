"""The changed side of the synthetic schema, and the judge of what each tool detected.

shared/reference/anchor-figures.md: the changed side has 5 changes — add a
column, drop an index, int -> bigint, add a table, nullable -> NOT NULL. A
`ChangeSet` says which tables carry each kind; `five(n)` is the anchor's set
(tables 2 to 5 and one new table), `share(n, 0.01)` touches 1% of the tables
(the diff benchmark of issue 3), cycling over the same five kinds.

Every tool's output is brought to `Item`s (kind, table, name, detail) and
`judge()` counts the expected changes found, the missed ones and the wrong
ones: an item that none of the intended changes explains. SQL output (ours,
migra, drizzle-kit) is classified statement by statement; Alembic's diff
tuples are turned into items by bench/peer_scripts/alembic_compare.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bench.schema import statements, table_name

KINDS = ("add_column", "drop_index", "type", "not_null", "add_table")
ADDED_COLUMN = "extra"


@dataclass(frozen=True)
class ChangeSet:
    """Which tables (1-based numbers) carry each kind of change; `added` are new tables."""

    n: int
    add_column: tuple[int, ...]
    drop_index: tuple[int, ...]
    to_bigint: tuple[int, ...]
    not_null: tuple[int, ...]
    added: tuple[int, ...]

    @property
    def count(self) -> int:
        """How many changes (one per table touched)."""
        return sum(
            len(getattr(self, k))
            for k in ("add_column", "drop_index", "to_bigint", "not_null", "added")
        )

    @property
    def label(self) -> str:
        """A short name for database and module names."""
        return f"c{self.count}"

    def expected(self) -> set[tuple[str, str]]:
        """(kind, table) of every intended change."""
        out = {("add_column", table_name(i)) for i in self.add_column}
        out |= {("drop_index", table_name(i)) for i in self.drop_index}
        out |= {("type", table_name(i)) for i in self.to_bigint}
        out |= {("not_null", table_name(i)) for i in self.not_null}
        out |= {("add_table", table_name(i)) for i in self.added}
        return out

    def sql(self) -> list[str]:
        """Statements turning the N-table schema into the changed one."""
        out = [
            f"ALTER TABLE public.{table_name(i)} ADD COLUMN {ADDED_COLUMN} text"
            for i in self.add_column
        ]
        out += [f"DROP INDEX public.{table_name(i)}_created_at_idx" for i in self.drop_index]
        out += [
            f"ALTER TABLE public.{table_name(i)} ALTER COLUMN quantity TYPE bigint"
            for i in self.to_bigint
        ]
        out += [
            f"ALTER TABLE public.{table_name(i)} ALTER COLUMN updated_at SET NOT NULL"
            for i in self.not_null
        ]
        if self.added:
            names = {table_name(i) for i in self.added}
            for s in statements(max(self.added)):
                head = s.split("\n", 1)[0]
                m = re.match(r"CREATE TABLE public\.(\w+) ", head) or re.search(
                    r" ON public\.(\w+) \(", head
                )
                if m and m[1] in names:
                    out.append(s)
        return out


def five(n: int) -> ChangeSet:
    """The anchor's 5 changes on the N-table schema."""
    return ChangeSet(n, (2,), (3,), (4,), (5,), (n + 1,))


def share(n: int, fraction: float) -> ChangeSet:
    """Changes on `fraction` of the N tables, the five kinds in turn, spread over the schema."""
    k = max(5, round(n * fraction))
    per = [k // 5 + (1 if j < k % 5 else 0) for j in range(5)]
    altered = sum(per[:4])
    step = max(1, (n - 1) // max(altered, 1))
    picks = [2 + j * step for j in range(altered)]
    cut = [sum(per[:j]) for j in range(5)]
    return ChangeSet(
        n,
        tuple(picks[cut[0] : cut[1]]),
        tuple(picks[cut[1] : cut[2]]),
        tuple(picks[cut[2] : cut[3]]),
        tuple(picks[cut[3] : cut[3] + per[3]]),
        tuple(range(n + 1, n + 1 + per[4])),
    )


# --- judging ----------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One thing a tool says must change."""

    kind: str  # one of KINDS, or "other"
    table: str
    name: str = ""
    detail: str = ""


@dataclass
class Verdict:
    """What a tool found against what was intended."""

    expected: int
    found: set[tuple[str, str]] = field(default_factory=set)
    wrong: list[str] = field(default_factory=list)
    items: int = 0

    @property
    def missed(self) -> int:
        """Intended changes the tool did not report."""
        return self.expected - len(self.found)

    @property
    def right(self) -> bool:
        """Every intended change found, nothing else."""
        return self.missed == 0 and not self.wrong

    def summary(self) -> str:
        """`5/5 found, 0 wrong` and the first wrong ones."""
        text = f"{len(self.found)}/{self.expected} found, {len(self.wrong)} wrong"
        if self.wrong:
            text += " (" + "; ".join(w[:90] for w in self.wrong[:3])
            text += ", …)" if len(self.wrong) > 3 else ")"
        return text


def judge(items: list[Item], cs: ChangeSet) -> Verdict:
    """Match a tool's items with the intended changes."""
    expected = cs.expected()
    added = {table_name(i) for i in cs.added}
    v = Verdict(len(expected), items=len(items))
    for it in items:
        if it.table in added:
            v.found.add(("add_table", it.table))  # the table, its indexes, constraints, sequence
            continue
        ok = (it.kind, it.table) in expected and {
            "add_column": it.name == ADDED_COLUMN,
            "drop_index": it.name == f"{it.table}_created_at_idx",
            "type": it.name == "quantity" and "bigint" in it.detail.lower(),
            "not_null": it.name == "updated_at",
        }.get(it.kind, False)
        if ok:
            v.found.add((it.kind, it.table))
        else:
            v.wrong.append(f"{it.kind} {it.table} {it.name} {it.detail}".strip())
    return v


_NOISE = re.compile(
    r"^(set |begin|commit|start transaction|reset |select pg_catalog\.set_config)", re.IGNORECASE
)
_TABLE = re.compile(r"\bt\d{5}\b")


def split_sql(script: str) -> list[str]:
    """Statements of a script, comments and transaction control dropped.

    Good enough for the DDL these tools write (no semicolons inside literals
    or function bodies in this schema).
    """
    text = re.sub(r"--[^\n]*", "", script)
    out = []
    for part in text.split(";"):
        s = " ".join(part.split())
        if s and not _NOISE.match(s):
            out.append(s)
    return out


def classify(statement: str) -> Item:
    """One DDL statement as an Item (kind `other` when it is none of the five)."""
    s = statement.replace('"', "").lower()
    s = re.sub(r"\bpublic\.", "", s)
    tables = _TABLE.findall(s)
    table = tables[0] if tables else ""
    if m := re.match(
        r"alter table (?:only )?(?:if exists )?(t\d{5}) add column (?:if not exists )?(\w+)", s
    ):
        return Item("add_column", m[1], m[2], s)
    if m := re.match(r"drop index (?:concurrently )?(?:if exists )?((t\d{5})_\w+)", s):
        return Item("drop_index", m[2], m[1], s)
    if m := re.match(
        r"alter table (?:only )?(?:if exists )?(t\d{5})"
        r" alter column (\w+) (?:set data )?type (\w+)",
        s,
    ):
        return Item("type", m[1], m[2], m[3])
    if m := re.match(
        r"alter table (?:only )?(?:if exists )?(t\d{5}) alter column (\w+) set not null", s
    ):
        return Item("not_null", m[1], m[2], s)
    if m := re.match(
        r"create (?:unique )?index (?:concurrently )?(?:if not exists )?\w+ on (?:only )?(t\d{5})",
        s,
    ):
        return Item("other", m[1], "", s)
    return Item("other", table, "", s)


def items_from_sql(script: str) -> list[Item]:
    """Every statement of a script, classified."""
    return [classify(s) for s in split_sql(script)]
