"""Reading the target for estimates, read-only: relation sizes and a measured read throughput.

- `read_sizes`: one query for every relation of a plan (`pg_class.reltuples`,
  `pg_relation_size`, `pg_total_relation_size`, `pg_indexes_size`; a
  partitioned table's partitions summed).
- `replication`: the tables in a publication (`pg_publication_tables`) and
  how many hot standbys stream from the target (`pg_stat_replication`: its
  rows show without pg_monitor; their details are not needed here).
- `throughput_for`: the read throughput of the target, measured with a
  bounded, timed sample scan (`EXPLAIN (ANALYZE, BUFFERS) SELECT count(*)
  FROM t TABLESAMPLE SYSTEM (p)` in a read-only transaction under a short
  statement_timeout and lock_timeout), cached per target (cluster
  identifier, database and its oid, hashed) in the user's cache folder.

Nothing here writes to the target; a target that cannot be measured gets the
conservative default of `studio.plan.estimates`, with the reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from studio.catalog import queries
from studio.model import quote_ident
from studio.model.changes.casts import is_lossless
from studio.plan.estimates import (
    MB,
    Basis,
    RelationSize,
    Throughput,
    default_throughput,
    human_bytes,
)
from studio.words import counted, plural

if TYPE_CHECKING:
    import asyncpg

# the probe reads about this much, and needs a table at least `MIN_PROBE_BYTES` large
PROBE_BYTES = 32 * MB
MIN_PROBE_BYTES = 8 * MB
PROBE_TIMEOUT = 2.0  # seconds: statement_timeout of the probe
CACHE_MAX_AGE = timedelta(days=7)


async def read_sizes(conn: asyncpg.Connection, relations: Iterable[str]) -> dict[str, RelationSize]:
    """Sizes and row estimates of the named relations that exist (one query for all of them)."""

    names = [r for r in dict.fromkeys(relations) if r and not r.startswith("(")]
    if not names:
        return {}
    rows = await conn.fetch(queries.get("estimate_sizes"), names)
    out = {}
    for r in rows:
        reltuples = r["rows"]
        out[r["name"]] = RelationSize(
            r["name"],
            r["kind"],
            None if reltuples is None else int(reltuples),
            int(r["table_bytes"] or 0),
            int(r["total_bytes"] or 0),
            int(r["index_bytes"] or 0),
        )
    return out


# seconds a NULL check may scan a table before it answers from the planner's statistics
NULL_CHECK_TIMEOUT = 1.0


async def replication(
    conn: asyncpg.Connection,
) -> tuple[dict[str, tuple[str, ...]], int]:
    """The publications of each published table (by key), and the standbys streaming from here."""
    published: dict[str, tuple[str, ...]] = {}
    for r in await conn.fetch(queries.get("publications")):
        key = f"{quote_ident(r['schemaname'])}.{quote_ident(r['tablename'])}"
        published[key] = (*published.get(key, ()), r["pubname"])
    standbys = sum(1 for r in await conn.fetch(queries.get("standbys")) if r["pid"] is not None)
    return published, standbys


async def null_rows(
    conn: asyncpg.Connection, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """A note for each (table, column) that holds NULLs on the target now.

    `SELECT EXISTS (... WHERE column IS NULL)` stops at the first NULL; one that
    finds none scans the table, so it runs in a read-only transaction under a
    short statement_timeout (and lock_timeout: it must never queue behind DDL).
    A table too large for that is answered from `pg_stats.null_frac`, as of its
    last ANALYZE, and the note says so. A column not on the target yet (made
    by an earlier step) has no rows to check.
    """

    out: dict[tuple[str, str], str] = {}
    for table, column in dict.fromkeys(pairs):
        where = f"{table}.{quote_ident(column)}"
        try:
            async with conn.transaction(readonly=True):
                ms = int(NULL_CHECK_TIMEOUT * 1000)
                await conn.execute(
                    f"SET LOCAL statement_timeout = {ms}; SET LOCAL lock_timeout = {ms}"
                )
                found = await conn.fetchval(
                    f"SELECT EXISTS (SELECT FROM {table} WHERE {quote_ident(column)} IS NULL)"
                )
        except (asyncpg.QueryCanceledError, asyncpg.LockNotAvailableError):
            share = await conn.fetchval(_NULL_FRAC, table, column)
            if share:
                about = "under 1%" if share < 0.01 else f"about {share:.0%}"
                out[table, column] = (
                    f"{where} is {about} NULL by its last ANALYZE (not scanned: over"
                    f" {NULL_CHECK_TIMEOUT:g} s, or locked): making it NOT NULL fails until"
                    " a step fills them"
                )
            continue
        except (
            asyncpg.UndefinedTableError,  # made by an earlier step
            asyncpg.UndefinedColumnError,
            asyncpg.InsufficientPrivilegeError,  # not ours to read: no answer, not a failure
        ):
            continue
        if found:
            out[table, column] = (
                f"{where} has NULLs on the target now: making it NOT NULL fails"
                " unless an earlier step fills them"
            )
    return out


# a type whose values an explicit cast cuts to length n (a USING cast, or ours)
_BOUNDED = re.compile(r"^(?:varchar|character varying|char|character|bpchar)\((\d+)\)$")


async def conversion_problems(
    conn: asyncpg.Connection, changes: Iterable[tuple[str, str, str, str]]
) -> dict[tuple[str, str, str, str], str]:
    """A note for each (table, column, type, conversion) the target's rows would fail or lose.

    The type is spelled as format_type() prints it (`parse.type_changes`).

    A conversion that raises on some row (an integer out of range, text that is
    not a number, a numeric overflow) fails the step; values longer than a
    varchar(n) or char(n) are cut by an explicit cast without a word. Each
    check reads the rows in a read-only transaction under the short
    statement_timeout and lock_timeout of the NULL check; a table too large to
    read in that time is not reported on.
    """

    out: dict[tuple[str, str, str, str], str] = {}
    ms = int(NULL_CHECK_TIMEOUT * 1000)
    for change in dict.fromkeys(changes):
        table, column, type_, conversion = change
        where = f"{table}.{quote_ident(column)}"
        bounded = _BOUNDED.match(type_)
        plain = conversion == quote_ident(column)  # no USING: PostgreSQL's own cast
        try:
            async with conn.transaction(readonly=True):
                await conn.execute(
                    f"SET LOCAL statement_timeout = {ms}; SET LOCAL lock_timeout = {ms}"
                )
                current = await conn.fetchval(_COLUMN_TYPE, table, column)
                if current is None:
                    continue  # not on the target yet: no rows to convert
                if plain and is_lossless(current, type_):
                    continue  # a widening: nothing to read the table for
                if bounded:
                    n = int(bounded[1])
                    longer = await conn.fetchval(
                        f"SELECT count(*) FROM {table}"
                        f" WHERE length(({quote_ident(column)})::text) > {n}"
                    )
                    if longer:
                        out[change] = (
                            f"{counted(longer, 'value')} of {where} {plural(longer, 'is')}"
                            f" longer than {n} characters on the"
                            f" target now: converting to {type_} cuts them"
                        )
                        continue
                # count(expression) evaluates it on every row (count(*) may not)
                await conn.fetchval(f"SELECT count(({conversion})::{type_}) FROM {table}")
        except asyncpg.DataError as e:
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            out[change] = f"converting {where} to {type_} fails on the target's rows now: {first}"
        except asyncpg.PostgresError:
            continue  # over the time limit, locked, not there yet, not ours to read: no answer
    return out


_COLUMN_TYPE = """
SELECT pg_catalog.format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped
"""


_NULL_FRAC = """
SELECT s.null_frac
FROM pg_catalog.pg_stats s
JOIN pg_catalog.pg_class c ON c.relname = s.tablename
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
WHERE c.oid = pg_catalog.to_regclass($1) AND s.attname = $2 AND NOT s.inherited
"""


async def target_identity(conn: asyncpg.Connection) -> str:
    """A stable, password-free key for the target: cluster, database and its oid, hashed."""

    row = await conn.fetchrow(queries.get("estimate_identity"))
    try:
        cluster = await conn.fetchval("SELECT system_identifier::text FROM pg_control_system()")
    except asyncpg.PostgresError:  # refused on some managed services: the address stands in
        cluster = None
    key = f"{cluster or row['server']}/{row['database']}/{row['database_oid']}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


async def measure_throughput(
    conn: asyncpg.Connection,
    sizes: Mapping[str, RelationSize],
    *,
    sample_bytes: int = PROBE_BYTES,
    min_bytes: int = MIN_PROBE_BYTES,
    timeout: float = PROBE_TIMEOUT,
    now: datetime | None = None,
) -> Throughput:
    """Time a bounded sample scan of the largest table of `sizes`, read-only.

    `SELECT count(*) ... TABLESAMPLE SYSTEM (p)` reads about `sample_bytes`
    of random pages; `EXPLAIN (ANALYZE, BUFFERS)` says exactly how many pages
    and how long. It runs in a read-only transaction with statement_timeout
    and a 100 ms lock_timeout (its ACCESS SHARE lock never waits in a queue
    behind DDL). Returns the default, with the reason, when no table is large
    enough or the probe fails.
    """

    tables = [s for s in sizes.values() if s.kind in ("r", "m", "t")]
    if not tables:
        return default_throughput("no table to sample")
    target = max(tables, key=lambda s: s.table_bytes)
    if target.table_bytes < min_bytes:
        # the size a step shows is the whole relation's, indexes and TOAST included: say what
        # was compared, or "9.6 MB" beside "tables under 8.0 MB" reads as a contradiction
        return default_throughput(
            f"the largest table, {target.relation}, has {human_bytes(target.table_bytes)}"
            f" of rows (indexes and TOAST aside), under the {human_bytes(min_bytes)}"
            " a sample scan needs"
        )
    percent = min(100.0, 100.0 * sample_bytes / target.table_bytes)
    # the relation name comes from the KB's facts (already quoted); the percentage is ours
    sql = (
        "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) "
        f"SELECT count(*) FROM {target.relation} TABLESAMPLE SYSTEM ({percent:.6f})"
    )
    try:
        async with conn.transaction(readonly=True):
            await conn.execute(
                f"SET LOCAL statement_timeout = '{int(timeout * 1000)}ms'; "
                "SET LOCAL lock_timeout = '100ms'"
            )
            block = int(await conn.fetchval("SELECT current_setting('block_size')::int"))
            text = await conn.fetchval(sql)
    except asyncpg.QueryCanceledError:
        return default_throughput(f"the sample scan took over {timeout:g} s")
    except asyncpg.LockNotAvailableError:
        return default_throughput(f"{target.relation} is locked")
    except asyncpg.PostgresError as e:
        return default_throughput(f"sample scan refused: {str(e).splitlines()[0]}")
    plan = json.loads(text)[0] if isinstance(text, str) else text[0]
    top = plan["Plan"]
    pages = int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0))
    seconds = float(plan["Execution Time"]) / 1000
    read = pages * block
    if read < min_bytes // 2 or seconds <= 0:
        return default_throughput("the sample was too small to time")
    return Throughput(
        read / seconds,
        Basis.MEASURED,
        now or datetime.now(UTC),
        read,
        target.relation,
    )


# --- the cache ------------------------------------------------------------------------------------


def cache_file() -> Path:
    """$XDG_CACHE_HOME/schema-studio/throughput.json (or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schema-studio" / "throughput.json"


def cached(
    identity: str, *, max_age: timedelta = CACHE_MAX_AGE, now: datetime | None = None
) -> Throughput | None:
    """The throughput measured on this target within `max_age`, if any."""
    try:
        entry = json.loads(cache_file().read_text(encoding="utf-8")).get(identity)
        at = datetime.fromisoformat(entry["measured_at"])
        rate = float(entry["bytes_per_s"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if (now or datetime.now(UTC)) - at > max_age or not math.isfinite(rate) or rate <= 0:
        return None
    return Throughput(
        rate, Basis.MEASURED, at, int(entry.get("sample_bytes", 0)), entry.get("relation"), True
    )


def remember(identity: str, throughput: Throughput) -> None:
    """Store a measured throughput for this target (a cache that cannot be written is skipped)."""
    if throughput.basis is not Basis.MEASURED or throughput.measured_at is None:
        return
    path = cache_file()
    with contextlib.suppress(OSError, ValueError):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data[identity] = {
            "bytes_per_s": throughput.bytes_per_s,
            "measured_at": throughput.measured_at.isoformat(),
            "sample_bytes": throughput.sample_bytes,
            "relation": throughput.relation,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


async def throughput_for(
    conn: asyncpg.Connection,
    sizes: Mapping[str, RelationSize],
    *,
    refresh: bool = False,
    max_age: timedelta = CACHE_MAX_AGE,
) -> Throughput:
    """The target's throughput: cached when fresh, else measured (and cached), else the default."""
    identity = await target_identity(conn)
    if not refresh and (hit := cached(identity, max_age=max_age)) is not None:
        return hit
    measured = await measure_throughput(conn, sizes)
    if measured.basis is Basis.MEASURED:
        remember(identity, measured)
        return measured
    # an older measurement beats the default
    return cached(identity, max_age=timedelta.max) or measured
