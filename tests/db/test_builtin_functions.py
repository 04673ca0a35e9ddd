"""The built-in functions lint knows (studio/plan/locks/builtin_functions.txt), against pg_proc.

Each server's pg_catalog functions must resolve, by name and argument count,
to a volatility at least as volatile as the server's: a volatile default is
never taken for a catalog-only one.
"""

from __future__ import annotations

import asyncpg

from studio.plan.locks.volatility import builtin

_RANK = {"i": 0, "s": 1, "v": 2}


async def test_every_builtin_resolves_at_least_as_volatile(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT proname::text AS name, pronargs::int AS n, pronargdefaults::int AS d,"
            " provariadic <> 0 AS variadic, provolatile::text AS vol FROM pg_proc"
            " WHERE pronamespace = 'pg_catalog'::regnamespace AND prokind = 'f'"
        )
    finally:
        await conn.close()
    wrong = []
    for r in rows:
        counts = range(r["n"] - r["d"], r["n"] + (3 if r["variadic"] else 1))
        for n in counts:
            got = builtin(r["name"], n)
            if got is None or _RANK[got] < _RANK[r["vol"]]:
                wrong.append(f"{r['name']}/{n}: {got}, pg_proc says {r['vol']}")
    assert len(rows) > 2500
    assert not wrong, "\n".join(wrong[:20])
    # and calls no overload accepts are not built-ins: now() takes no argument
    assert builtin("now", 1) is None and builtin("now", 0) == "s"
