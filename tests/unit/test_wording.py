"""Wording: counts agree with their noun (`1 step`, never `1 steps` or `step(s)`), and a
difference between two sides says which side has it."""

from __future__ import annotations

import re
from pathlib import Path

from studio.diff.sides import sided
from studio.model import Column, Index
from studio.model.changes import AddColumn, CreateIndex, DropColumn, SetNotNull
from studio.words import counted, plural

STUDIO = Path(__file__).resolve().parents[2] / "studio"


def test_counted_agrees_with_the_count() -> None:
    assert [counted(n, "step") for n in (0, 1, 2)] == ["0 steps", "1 step", "2 steps"]
    assert counted(1_000, "row") == "1,000 rows"
    assert counted(2, "batch") == "2 batches" and counted(3, "index") == "3 indexes"
    assert counted(2, "entry") == "2 entries" and counted(2, "key") == "2 keys"
    assert plural(1, "is") == "is" and plural(3, "is") == "are"
    assert plural(2, "needs", "need") == "need" and plural(1, "needs", "need") == "needs"


def test_no_message_counts_with_a_parenthesized_plural() -> None:
    """`{n} step(s)` read "1 step(s)"; every count goes through `counted`/`plural` now."""
    found = [
        f"{path.relative_to(STUDIO)}:{i}: {line.strip()}"
        for path in sorted(STUDIO.rglob("*.py"))
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\}[^\"'{]*\b[a-z]+\((?:s|es)\)", line)
    ]
    assert found == []


def test_a_difference_says_which_side_has_it() -> None:
    sides = {"new": "the database", "old": "the migrations"}
    color = Column("color", "text")
    assert sided(AddColumn("public.tags", color), **sides) == (
        "column public.tags.color text: in the database, not in the migrations"
    )
    assert sided(DropColumn("public.tags", color), **sides) == (
        "column public.tags.color: in the migrations, not in the database"
    )
    index = Index("tags_color_idx", "CREATE INDEX tags_color_idx ON public.tags (color)")
    assert sided(CreateIndex("public.tags", index), **sides).endswith(
        ": in the database, not in the migrations"
    )
    assert sided(SetNotNull("public.tags", "color"), **sides) == (
        "set not null on public.tags.color: in the database, not in the migrations"
    )
