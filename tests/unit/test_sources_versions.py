"""The warning when a declared side is read on a dev server of another major than the database's."""

from __future__ import annotations

from studio.sources.spec import major_mismatch


def test_same_major_or_unknown_says_nothing() -> None:
    assert major_mismatch(180006, 180001) is None
    assert major_mismatch(0, 180006) is None  # a side with no server (a cached load from before)
    assert major_mismatch(150018, 0) is None


def test_another_major_names_both_and_the_way_out() -> None:
    note = major_mismatch(140023, 180006)
    assert note is not None
    assert "PostgreSQL 14" in note and "PostgreSQL 18" in note
    assert "dev_url" in note and "STUDIO_PG_BIN" in note
