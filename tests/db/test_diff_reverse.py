"""Every golden case the other way round: after.sql migrated to before.sql must converge.

Until the shared harness (test_diff_apply.py) runs each case in both directions,
this does the reverse: no expected script, only convergence.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _diff_support import assert_converged, connect, paired
from test_diff_apply import _cases, _options

if TYPE_CHECKING:
    from studio.devdb import Cluster

# reverse directions that fail on main too (not this branch's kinds): kept visible
KNOWN = {
    "identity": "identity -> serial: the serial's sequence is created while the identity's "
    "sequence of the same name still exists",
    "privileges": "privileges of objects dropped and created again are not granted back",
}


@pytest.mark.parametrize("case", _cases())
async def test_golden_case_reversed(case: Path, pg: Cluster, db_url: str) -> None:
    opts: dict[str, Any] = _options(case)
    if pg.major < opts.get("min_major", 0):
        pytest.skip(f"needs PostgreSQL {opts['min_major']}+")
    if opts.get("renames"):
        pytest.skip("rename hints name the forward direction")
    if case.name in KNOWN:
        pytest.xfail(KNOWN[case.name])
    conn = await connect(db_url)
    try:
        after = (case / "after.sql").read_text()
        if after.strip():
            await conn.execute(after)
        result = await paired(
            conn, pg, (case / "before.sql").read_text(),
            with_privileges=opts.get("with_privileges", False),
        )  # fmt: skip
    finally:
        await conn.close()
    assert_converged(result)
