"""The declared models' import: one process loading two projects whose packages share a name."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from studio.sources.declared import import_metadata

if TYPE_CHECKING:
    from pathlib import Path

MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("{name}", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


def test_a_second_project_gets_its_own_package_not_the_first_ones(tmp_path: Path) -> None:
    roots = []
    for name in ("orders", "items"):
        root = tmp_path / name
        (root / "shopapp").mkdir(parents=True)
        (root / "shopapp" / "__init__.py").write_text("")
        (root / "shopapp" / "models.py").write_text(MODELS.format(name=name))
        roots.append(root)
    try:
        first = import_metadata("shopapp.models:metadata", roots[0])
        second = import_metadata("shopapp.models:metadata", roots[1])
        assert [sorted(md.tables) for md in (*first, *second)] == [["orders"], ["items"]]
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] == "shopapp"]:
            del sys.modules[name]
