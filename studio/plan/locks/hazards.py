"""The hazard catalogue: what can go wrong when a statement runs on a live database.

Each hazard has a stable kebab-case id (what `-- schema-studio:ignore <id>`
names), a level, a one-line message, the fix, an example that triggers it
and a safe twin that does not (docs/hazards.md and tests/unit/test_lint.py
are built on those), and the rules of other linters it covers
(shared/reference/peer-rules.md). Detection lives in `studio.plan.locks.rules`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from typing import Any


class Level(enum.IntEnum):
    """How bad a hazard is: info < warning < danger."""

    INFO = 1
    WARNING = 2
    DANGER = 3

    @property
    def label(self) -> str:
        """Lower-case name (`danger`)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        """The level named `text` (any case)."""
        return cls[text.upper()]


@dataclass(frozen=True, slots=True)
class Hazard:
    """One kind of hazard."""

    id: str
    level: Level
    message: str
    fix: str
    example: str  # SQL that triggers it
    safe: str  # its safe twin, which does not
    peers: tuple[str, ...] = ()  # rules of other linters it covers ("squawk:renaming-column")
    external_only: bool = (
        False  # only for SQL something other than our runner executes (`lint --external`)
    )
    # about how the SQL is written, not what it does: repeated in a file, said once
    style: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "level": self.level.label, "message": self.message, "fix": self.fix}


DANGER, WARNING, INFO = Level.DANGER, Level.WARNING, Level.INFO


def _h(
    id: str,
    level: Level,
    message: str,
    fix: str,
    example: str,
    safe: str,
    *peers: str,
    external_only: bool = False,
    style: bool = False,
) -> Hazard:
    return Hazard(
        id, level, message, fix, example.strip(), safe.strip(), peers, external_only, style
    )


# fmt: off
HAZARDS: tuple[Hazard, ...] = (
    # --- locks that stop the application ---------------------------------------------------------
    _h("blocking-index-build", DANGER,
       "CREATE INDEX without CONCURRENTLY holds SHARE on the table: writes wait for the whole "
       "build",
       "CREATE INDEX CONCURRENTLY, in its own non-transactional step (on a partitioned table: ON "
       "ONLY the parent, CONCURRENTLY on each partition, then ALTER INDEX ... ATTACH PARTITION)",
       "CREATE INDEX orders_created_at_idx ON orders (created_at);",
       "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_at_idx ON orders (created_at);",
       "squawk:require-concurrent-index-creation", "strong_migrations:add_index",
       "strong_migrations:add_reference", "pg-schema-diff:ACQUIRES_SHARE_LOCK", "eugene:E6"),
    _h("blocking-index-drop", WARNING,
       "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table: reads and writes "
       "queue behind it",
       "DROP INDEX CONCURRENTLY, in its own non-transactional step",
       "DROP INDEX orders_created_at_idx;",
       "DROP INDEX CONCURRENTLY IF EXISTS orders_created_at_idx;",
       "squawk:require-concurrent-index-deletion", "strong_migrations:remove_index",
       "pg-schema-diff:ACQUIRES_ACCESS_EXCLUSIVE_LOCK"),
    _h("blocking-reindex", DANGER,
       "REINDEX without CONCURRENTLY blocks writes, and every query planned on the table waits for"
       " the ACCESS EXCLUSIVE lock on the index",
       "REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction",
       "REINDEX INDEX orders_created_at_idx;",
       "REINDEX INDEX CONCURRENTLY orders_created_at_idx;",
       "squawk:require-concurrent-reindex"),
    _h("concurrently-in-transaction", DANGER,
       "this statement cannot run inside a transaction block: it fails there",
       "give it its own step marked `-- schema-studio:no-transaction` (or run it outside BEGIN ..."
       " COMMIT)",
       "BEGIN;\nCREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\nCOMMIT;",
       "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);",
       "squawk:ban-concurrent-index-creation-in-transaction"),
    _h("blocking-partition-detach", DANGER,
       "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table",
       "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), outside a transaction",
       "ALTER TABLE events DETACH PARTITION events_2023;",
       "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;",
       "squawk:require-concurrent-partition-detach"),
    _h("attach-partition-scan", WARNING,
       "ATTACH PARTITION scans the new partition under ACCESS EXCLUSIVE (and the default "
       "partition, if any)",
       "first add a CHECK constraint matching the bound NOT VALID, VALIDATE it, then ATTACH (the "
       "scan is skipped)",
       "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO "
       "('2026-01-01');",
       "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_bound CHECK (created_at >= '2025-01-01'"
       " AND created_at < '2026-01-01') NOT VALID;"),
    _h("blocking-refresh", WARNING,
       "REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ACCESS EXCLUSIVE: reads of the view "
       "wait",
       "REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)",
       "REFRESH MATERIALIZED VIEW order_totals;",
       "REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;"),
    _h("prefer-repack", DANGER,
       "VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE: nothing can read or "
       "write it meanwhile",
       "use pg_repack or pg_squeeze, which rebuild the table online",
       "VACUUM FULL orders;",
       "VACUUM orders;",
       "squawk:prefer-repack"),
    # --- rewrites and scans under a strong lock --------------------------------------------------
    _h("add-column-volatile-default", DANGER,
       "ADD COLUMN with a volatile default (or any default before PostgreSQL 11) rewrites the "
       "table under ACCESS EXCLUSIVE",
       "add the column without a default, SET DEFAULT (new rows), then backfill existing rows in "
       "batches",
       "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
       "ALTER TABLE orders ADD COLUMN token uuid;",
       "squawk:adding-field-with-default", "strong_migrations:add_column_default",
       "strong_migrations:add_column_default_callable",
       "pg-schema-diff:ACQUIRES_ACCESS_EXCLUSIVE_LOCK"),
    _h("add-column-serial", DANGER,
       "adding a serial or identity column fills every row: the table is rewritten under ACCESS "
       "EXCLUSIVE",
       "add a nullable bigint column, backfill it in batches from a sequence, then make it an "
       "identity (ALTER COLUMN ... ADD GENERATED, which does not rewrite)",
       "ALTER TABLE orders ADD COLUMN seq bigserial;",
       "ALTER TABLE orders ADD COLUMN seq bigint;",
       "strong_migrations:add_column_auto_incrementing", "squawk:adding-serial-primary-key-field",
       "eugene:E11"),
    _h("add-column-generated-stored", DANGER,
       "adding a STORED generated column computes it for every row: the table is rewritten under "
       "ACCESS EXCLUSIVE",
       "add a plain column filled by a trigger and a batched backfill, or a VIRTUAL column "
       "(PostgreSQL 18)",
       "ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100) STORED;",
       "ALTER TABLE orders ADD COLUMN total_cents bigint;",
       "strong_migrations:add_column_generated_stored", "squawk:adding-field-with-default",
       "eugene:E11"),
    _h("required-column", DANGER,
       "ADD COLUMN ... NOT NULL without a default fails on a table with rows, and breaks writers "
       "that do not set it",
       "add it with a (non-volatile) default, or nullable then backfill and SET NOT NULL the safe "
       "way",
       "ALTER TABLE orders ADD COLUMN region text NOT NULL;",
       "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';",
       "squawk:adding-required-field", "atlas:MF103"),
    _h("scanning-set-not-null", DANGER,
       "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE: reads and writes wait for the "
       "scan",
       "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT "
       "NULL (no scan, 12+) and drop the check; on PostgreSQL 18: ADD CONSTRAINT ... NOT NULL col "
       "NOT VALID, then VALIDATE",
       "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
       "ALTER TABLE orders ADD CONSTRAINT orders_note_not_null CHECK (note IS NOT NULL) NOT VALID;",
       "squawk:adding-not-nullable-field", "strong_migrations:change_column_null_postgresql",
       "strong_migrations:change_column_with_not_null", "eugene:E2", "atlas:MF104",
       "pg-schema-diff:ACQUIRES_ACCESS_EXCLUSIVE_LOCK"),
    _h("validating-check-constraint", DANGER,
       "ADD CONSTRAINT ... CHECK validates every row under ACCESS EXCLUSIVE",
       "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction (SHARE UPDATE EXCLUSIVE:"
       " reads and writes go on)",
       "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);",
       "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;",
       "squawk:constraint-missing-not-valid", "strong_migrations:add_check_constraint",
       "strong_migrations:change_column_constraint", "eugene:E1"),
    _h("validating-foreign-key", DANGER,
       "ADD FOREIGN KEY (or ADD COLUMN ... DEFAULT ... REFERENCES) validates every row holding "
       "SHARE ROW EXCLUSIVE on both tables: writes to both wait",
       "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
       "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users "
       "(id);",
       "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users "
       "(id) NOT VALID;",
       "squawk:adding-foreign-key-constraint", "squawk:constraint-missing-not-valid",
       "strong_migrations:add_foreign_key", "strong_migrations:validate_foreign_key",
       "strong_migrations:add_reference", "pg-schema-diff:ACQUIRES_SHARE_ROW_EXCLUSIVE_LOCK",
       "eugene:E1"),
    _h("validate-in-same-transaction", WARNING,
       "VALIDATE CONSTRAINT in the transaction that added it NOT VALID: the add's strong lock is "
       "held during the scan",
       "commit between the NOT VALID add and the VALIDATE (separate migrations, or separate steps "
       "of a non-transactional one)",
       "BEGIN;\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT "
       "VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\nCOMMIT;",
       "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
       "squawk:constraint-missing-not-valid", "strong_migrations:validate_check_constraint"),
    _h("constraint-index-build", DANGER,
       "ADD UNIQUE / PRIMARY KEY builds its index under ACCESS EXCLUSIVE: reads and writes wait "
       "for the build",
       "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX (a primary key's "
       "columns made NOT NULL the safe way first)",
       "ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE (number);",
       "ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE USING INDEX orders_number_idx;",
       "squawk:disallowed-unique-constraint", "squawk:adding-serial-primary-key-field",
       "strong_migrations:add_unique_constraint", "eugene:E7", "atlas:MF101"),
    _h("exclusion-constraint", DANGER,
       "ADD CONSTRAINT ... EXCLUDE builds its index under ACCESS EXCLUSIVE, and has no online "
       "alternative",
       "run it in a maintenance window, or enforce the rule in the application until then",
       "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during "
       "WITH &&);",
       "CREATE INDEX CONCURRENTLY bookings_during_idx ON bookings USING gist (during);",
       "strong_migrations:add_exclusion_constraint", "eugene:E8"),
    _h("primary-key-scan", WARNING,
       "ADD PRIMARY KEY USING INDEX on columns not known to be NOT NULL makes them NOT NULL with a"
       " scan under ACCESS EXCLUSIVE",
       "make the columns NOT NULL the safe way first (CHECK NOT VALID, VALIDATE, SET NOT NULL)",
       "ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_idx;",
       "ALTER TABLE accounts ADD CONSTRAINT accounts_id_key UNIQUE USING INDEX accounts_id_idx;",
       "eugene:W14"),
    _h("rewriting-type-change", DANGER,
       "this ALTER COLUMN ... TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE",
       "expand/contract: a new column kept in sync by a trigger, a batched backfill, then swap the"
       " columns (varchar(n) to a larger n, or to text, does not rewrite)",
       "ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;",
       "ALTER TABLE orders ADD COLUMN quantity_big bigint;",
       "squawk:changing-column-type", "strong_migrations:change_column", "eugene:E5",
       "pg-schema-diff:ACQUIRES_ACCESS_EXCLUSIVE_LOCK"),
    _h("table-rewrite", DANGER,
       "this statement rewrites the whole table under ACCESS EXCLUSIVE",
       "avoid it on a live table (SET LOGGED/UNLOGGED, SET EXPRESSION, a domain column with "
       "constraints), or schedule it",
       "ALTER TABLE orders SET UNLOGGED;",
       "ALTER TABLE orders SET (fillfactor = 90);",
       "eugene:E10"),
    _h("lock-held-across-statements", WARNING,
       "this statement runs in a transaction that already holds a lock blocking reads or writes: "
       "the lock is held while it runs",
       "put the slow or lock-taking statement in its own transaction: its own migration (the "
       "steps of a migration share one transaction unless one is marked "
       "`-- schema-studio:no-transaction`: then each step commits on its own)",
       "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nUPDATE orders SET note = '';\nCOMMIT;",
       "ALTER TABLE orders ADD COLUMN note text;",
       "eugene:E4", "eugene:E10"),
    _h("unbatched-update", WARNING,
       "UPDATE or DELETE of a whole existing table: one long transaction locking every row",
       "backfill in batches outside the DDL transaction (`schema-studio backfill`), with a pause "
       "between batches",
       "UPDATE orders SET note = '';",
       "UPDATE orders SET note = '' WHERE id BETWEEN 1 AND 10000 AND note IS NULL;",
       "strong_migrations:backfill"),
    # --- what the running application sees -------------------------------------------------------
    _h("renaming-column", DANGER,
       "renaming a column breaks every running client that still uses the old name",
       "expand/contract: add the new column, write both, backfill, move readers, then drop the old"
       " one",
       "ALTER TABLE orders RENAME COLUMN status TO state;",
       "ALTER TABLE orders ADD COLUMN state text;",
       "squawk:renaming-column", "strong_migrations:rename_column", "atlas:BC102"),
    _h("renaming-table", DANGER,
       "renaming a table breaks every running client that still uses the old name",
       "expand/contract (a view with the old name during the transition), or rename when no client"
       " uses it",
       "ALTER TABLE orders RENAME TO purchases;",
       "CREATE VIEW purchases AS SELECT * FROM orders;",
       "squawk:renaming-table", "strong_migrations:rename_table", "atlas:BC101"),
    _h("renaming-enum-value", WARNING,
       "renaming an enum value breaks clients that still send or expect the old one",
       "add the new value, migrate rows and code, and stop using the old value",
       "ALTER TYPE order_status RENAME VALUE 'shipped' TO 'sent';",
       "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'sent' AFTER 'shipped';",
       "strong_migrations:rename_enum_value"),
    _h("renaming-schema", DANGER,
       "renaming a schema breaks every client that names it (and search_path settings)",
       "create the new schema and move objects in phases, or rename when no client uses it",
       "ALTER SCHEMA sales RENAME TO commerce;",
       "CREATE SCHEMA commerce;",
       "strong_migrations:rename_schema"),
    _h("drop-column", DANGER,
       "dropping a column loses its data, and breaks clients that still read or write it",
       "stop using it in the application first (for ORMs: ignore the column, deploy), then drop it",
       "ALTER TABLE orders DROP COLUMN note;",
       "ALTER TABLE orders ALTER COLUMN note DROP DEFAULT;",
       "squawk:ban-drop-column", "strong_migrations:remove_column", "pg-schema-diff:DELETES_DATA",
       "atlas:DS103"),
    _h("drop-table", DANGER,
       "dropping a table loses its data, and breaks clients that still use it",
       "make sure nothing uses it (rename it aside first and wait), keep a backup, then drop it",
       "DROP TABLE orders_archive;",
       "ALTER TABLE orders_archive SET (autovacuum_enabled = false);",
       "squawk:ban-drop-table", "strong_migrations:create_table", "pg-schema-diff:DELETES_DATA",
       "atlas:DS102"),
    _h("drop-schema", DANGER,
       "dropping a schema drops everything in it (with CASCADE) and breaks clients that use it",
       "drop its objects one by one, deliberately, once nothing uses them",
       "DROP SCHEMA reporting CASCADE;",
       "CREATE SCHEMA IF NOT EXISTS reporting;",
       "atlas:DS101"),
    _h("drop-database", DANGER,
       "dropping a database loses everything in it",
       "do not drop databases from a migration",
       "DROP DATABASE analytics;",
       "SELECT 1;",
       "squawk:ban-drop-database"),
    _h("drop-sequence", WARNING,
       "dropping a sequence loses its current value, and breaks defaults that call it",
       "drop the defaults using it first, and make sure no client calls nextval() on it",
       "DROP SEQUENCE invoice_number_seq;",
       "ALTER SEQUENCE invoice_number_seq OWNED BY NONE;",
       "pg-schema-diff:DELETES_DATA"),
    _h("drop-view", WARNING,
       "dropping a view breaks the clients, views and functions that read it (a materialized "
       "view's rows go with it)",
       "if it was written by hand, declare it beside the models (schema = [\"app.models:Base\", "
       "\"db/schema/\"]) or leave it out with `exclude`; else make sure nothing reads it",
       "DROP VIEW item_names;",
       "CREATE OR REPLACE VIEW item_names AS SELECT 1 AS id;"),
    _h("drop-not-null", WARNING,
       "dropping NOT NULL lets NULLs in, which clients that assume a value may not handle",
       "make sure every reader handles NULL before dropping the constraint",
       "ALTER TABLE orders ALTER COLUMN note DROP NOT NULL;",
       "ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';",
       "squawk:ban-drop-not-null", "atlas:MF104"),
    _h("drop-constraint", INFO,
       "dropping a constraint removes a guarantee the data and the application may rely on",
       "make sure the rule is enforced elsewhere, or no longer needed",
       "ALTER TABLE orders DROP CONSTRAINT orders_total_positive;",
       "ALTER TABLE orders RENAME CONSTRAINT orders_total_positive TO orders_total_nonnegative;",
       "atlas:CD101"),
    _h("truncate", DANGER,
       "TRUNCATE deletes every row, under ACCESS EXCLUSIVE",
       "delete what must go in batches, or truncate only tables nobody else uses",
       "TRUNCATE orders;",
       "DELETE FROM orders WHERE created_at < '2020-01-01' AND id < 10000;"),
    _h("truncate-cascade", DANGER,
       "TRUNCATE ... CASCADE also empties every table with a foreign key to it, recursively",
       "truncate the tables you mean, by name",
       "TRUNCATE users CASCADE;",
       "TRUNCATE users;",
       "squawk:ban-truncate-cascade"),
    _h("disable-trigger", WARNING,
       "disabling triggers skips what they enforce (DISABLE TRIGGER ALL also skips foreign-key "
       "checks)",
       "keep the triggers; if a backfill must skip one, make the trigger itself skip those rows",
       "ALTER TABLE orders DISABLE TRIGGER ALL;",
       "ALTER TABLE orders ENABLE TRIGGER ALL;"),
    _h("replica-identity-change", WARNING,
       "changing REPLICA IDENTITY changes what logical-replication consumers receive for updates "
       "and deletes",
       "coordinate with the consumers of the publication",
       "ALTER TABLE orders REPLICA IDENTITY FULL;",
       "ALTER TABLE orders SET (fillfactor = 90);",
       "pg-schema-diff:CORRECTNESS"),
    # info when lint does not know the target's standbys (most databases have none, and the
    # statement carries its own rewrite or scan hazard); a warning when some stream from it
    _h("exclusive-lock-on-standbys", INFO,
       "ACCESS EXCLUSIVE held while the table is rewritten or scanned is replayed on hot "
       "standbys: queries there on the table wait as long, and one already reading it holds up "
       "all replay until max_standby_streaming_delay (30 s by default) cancels it",
       "use the online form (CONCURRENTLY, NOT VALID then VALIDATE, expand/contract with a "
       "batched backfill), or run it when the standbys' readers can wait",
       "ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;",
       "ALTER TABLE orders ADD COLUMN quantity_big bigint;"),
    _h("published-table-change", WARNING,
       "this changes a table in a publication: logical subscribers match tables and columns by "
       "name, and stop applying when a change reaches them in the wrong order",
       "additive changes (a new column, a wider type, a dropped NOT NULL) on the subscribers "
       "first, destructive ones (a dropped column or table) here first; a rename has no safe "
       "order: add the new name, move the readers, drop the old one",
       "CREATE PUBLICATION orders_pub FOR TABLE orders;\nALTER TABLE orders ADD COLUMN note "
       "text;",
       "ALTER TABLE orders ADD COLUMN note text;"),
    _h("authz-change", INFO,
       "this changes who can see or change which rows (privileges, row-level security, policies)",
       "review it like an access-control change, and test with the application's roles",
       "ALTER TABLE orders ENABLE ROW LEVEL SECURITY;",
       "COMMENT ON TABLE orders IS 'customer orders';",
       "pg-schema-diff:AUTHZ_UPDATE"),
    _h("extension-change", WARNING,
       "upgrading or dropping an extension changes or removes objects its users depend on, which "
       "lint cannot see",
       "check the extension's release notes and what depends on it",
       "ALTER EXTENSION postgis UPDATE;",
       "CREATE EXTENSION IF NOT EXISTS pgcrypto;",
       "pg-schema-diff:UPGRADING_EXTENSION_VERSION", "pg-schema-diff:HAS_UNTRACKABLE_DEPENDENCIES"),
    _h("index-dropped", INFO,
       "queries that used this index may get slower",
       "check pg_stat_user_indexes.idx_scan (and the query plans) before dropping it",
       "DROP INDEX CONCURRENTLY orders_created_at_idx;",
       "ALTER INDEX orders_created_at_idx RENAME TO orders_created_idx;",
       "pg-schema-diff:INDEX_DROPPED"),
    _h("concurrent-index-build", INFO,
       "CREATE INDEX CONCURRENTLY reads the table twice and costs CPU and I/O; if it fails it "
       "leaves an INVALID index",
       "run it off-peak; the runner drops an invalid leftover before retrying",
       "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);",
       "CREATE INDEX orders_note_idx ON orders_new (note);",
       "pg-schema-diff:INDEX_BUILD"),
    _h("unique-index-on-existing-data", INFO,
       "a unique index or constraint on an existing table fails if the data already has duplicates",
       "check for duplicates first (GROUP BY ... HAVING count(*) > 1)",
       "CREATE UNIQUE INDEX CONCURRENTLY orders_number_idx ON orders (number);",
       "CREATE INDEX CONCURRENTLY orders_number_idx ON orders (number);",
       "atlas:MF101", "atlas:MF102"),
    _h("concurrent-index-corruption", DANGER,
       "CREATE INDEX / REINDEX CONCURRENTLY on PostgreSQL 14.0 to 14.3 can silently corrupt the "
       "index",
       "upgrade to 14.4 or later first (then REINDEX the indexes built concurrently)",
       "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);",
       "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);",
       "strong_migrations:add_index_corruption"),
    _h("statement-needs-newer-server", DANGER,
       "the target server's PostgreSQL does not have this statement: the migration fails there",
       "upgrade the server first, or do it another way (SET ACCESS METHOD before 15: create the "
       "table again USING the method, copy the rows, swap the names)",
       "ALTER TABLE orders SET ACCESS METHOD heap;",
       "ALTER TABLE orders SET ACCESS METHOD heap;"),
    _h("sequence-value-moved", WARNING,
       "the sequence's current value is moved into its new MINVALUE/MAXVALUE range: values are "
       "skipped, or, when it already handed out values beyond the new bound, it is exhausted",
       "check the sequence's current value against its new bounds before migrating",
       "SELECT pg_catalog.setval('public.orders_id_seq', 100, false) FROM public.orders_id_seq"
       " WHERE last_value < 100;",
       "SELECT last_value FROM public.orders_id_seq;"),
    # --- enums and types -------------------------------------------------------------------------
    _h("enum-value-used-in-transaction", DANGER,
       "a value added by ALTER TYPE ... ADD VALUE cannot be used before the transaction that added"
       " it commits",
       "add the value in one migration, use it in the next",
       "BEGIN;\nALTER TYPE order_status ADD VALUE 'refunded';\n"
       "UPDATE orders SET status = 'refunded' WHERE id = 1;\nCOMMIT;",
       "ALTER TYPE order_status ADD VALUE 'refunded';"),
    _h("enum-value-order", INFO,
       "ALTER TYPE ... ADD VALUE without BEFORE/AFTER appends the value last, which may not be the"
       " order meant",
       "say where it goes: ADD VALUE 'x' BEFORE 'y' (or AFTER)",
       "ALTER TYPE order_status ADD VALUE 'refunded';",
       "ALTER TYPE order_status ADD VALUE 'refunded' AFTER 'paid';",
       "squawk:require-enum-value-ordering"),
    _h("enum-type", INFO,
       "an enum's values are hard to remove or rename later",
       "consider a lookup table or a CHECK constraint if the set of values will change",
       "CREATE TYPE order_status AS ENUM ('new', 'paid');",
       "CREATE TABLE order_statuses (name text PRIMARY KEY);",
       "eugene:W13"),
    _h("domain-constraint-validation", WARNING,
       "ALTER DOMAIN ... ADD CONSTRAINT checks every column of the domain, holding SHARE on each "
       "table",
       "add it NOT VALID, then VALIDATE CONSTRAINT",
       "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0);",
       "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;",
       "squawk:ban-alter-domain-with-add-constraint"),
    _h("domain-with-constraint", INFO,
       "a domain with a CHECK constraint is hard to change online: every column using it is "
       "rechecked",
       "put the CHECK on the table columns instead",
       "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);",
       "CREATE DOMAIN positive_int AS integer;",
       "squawk:ban-create-domain-with-constraint"),
    # --- column types ----------------------------------------------------------------------------
    _h("prefer-bigint", INFO,
       "integer and smallint keys and counters overflow sooner than expected",
       "use bigint",
       "CREATE TABLE events (id integer PRIMARY KEY, n smallint);",
       "CREATE TABLE events (id bigint PRIMARY KEY, n bigint);",
       "squawk:prefer-bigint-over-int", "squawk:prefer-bigint-over-smallint"),
    _h("prefer-identity", INFO,
       "serial types create a sequence the table does not own as tightly as an identity column",
       "bigint GENERATED BY DEFAULT AS IDENTITY",
       "CREATE TABLE events (id bigserial PRIMARY KEY);",
       "CREATE TABLE events (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);",
       "squawk:prefer-identity"),
    _h("prefer-text", INFO,
       "varchar(n) limits are changed later with an ALTER TABLE (a rewrite when shrinking)",
       "text, with a CHECK (length(col) <= n) if a limit is needed",
       "CREATE TABLE events (name varchar(100));",
       "CREATE TABLE events (name text CHECK (length(name) <= 100));",
       "squawk:prefer-text-field"),
    _h("prefer-timestamptz", WARNING,
       "timestamp without time zone drops the offset: the same instant reads differently across "
       "time zones",
       "timestamptz (timestamp with time zone)",
       "CREATE TABLE events (at timestamp);",
       "CREATE TABLE events (at timestamptz);",
       "squawk:prefer-timestamptz"),
    _h("char-type", WARNING,
       "character(n) (bpchar) pads with spaces and compares surprisingly; \"char\" holds one byte",
       "text (or varchar)",
       "CREATE TABLE events (code char(3));",
       "CREATE TABLE events (code text);",
       "squawk:ban-char-field"),
    _h("json-column", WARNING,
       "json has no equality operator (SELECT DISTINCT and GROUP BY fail on it) and is reparsed on"
       " every use",
       "jsonb",
       "CREATE TABLE events (payload json);",
       "CREATE TABLE events (payload jsonb);",
       "strong_migrations:add_column_json", "eugene:E3"),
    # --- statement hygiene -----------------------------------------------------------------------
    _h("identifier-too-long", WARNING,
       "PostgreSQL truncates identifiers to 63 bytes: two long names can silently become the same "
       "one",
       "use a name of at most 63 bytes",
       "CREATE TABLE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (id bigint);",
       "CREATE TABLE a (id bigint);",
       "squawk:identifier-too-long"),
    _h("duplicate-column", DANGER,
       "the same column is declared or assigned twice: the statement fails",
       "name each column once",
       "CREATE TABLE events (id bigint, id bigint);",
       "CREATE TABLE events (id bigint);",
       "squawk:ban-duplicate-column-assignments"),
    _h("uncommitted-transaction", DANGER,
       "BEGIN without COMMIT: the changes are rolled back when the session ends",
       "end the transaction with COMMIT",
       "BEGIN;\nALTER TABLE orders ADD COLUMN note text;",
       "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
       "squawk:ban-uncommitted-transaction"),
    _h("transaction-nesting", WARNING,
       "transaction control inside a migration the runner already wraps in a transaction (or BEGIN"
       " inside BEGIN)",
       "remove BEGIN/COMMIT: the runner wraps each migration; mark a step `-- "
       "schema-studio:no-transaction` to run it outside",
       "BEGIN;\nBEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
       "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
       "squawk:transaction-nesting"),
    _h("non-robust-statement", INFO,
       "this statement runs outside a transaction and fails when run again: a script stopped part "
       "way cannot simply be rerun",
       "add IF [NOT] EXISTS (OR REPLACE for views, functions and triggers), or put the statements "
       "in one transaction",
       "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);",
       "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);",
       "squawk:prefer-robust-stmts"),
    _h("multiple-alter-table", INFO,
       "several ALTER TABLE statements on one table in one transaction: each takes the lock again",
       "combine the subcommands into one ALTER TABLE",
       "BEGIN;\nALTER TABLE orders ADD COLUMN a text;\nALTER TABLE orders ADD COLUMN b text;\n"
       "COMMIT;",
       "ALTER TABLE orders ADD COLUMN a text, ADD COLUMN b text;",
       "eugene:W12"),
    _h("wide-index", INFO,
       "a non-unique index on more than three columns is rarely worth its write cost",
       "index the leading columns queries filter on",
       "CREATE INDEX CONCURRENTLY orders_wide_idx ON orders (a, b, c, d);",
       "CREATE INDEX CONCURRENTLY orders_ab_idx ON orders (a, b);",
       "strong_migrations:add_index_columns"),
    _h("foreign-key-without-index", INFO,
       "no index is known on the referencing columns: deletes and key updates on the referenced "
       "table scan this one",
       "CREATE INDEX CONCURRENTLY on the foreign key's columns",
       "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users "
       "(id) NOT VALID;",
       "CREATE INDEX orders_user_id_idx ON orders (user_id);\nALTER TABLE orders ADD CONSTRAINT "
       "orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
       "eugene:E15"),
    _h("unqualified-name", INFO,
       "an unqualified table name depends on the search_path of whoever runs the migration",
       "qualify it: schema.table",
       "ALTER TABLE orders ADD COLUMN note text;",
       "ALTER TABLE public.orders ADD COLUMN note text;",
       "squawk:require-table-schema", style=True),
    _h("unknown-statement", WARNING,
       "this statement is not in the lock knowledge base: ACCESS EXCLUSIVE and a rewrite are "
       "assumed",
       "check its locks with `schema-studio lint --trace`, or ignore this with a reason",
       "ALTER TABLE orders SET TABLESPACE pg_default;",
       "ALTER TABLE orders SET (fillfactor = 90);",
       "strong_migrations:execute"),
    # --- only for SQL something else runs (lint --external) --------------------------------------
    _h("missing-lock-timeout", DANGER,
       "a lock that blocks reads or writes is requested without lock_timeout: while it waits, "
       "every query on the table queues behind it",
       "SET lock_timeout = '500ms' (and retry on timeout) before the statement",
       "ALTER TABLE orders ADD COLUMN note text;",
       "SET lock_timeout = '500ms';\nALTER TABLE orders ADD COLUMN note text;",
       "squawk:require-lock-timeout", "squawk:require-timeout-settings", "eugene:E9",
       external_only=True),
    _h("missing-statement-timeout", WARNING,
       "no statement_timeout bounds how long this statement may hold a lock that blocks reads or "
       "writes",
       "SET statement_timeout (long enough for the slowest statement)",
       "ALTER TABLE orders ADD COLUMN note text;",
       "SET statement_timeout = '5min';\nALTER TABLE orders ADD COLUMN note text;",
       "squawk:require-statement-timeout", "squawk:require-timeout-settings", external_only=True),
    # --- about the ignore comments themselves ----------------------------------------------------
    _h("unused-ignore", INFO,
       "this `-- schema-studio:ignore` comment suppresses nothing on the next statement",
       "remove it (or fix the hazard id)",
       "-- schema-studio:ignore drop-table not needed any more\nALTER TABLE orders ADD COLUMN note "
       "text;",
       "-- schema-studio:ignore drop-column unused since v2\nALTER TABLE orders DROP COLUMN note;",
       "squawk:unused-ignore"),
)
# fmt: on


@cache
def _by_id() -> dict[str, Hazard]:
    out: dict[str, Hazard] = {}
    for h in HAZARDS:
        assert h.id not in out, f"duplicate hazard {h.id}"
        out[h.id] = h
    return out


def hazard(id: str) -> Hazard:
    """The hazard called `id`."""
    return _by_id()[id]


def known(id: str) -> bool:
    """Whether `id` names a hazard."""
    return id in _by_id()
