"""The lock knowledge base: one entry per statement kind, proven against PostgreSQL.

Each `Entry` says, per role a relation plays in the statement (the table
altered, the table a foreign key references, the index rebuilt...), which
lock mode PostgreSQL takes there and what the statement does to it (only the
catalog, a scan, an index build, a rewrite), with the server versions that
change the answer. tests/db/test_lock_kb.py runs every entry on PostgreSQL 15
and 18 and compares it with pg_locks, with what concurrent sessions can still
do, and with pg_class.relfilenode.

What an entry blocks is not written here: it follows from the lock mode and
the conflict matrix (studio.plan.locks.modes).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from studio.plan.locks.facts import Effect, Entry, LockFact, Role, Rule, blocked_on, pg, version_num
from studio.plan.locks.modes import LockMode

__all__ = [
    "ENTRIES",
    "UNKNOWN",
    "Effect",
    "Entry",
    "LockFact",
    "Role",
    "Rule",
    "blocked_on",
    "entry",
    "pg",
    "version_num",
]

AE = LockMode.ACCESS_EXCLUSIVE
EX = LockMode.EXCLUSIVE
SRE = LockMode.SHARE_ROW_EXCLUSIVE
SH = LockMode.SHARE
SUE = LockMode.SHARE_UPDATE_EXCLUSIVE
RE = LockMode.ROW_EXCLUSIVE
RS = LockMode.ROW_SHARE
AS = LockMode.ACCESS_SHARE


def _e(id: str, title: str, *rules: Rule, **kw: Any) -> Entry:
    return Entry(id, title, tuple(rules), **kw)


def R(
    role: Role,
    mode: LockMode,
    effect: Effect,
    since: int | None = None,
    until: int | None = None,
    note: str = "",
) -> Rule:
    """Shorthand for a `Rule` (the table below reads better with it)."""
    return Rule(role, mode, effect, since, until, note)


T, REF, IDX, PAR, PART, DEF, SRC, REFG, DOM = (
    Role.TABLE, Role.REFERENCED, Role.INDEX, Role.PARENT, Role.PARTITION,
    Role.DEFAULT_PARTITION, Role.SOURCE, Role.REFERENCING, Role.DOMAIN_USER,
)  # fmt: skip
CAT, SCAN, DATA, IB, RW, TRUNC = (
    Effect.CATALOG, Effect.SCAN, Effect.DATA, Effect.INDEX_BUILD, Effect.REWRITE, Effect.TRUNCATE,
)  # fmt: skip

# ---------------------------------------------------------------------------
# The knowledge base. Each entry is exercised by tests/db/test_lock_kb.py.
# ---------------------------------------------------------------------------

ENTRIES: tuple[Entry, ...] = (
    # --- ALTER TABLE ... ADD COLUMN --------------------------------------------
    _e("alter_table.add_column", "ADD COLUMN without a default", R(T, AE, CAT)),
    _e(
        "alter_table.add_column.default",
        "ADD COLUMN with a non-volatile default",
        R(
            T,
            AE,
            CAT,
            since=pg(11),
            note="PostgreSQL 11+: a non-volatile default is stored in the catalog",
        ),
        R(T, AE, RW, until=pg(11), note="before PostgreSQL 11 any default rewrites the table"),
    ),
    _e(
        "alter_table.add_column.volatile_default",
        "ADD COLUMN with a volatile default",
        R(T, AE, RW),
    ),
    _e(
        "alter_table.add_column.not_null",
        "ADD COLUMN ... NOT NULL without a default",
        R(T, AE, SCAN, note="every existing row is checked: fails as soon as the table has one"),
    ),
    _e("alter_table.add_column.serial", "ADD COLUMN of a serial type", R(T, AE, RW)),
    _e("alter_table.add_column.identity", "ADD COLUMN ... GENERATED AS IDENTITY", R(T, AE, RW)),
    _e(
        "alter_table.add_column.stored_generated",
        "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED",
        R(T, AE, RW),
    ),
    _e(
        "alter_table.add_column.virtual_generated",
        "ADD COLUMN ... GENERATED ALWAYS AS (...) VIRTUAL",
        R(T, AE, CAT),
        since=pg(18),
    ),
    _e(
        "alter_table.add_column.domain_check",
        "ADD COLUMN of a domain type with constraints",
        R(
            T,
            AE,
            RW,
            note="the domain's constraints are checked against every row by rewriting the table",
        ),
    ),
    _e(
        "alter_table.add_column.references",
        "ADD COLUMN ... REFERENCES without a default (all NULL: not validated)",
        R(T, AE, CAT),
        R(REF, SRE, CAT),
    ),
    _e(
        "alter_table.add_column.references_validated",
        "ADD COLUMN ... DEFAULT ... REFERENCES (every row gets the default: validated)",
        R(T, AE, SCAN, note="every row is checked against the referenced table"),
        R(REF, SRE, SCAN, note="the referenced table is read to validate every row"),
    ),
    _e(
        "alter_table.add_column.references_validated_null",
        "ADD COLUMN ... DEFAULT NULL REFERENCES (validated, though every row is NULL)",
        R(T, AE, SCAN, note="every row is checked; the new column is NULL in all of them"),
        R(REF, SRE, CAT, note="held while the table is scanned; not read: no row has a value"),
    ),
    # --- other column changes --------------------------------------------------
    _e("alter_table.drop_column", "DROP COLUMN (the column is only marked dropped)", R(T, AE, CAT)),
    _e("alter_table.alter_column_type", "ALTER COLUMN ... TYPE that rewrites", R(T, AE, RW)),
    _e(
        "alter_table.alter_column_type.no_rewrite",
        "ALTER COLUMN ... TYPE, binary-compatible or a larger length/precision",
        R(
            T,
            AE,
            CAT,
            note="varchar(n) to a larger n, varchar to text, numeric(p,s) to a larger p, "
            "timestamp to timestamptz when TimeZone is UTC (12+): no rewrite, indexes kept",
        ),
    ),
    _e(
        "alter_table.alter_column_type.index_rebuild",
        "ALTER COLUMN ... TYPE that only changes the collation",
        R(T, AE, IB, note="the table is kept; indexes on the column are rebuilt"),
    ),
    _e("alter_table.set_default", "ALTER COLUMN ... SET DEFAULT", R(T, AE, CAT)),
    _e("alter_table.drop_default", "ALTER COLUMN ... DROP DEFAULT", R(T, AE, CAT)),
    _e("alter_table.set_not_null", "ALTER COLUMN ... SET NOT NULL", R(T, AE, SCAN)),
    _e(
        "alter_table.set_not_null.proven",
        "ALTER COLUMN ... SET NOT NULL with a validated CHECK (col IS NOT NULL)",
        R(
            T,
            AE,
            CAT,
            since=pg(12),
            note="PostgreSQL 12+: a validated CHECK (col IS NOT NULL) proves it, no scan",
        ),
        R(T, AE, SCAN, until=pg(12), note="before PostgreSQL 12 the table is always scanned"),
    ),
    _e("alter_table.drop_not_null", "ALTER COLUMN ... DROP NOT NULL", R(T, AE, CAT)),
    _e(
        "alter_table.add_not_null.not_valid",
        "ADD CONSTRAINT ... NOT NULL col NOT VALID",
        R(T, AE, CAT),
        since=pg(18),
    ),
    _e(
        "alter_table.add_identity",
        "ALTER COLUMN ... ADD GENERATED AS IDENTITY (existing values kept)",
        R(T, AE, CAT),
    ),
    _e(
        "alter_table.set_identity",
        "ALTER COLUMN ... SET GENERATED / sequence options",
        R(T, AE, CAT),
    ),
    _e("alter_table.drop_identity", "ALTER COLUMN ... DROP IDENTITY", R(T, AE, CAT)),
    _e(
        "alter_table.drop_expression",
        "ALTER COLUMN ... DROP EXPRESSION (values kept)",
        R(T, AE, CAT),
    ),
    _e(
        "alter_table.set_expression",
        "ALTER COLUMN ... SET EXPRESSION of a stored column",
        R(T, AE, RW),
        since=pg(17),
    ),
    _e("alter_table.set_statistics", "ALTER COLUMN ... SET STATISTICS", R(T, SUE, CAT)),
    _e(
        "alter_table.set_column_options",
        "ALTER COLUMN ... SET/RESET (n_distinct...)",
        R(T, SUE, CAT),
    ),
    _e("alter_table.set_storage", "ALTER COLUMN ... SET STORAGE", R(T, AE, CAT)),
    _e("alter_table.set_compression", "ALTER COLUMN ... SET COMPRESSION", R(T, AE, CAT)),
    # --- constraints -----------------------------------------------------------
    _e("alter_table.add_check", "ADD CONSTRAINT ... CHECK", R(T, AE, SCAN)),
    _e("alter_table.add_check.not_valid", "ADD CONSTRAINT ... CHECK ... NOT VALID", R(T, AE, CAT)),
    _e(
        "alter_table.add_foreign_key",
        "ADD CONSTRAINT ... FOREIGN KEY",
        R(T, SRE, SCAN),
        R(REF, SRE, SCAN, note="the referenced table is read to validate every row"),
    ),
    _e(
        "alter_table.add_foreign_key.not_valid",
        "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID",
        R(T, SRE, CAT),
        R(REF, SRE, CAT),
    ),
    _e("alter_table.add_unique", "ADD CONSTRAINT ... UNIQUE (builds its index)", R(T, AE, IB)),
    _e("alter_table.add_primary_key", "ADD PRIMARY KEY (builds its index)", R(T, AE, IB)),
    _e("alter_table.add_exclusion", "ADD CONSTRAINT ... EXCLUDE (builds its index)", R(T, AE, IB)),
    _e(
        "alter_table.add_unique.using_index",
        "ADD CONSTRAINT ... UNIQUE USING INDEX",
        R(T, AE, CAT),
        R(IDX, SUE, CAT),
    ),
    _e(
        "alter_table.add_primary_key.using_index",
        "ADD PRIMARY KEY USING INDEX on NOT NULL columns",
        R(T, AE, CAT),
        R(IDX, SUE, CAT),
    ),
    _e(
        "alter_table.add_primary_key.using_index_nullable",
        "ADD PRIMARY KEY USING INDEX on nullable columns",
        R(T, AE, SCAN, note="the columns are made NOT NULL first, which scans the table"),
        R(IDX, SUE, CAT),
    ),
    _e("alter_table.validate_constraint", "VALIDATE CONSTRAINT (CHECK)", R(T, SUE, SCAN)),
    _e(
        "alter_table.validate_constraint.foreign_key",
        "VALIDATE CONSTRAINT of a foreign key",
        R(T, SUE, SCAN),
        R(REF, RS, SCAN),
    ),
    _e(
        "alter_table.validate_constraint.not_null",
        "VALIDATE CONSTRAINT of a NOT NULL ... NOT VALID",
        R(T, SUE, SCAN),
        since=pg(18),
    ),
    _e("alter_table.drop_constraint", "DROP CONSTRAINT", R(T, AE, CAT)),
    _e(
        "alter_table.drop_constraint.foreign_key",
        "DROP CONSTRAINT of a foreign key",
        R(T, AE, CAT),
        R(REF, AE, CAT, note="the referenced table loses the constraint's triggers"),
    ),
    # --- names, ownership, triggers, security ------------------------------------
    _e("alter_table.rename_column", "RENAME COLUMN", R(T, AE, CAT)),
    _e("alter_table.rename", "ALTER TABLE ... RENAME TO", R(T, AE, CAT)),
    _e("alter_table.rename_constraint", "RENAME CONSTRAINT", R(T, AE, CAT)),
    _e(
        "alter_index.rename",
        "ALTER INDEX ... RENAME TO",
        R(
            IDX,
            SUE,
            CAT,
            since=pg(12),
            note="PostgreSQL 12+: SHARE UPDATE EXCLUSIVE on the index only",
        ),
        R(IDX, AE, CAT, until=pg(12)),
    ),
    _e("alter_table.set_schema", "ALTER TABLE ... SET SCHEMA", R(T, AE, CAT)),
    _e("alter_table.owner", "ALTER TABLE ... OWNER TO", R(T, AE, CAT)),
    _e("alter_table.enable_trigger", "ENABLE TRIGGER", R(T, SRE, CAT)),
    _e("alter_table.disable_trigger", "DISABLE TRIGGER", R(T, SRE, CAT)),
    _e("alter_table.enable_rls", "ENABLE ROW LEVEL SECURITY", R(T, AE, CAT)),
    _e("alter_table.disable_rls", "DISABLE ROW LEVEL SECURITY", R(T, AE, CAT)),
    _e("alter_table.force_rls", "[NO] FORCE ROW LEVEL SECURITY", R(T, AE, CAT)),
    _e("alter_table.replica_identity", "REPLICA IDENTITY", R(T, AE, CAT)),
    # --- storage -----------------------------------------------------------------
    _e("alter_table.set_logged", "SET LOGGED", R(T, AE, RW)),
    _e("alter_table.set_unlogged", "SET UNLOGGED", R(T, AE, RW)),
    _e(
        "alter_table.set_access_method",
        "SET ACCESS METHOD",
        R(T, AE, RW, note="the rows are copied into the new access method's storage"),
        since=pg(15),
    ),
    _e(
        "alter_table.set_options",
        "SET/RESET (fillfactor, autovacuum_*, parallel_workers, toast_tuple_target...)",
        R(T, SUE, CAT),
    ),
    _e(
        "alter_table.set_options.other",
        "SET/RESET of other storage parameters (user_catalog_table)",
        R(T, AE, CAT),
    ),
    _e("alter_table.cluster_on", "CLUSTER ON / SET WITHOUT CLUSTER", R(T, SUE, CAT)),
    # --- inheritance and partitions ----------------------------------------------
    _e("alter_table.inherit", "INHERIT parent", R(T, AE, CAT), R(PAR, SUE, CAT)),
    _e("alter_table.no_inherit", "NO INHERIT parent", R(T, AE, CAT)),
    _e(
        "alter_table.attach_partition",
        "ATTACH PARTITION",
        R(
            T,
            SUE,
            CAT,
            since=pg(12),
            note="PostgreSQL 12+: SHARE UPDATE EXCLUSIVE on the partitioned table",
        ),
        R(T, AE, CAT, until=pg(12)),
        R(PART, AE, SCAN, note="the partition is scanned to check its rows fit the bound"),
        R(DEF, AE, SCAN, note="the default partition is scanned for rows of the new bound"),
    ),
    _e(
        "alter_table.attach_partition.indexed",
        "ATTACH PARTITION to a parent with indexes (built on the partition where missing)",
        R(T, SUE, CAT, since=pg(12)),
        R(T, AE, CAT, until=pg(12)),
        R(PART, AE, IB),
        R(DEF, AE, SCAN),
    ),
    _e("alter_table.detach_partition", "DETACH PARTITION", R(T, AE, CAT), R(PART, AE, CAT)),
    _e(
        "alter_table.detach_partition.concurrently",
        "DETACH PARTITION ... CONCURRENTLY",
        R(T, SUE, CAT),
        R(
            PART,
            AE,
            CAT,
            note="SHARE UPDATE EXCLUSIVE first; ACCESS EXCLUSIVE on the partition in the final "
            "transaction, once every query that saw it as a partition has ended"
            " (nothing is held while it waits)",
        ),
        transactional=False,
        since=pg(14),
    ),
    # --- indexes -------------------------------------------------------------------
    _e("create_index", "CREATE INDEX", R(T, SH, IB)),
    _e(
        "create_index.concurrently", "CREATE INDEX CONCURRENTLY", R(T, SUE, IB), transactional=False
    ),
    _e(
        "create_index.partitioned",
        "CREATE INDEX on a partitioned table (built on every partition)",
        R(T, SH, CAT),
        R(PART, SH, IB),
    ),
    _e(
        "create_index.only",
        "CREATE INDEX ON ONLY a partitioned table (invalid until attached)",
        R(T, SH, CAT),
    ),
    _e(
        "alter_index.attach_partition",
        "ALTER INDEX ... ATTACH PARTITION (a partition's index to a partitioned table's index)",
        R(
            IDX,
            SUE,
            CAT,
            note="the partitioned table's index (valid once every partition's is attached)",
        ),
        R(
            PART,
            AE,
            CAT,
            note=(
                "the partition's index: queries planned on the partition wait until commit (brief)"
            ),
        ),
    ),
    _e("drop_index", "DROP INDEX", R(T, AE, CAT), R(IDX, AE, CAT)),
    _e(
        "drop_index.concurrently",
        "DROP INDEX CONCURRENTLY",
        R(T, SUE, CAT),
        R(IDX, SUE, CAT, note="ACCESS EXCLUSIVE on the index at the end, once no query can use it"),
        transactional=False,
    ),
    _e(
        "reindex",
        "REINDEX INDEX / TABLE",
        R(T, SH, IB),
        R(IDX, AE, IB, note="queries planned on the table wait: the planner locks every index"),
    ),
    _e(
        "reindex.concurrently",
        "REINDEX ... CONCURRENTLY",
        R(T, SUE, IB),
        R(IDX, SUE, IB),
        transactional=False,
        since=pg(12),
    ),
    # --- tables, views, sequences ------------------------------------------------------
    _e(
        "create_table",
        "CREATE TABLE",
        R(REF, SRE, CAT, note="a foreign key adds triggers to the referenced table"),
    ),
    _e(
        "create_table.partition_of",
        "CREATE TABLE ... PARTITION OF",
        R(PAR, AE, CAT),
        R(REF, SRE, CAT),
        R(DEF, AE, SCAN, note="the default partition is scanned for rows of the new bound"),
    ),
    _e("create_table.inherits", "CREATE TABLE ... INHERITS", R(PAR, SUE, CAT)),
    _e("create_foreign_table", "CREATE FOREIGN TABLE (locks no existing table)"),
    _e("create_table_as", "CREATE TABLE ... AS / SELECT INTO", R(SRC, AS, SCAN)),
    _e(
        "drop_table",
        "DROP TABLE",
        R(T, AE, CAT),
        R(REF, AE, CAT, note="tables it references lose its triggers"),
    ),
    _e(
        "truncate",
        "TRUNCATE",
        R(T, AE, TRUNC),
        R(REFG, AE, TRUNC, note="CASCADE empties the referencing tables too"),
    ),
    _e("create_view", "CREATE [OR REPLACE] VIEW", R(T, AE, CAT), R(SRC, AS, CAT)),
    _e("drop_view", "DROP VIEW", R(T, AE, CAT)),
    _e("create_materialized_view", "CREATE MATERIALIZED VIEW", R(SRC, AS, SCAN)),
    _e("refresh_materialized_view", "REFRESH MATERIALIZED VIEW", R(T, AE, RW), R(SRC, AS, SCAN)),
    _e(
        "refresh_materialized_view.concurrently",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY",
        R(T, EX, DATA, note="reads go on; the differences are applied as row changes"),
        R(SRC, AS, SCAN),
    ),
    _e("drop_materialized_view", "DROP MATERIALIZED VIEW", R(T, AE, CAT)),
    _e("create_sequence", "CREATE SEQUENCE"),
    _e(
        "alter_sequence",
        "ALTER SEQUENCE",
        R(T, SRE, RW, note="the sequence's one row gets new storage: instant"),
    ),
    _e(
        "alter_sequence.owned_by",
        "ALTER SEQUENCE ... OWNED BY (and no other option)",
        R(T, SRE, CAT),
        R(SRC, AS, CAT),  # the owning column's table
    ),
    _e("drop_sequence", "DROP SEQUENCE", R(T, AE, CAT)),
    # --- triggers, policies, comments, privileges ----------------------------------
    _e("create_trigger", "CREATE TRIGGER", R(T, SRE, CAT)),
    _e("drop_trigger", "DROP TRIGGER", R(T, AE, CAT)),
    _e("create_rule", "CREATE RULE", R(T, AE, CAT)),
    _e("drop_rule", "DROP RULE", R(T, AE, CAT)),
    _e("create_statistics", "CREATE STATISTICS", R(T, SUE, CAT)),
    _e("drop_statistics", "DROP STATISTICS", R(T, SUE, CAT)),
    _e("alter_statistics", "ALTER STATISTICS ... SET STATISTICS (locks no table)"),
    _e("create_policy", "CREATE POLICY", R(T, AE, CAT)),
    _e("alter_policy", "ALTER POLICY", R(T, AE, CAT)),
    _e("drop_policy", "DROP POLICY", R(T, AE, CAT)),
    _e("comment", "COMMENT ON a table, column, view or index", R(T, SUE, CAT)),
    _e(
        "grant",
        "GRANT / REVOKE on a table",
        R(
            T,
            AS,
            CAT,
            since=pg(16),
            note="PostgreSQL 18 takes ACCESS SHARE (15 takes none; 16 and 17 assumed like 18)",
        ),
    ),
    # --- types, domains, other objects ---------------------------------------------
    _e("alter_type.add_value", "ALTER TYPE ... ADD VALUE", note="usable only once committed"),
    _e("alter_type.rename_value", "ALTER TYPE ... RENAME VALUE"),
    _e("create_type", "CREATE TYPE / CREATE DOMAIN"),
    _e(
        "alter_domain.add_constraint",
        "ALTER DOMAIN ... ADD CONSTRAINT",
        R(DOM, SH, SCAN, note="every column of the domain is checked"),
    ),
    _e("alter_domain.add_constraint.not_valid", "ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID"),
    _e(
        "alter_domain.validate_constraint", "ALTER DOMAIN ... VALIDATE CONSTRAINT", R(DOM, SH, SCAN)
    ),
    _e("create_function", "CREATE [OR REPLACE] FUNCTION / PROCEDURE"),
    _e("create_schema", "CREATE SCHEMA"),
    _e("create_extension", "CREATE EXTENSION"),
    _e("drop_object", "DROP of a type, function, schema or extension (RESTRICT)"),
    _e("drop_database", "DROP DATABASE", transactional=False),
    _e("rename_object", "ALTER ... RENAME / OWNER / SET SCHEMA of a type, function or schema"),
    _e("session", "SET, RESET, BEGIN, COMMIT, roles and other commands that lock no relation"),
    # --- maintenance -------------------------------------------------------------------
    _e(
        "analyze",
        "ANALYZE",
        R(
            T,
            SUE,
            CAT,
            note=(
                "reads a bounded random sample (300 x statistics target rows), not the whole table"
            ),
        ),
    ),
    _e("vacuum", "VACUUM", R(T, SUE, SCAN), transactional=False),
    _e("vacuum_full", "VACUUM FULL", R(T, AE, RW), transactional=False),
    _e("cluster", "CLUSTER", R(T, AE, RW)),
    # --- data ----------------------------------------------------------------------------
    _e("select", "SELECT", R(SRC, AS, SCAN)),
    _e("insert", "INSERT", R(T, RE, DATA), R(SRC, AS, SCAN)),
    _e("update", "UPDATE", R(T, RE, DATA), R(SRC, AS, SCAN), locks_rows=True),
    _e("delete", "DELETE", R(T, RE, DATA), R(SRC, AS, SCAN), locks_rows=True),
    _e("merge", "MERGE", R(T, RE, DATA), R(SRC, AS, SCAN), locks_rows=True, since=pg(15)),
    # --- explicit locks ------------------------------------------------------------------
    *(
        _e(f"lock_table.{m.name.lower()}", f"LOCK TABLE ... IN {m.label} MODE", R(T, m, CAT))
        for m in LockMode
    ),
)


@cache
def _by_id() -> dict[str, Entry]:
    out: dict[str, Entry] = {UNKNOWN.id: UNKNOWN}
    for e in ENTRIES:
        assert e.id not in out, f"duplicate entry {e.id}"
        out[e.id] = e
    return out


def entry(id: str) -> Entry:
    """The entry called `id`."""
    return _by_id()[id]


# What a statement the knowledge base does not know is assumed to do: the worst.
UNKNOWN = Entry(
    "unknown",
    "statement not in the knowledge base",
    (R(T, AE, RW, note="not in the knowledge base: assumed ACCESS EXCLUSIVE and a rewrite"),),
)
