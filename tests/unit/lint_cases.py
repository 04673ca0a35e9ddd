"""Golden lint cases: for each rule of the peer linters, statements lint must flag and near misses.

Each case is a script (psql semantics), the peer rule it is about, and what
lint must report: every warning and danger exactly (`hazard level`), plus
the info findings listed. A case is a must-flag case of its rule when it
expects a hazard mapped to the rule (`Hazard.peers`); otherwise it is a near
miss, and no hazard mapped to the rule may be reported at any level. Tables
a case does not create are taken to exist, with rows; `before` is SQL
replayed first, unreported (what earlier migrations left). Labels follow
PostgreSQL, not the peer: where a peer flags what PostgreSQL does safely (or
misses what it does not), docs/hazards.md says so, and `python -m bench.lint`
measures both linters on these cases.

Used by tests/unit/test_lint.py and bench/lint.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from studio.plan.locks.hazards import HAZARDS, Level
from studio.plan.locks.lint import LintReport, lint_sources, script_source

PG14, PG15, PG18 = 140000, 150000, 180000
ALL = (PG14, PG15, PG18)


@dataclass(frozen=True)
class LintCase:
    """One golden case."""

    rule: str  # the peer rule it is about, "squawk:prefer-robust-stmts"
    sql: str
    expect: tuple[tuple[str, Level], ...]  # every warning and danger, and the info listed
    versions: tuple[int, ...] = (PG18,)
    external: bool = False  # `lint --external` (the timeout rules)
    before: str = ""

    @property
    def mapped(self) -> frozenset[str]:
        """The hazards that cover the case's rule."""
        return frozenset(h.id for h in HAZARDS if self.rule in h.peers)

    @property
    def must_flag(self) -> bool:
        """Whether lint must report a hazard of the rule (else the case is a near miss)."""
        return any(h in self.mapped for h, _ in self.expect)

    def run(self, version: int = PG18) -> LintReport:
        """Lint the case on a server version."""
        sources = []
        if self.before:
            sources.append(
                dataclasses.replace(script_source(self.before, "before.sql"), report=False)
            )
        tx = max((t for s in sources for t, _ in s.runs), default=0) + 1
        sources.append(script_source(self.sql, "case.sql", tx))
        return lint_sources(sources, server_version=version, external=self.external)


def case(
    rule: str,
    sql: str,
    *expect: str,
    versions: tuple[int, ...] = (PG18,),
    external: bool = False,
    before: str = "",
) -> LintCase:
    """A case; `expect` as "hazard-id level" strings."""
    pairs = tuple((e.split()[0], Level.parse(e.split()[1])) for e in expect)
    return LintCase(f"squawk:{rule}", sql.strip(), pairs, versions, external, before.strip())


# fmt: off
CASES: tuple[LintCase, ...] = (
    # --- adding-field-with-default: a volatile default (or a stored generated column) rewrites --
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
         "add-column-volatile-default danger", versions=ALL),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN placed_at timestamptz DEFAULT now(123);",
         "add-column-volatile-default danger"),  # no built-in now() takes an argument
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN jitter integer DEFAULT (random() * 10)::integer;",
         "add-column-volatile-default danger"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN pick bigint DEFAULT random(1, 6);",
         "add-column-volatile-default danger"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN code text DEFAULT make_code(8);",
         "add-column-volatile-default danger"),  # unknown: assumed volatile
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN note text, ADD COLUMN n bigint DEFAULT nextval('s');",
         "add-column-volatile-default danger"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100)"
         " STORED;",
         "add-column-generated-stored danger", versions=ALL),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN placed_at timestamptz DEFAULT now();", versions=ALL),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN label text DEFAULT lower('NEW');"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN label text DEFAULT pg_catalog.concat('a', 'b', 'c');"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN flags jsonb DEFAULT '{}'::jsonb;"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN n bigint DEFAULT 2 + 2;"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN placed_on date DEFAULT CURRENT_DATE;"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN status order_status DEFAULT 'new';"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN pick integer DEFAULT pick();",
         before="CREATE FUNCTION pick() RETURNS integer LANGUAGE sql IMMUTABLE AS 'select 1';"),
    case("adding-field-with-default",
         "ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100)"
         " VIRTUAL;"),
    # --- adding-foreign-key-constraint: validating holds SHARE ROW EXCLUSIVE on both tables -----
    case("adding-foreign-key-constraint",
         "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES"
         " users (id);",
         "validating-foreign-key danger"),
    case("adding-foreign-key-constraint",
         "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users;",
         "validating-foreign-key danger"),
    case("adding-foreign-key-constraint",
         "ALTER TABLE orders ADD COLUMN buyer_id bigint DEFAULT 0 REFERENCES users (id);",
         "validating-foreign-key danger", versions=ALL),
    case("adding-foreign-key-constraint",
         "ALTER TABLE orders ADD COLUMN buyer_id bigint DEFAULT NULL REFERENCES users (id);",
         "validating-foreign-key danger"),
    case("adding-foreign-key-constraint",
         "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES"
         " users (id)"
         " NOT VALID;"),
    # all NULL, the new column is not validated (tests/db/test_lock_kb.py proves it)
    case("adding-foreign-key-constraint",
         "ALTER TABLE orders ADD COLUMN buyer_id bigint REFERENCES users (id);", versions=ALL),
    case("adding-foreign-key-constraint",
         "CREATE TABLE line_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders"
         " (id));"),
    case("adding-foreign-key-constraint",
         "BEGIN;\nCREATE TABLE carts (id bigint PRIMARY KEY, user_id bigint);\n"
         "ALTER TABLE carts ADD CONSTRAINT carts_user_fk FOREIGN KEY (user_id) REFERENCES"
         " users (id);\n"
         "COMMIT;"),
    # --- adding-not-nullable-field: SET NOT NULL scans under ACCESS EXCLUSIVE -------------------
    case("adding-not-nullable-field",
         "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
         "scanning-set-not-null danger", versions=ALL),
    case("adding-not-nullable-field",
         "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
         "scanning-set-not-null danger",
         before="CREATE TABLE orders (id bigint, note text);\n"
                "ALTER TABLE orders ADD CONSTRAINT note_nn CHECK (note IS NOT NULL) NOT VALID;"),
    case("adding-not-nullable-field",
         "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;", versions=ALL,
         before="CREATE TABLE orders (id bigint, note text);\n"
                "ALTER TABLE orders ADD CONSTRAINT note_nn CHECK (note IS NOT NULL) NOT VALID;\n"
                "ALTER TABLE orders VALIDATE CONSTRAINT note_nn;"),
    case("adding-not-nullable-field",
         "CREATE TABLE drafts (id bigint, note text);\nALTER TABLE drafts ALTER COLUMN note"
         " SET NOT NULL;"),
    # --- adding-required-field: NOT NULL without a default fails on rows --------------------------
    case("adding-required-field",
         "ALTER TABLE orders ADD COLUMN region text NOT NULL;", "required-column danger"),
    case("adding-required-field",
         "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';"),
    case("adding-required-field",
         "ALTER TABLE orders ADD COLUMN region text;"),
    # --- adding-serial-primary-key-field ----------------------------------------------------------
    case("adding-serial-primary-key-field",
         "ALTER TABLE accounts ADD COLUMN id bigserial PRIMARY KEY;",
         "add-column-serial danger", "constraint-index-build danger"),
    case("adding-serial-primary-key-field",
         "ALTER TABLE accounts ADD PRIMARY KEY (id);", "constraint-index-build danger"),
    case("adding-serial-primary-key-field",
         "ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX"
         " accounts_id_idx;",
         before="CREATE TABLE accounts (id bigint NOT NULL);\n"
                "CREATE UNIQUE INDEX accounts_id_idx ON accounts (id);"),
    # --- ban-alter-domain-with-add-constraint -----------------------------------------------------
    case("ban-alter-domain-with-add-constraint",
         "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0);",
         "domain-constraint-validation warning"),
    case("ban-alter-domain-with-add-constraint",
         "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;"),
    # --- ban-char-field: character(n), bpchar and "char" ------------------------------------------
    case("ban-char-field", "CREATE TABLE codes (code char(3));", "char-type warning"),
    case("ban-char-field", "CREATE TABLE codes (code bpchar);", "char-type warning"),
    case("ban-char-field", 'CREATE TABLE codes (code "char");', "char-type warning"),
    case("ban-char-field", 'CREATE TABLE codes (code "char"(3));', "char-type warning"),
    case("ban-char-field", "CREATE TABLE codes (code nchar(2));", "char-type warning"),
    case("ban-char-field", "CREATE TABLE codes (codes character(2)[]);", "char-type warning"),
    case("ban-char-field", "ALTER TABLE codes ADD COLUMN code character;", "char-type warning"),
    case("ban-char-field", "CREATE TABLE codes (code text, charge text);"),
    case("ban-char-field", "CREATE TABLE codes (code varchar, name character varying);"),
    # --- ban-concurrent-index-creation-in-transaction --------------------------------------------
    case("ban-concurrent-index-creation-in-transaction",
         "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders"
         " (note);\nCOMMIT;",
         "concurrently-in-transaction danger"),
    case("ban-concurrent-index-creation-in-transaction",
         "BEGIN;\nDROP INDEX CONCURRENTLY IF EXISTS orders_note_idx;\nCOMMIT;",
         "concurrently-in-transaction danger"),
    case("ban-concurrent-index-creation-in-transaction",
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);"),
    case("ban-concurrent-index-creation-in-transaction",
         "BEGIN;\nREINDEX (CONCURRENTLY false) INDEX orders_note_idx;\nCOMMIT;",
         "blocking-reindex danger"),
    # --- ban-create-domain-with-constraint --------------------------------------------------------
    case("ban-create-domain-with-constraint",
         "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);", "domain-with-constraint info"),
    case("ban-create-domain-with-constraint", "CREATE DOMAIN positive_int AS bigint NOT NULL;"),
    # --- drops ------------------------------------------------------------------------------------
    case("ban-drop-column", "ALTER TABLE orders DROP COLUMN note;", "drop-column danger"),
    case("ban-drop-column", "ALTER TABLE orders DROP COLUMN IF EXISTS note;", "drop-column danger"),
    case("ban-drop-column", "ALTER TABLE orders ALTER COLUMN note DROP DEFAULT;"),
    case("ban-drop-database", "DROP DATABASE analytics;", "drop-database danger"),
    case("ban-drop-database", "CREATE DATABASE analytics;"),
    case("ban-drop-not-null",
         "ALTER TABLE orders ALTER COLUMN note DROP NOT NULL;", "drop-not-null warning"),
    case("ban-drop-not-null", "ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';"),
    case("ban-drop-table", "DROP TABLE orders_archive;", "drop-table danger"),
    case("ban-drop-table", "DROP TABLE IF EXISTS orders_archive, orders_old;", "drop-table danger"),
    case("ban-drop-table", "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;"),
    # --- ban-duplicate-column-assignments ---------------------------------------------------------
    case("ban-duplicate-column-assignments",
         "CREATE TABLE events (id bigint, id text);", "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "UPDATE orders SET note = 'a', total = 1, note = 'b' WHERE id = 1;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "UPDATE orders SET (note, total) = ('a', 1), note = 'b' WHERE id = 1;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "UPDATE orders SET address = ROW('a', 'b'), address.city = 'c' WHERE id = 1;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         'UPDATE orders SET note = 1, "note" = 2 WHERE id = 1;', "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "INSERT INTO orders (id, note, note) VALUES (1, 'a', 'b');", "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "INSERT INTO orders (id, note) VALUES (1, 'a')\n"
         "ON CONFLICT (id) DO UPDATE SET note = 'b', note = excluded.note;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "MERGE INTO orders o USING incoming i ON o.id = i.id\n"
         "WHEN MATCHED THEN UPDATE SET note = i.note, note = 'x';",
         "duplicate-column danger", versions=(PG15, PG18)),
    case("ban-duplicate-column-assignments",
         "MERGE INTO orders o USING incoming i ON o.id = i.id\n"
         "WHEN NOT MATCHED THEN INSERT (id, id) VALUES (i.id, i.id);",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "CREATE VIEW order_notes (id, id) AS SELECT id, note FROM orders;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "CREATE VIEW order_pairs AS SELECT o.id, u.id FROM orders o JOIN users u ON u.id ="
         " o.user_id;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "CREATE VIEW constants AS SELECT 1, 2;", "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "SELECT id, note AS id INTO order_copy FROM orders;", "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "CREATE TABLE order_copy AS SELECT id, lower(note) AS id FROM orders;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "CREATE MATERIALIZED VIEW order_totals (n, n) AS SELECT count(*), sum(total) FROM orders;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "CREATE FOREIGN TABLE remote_orders (id bigint, id text) SERVER warehouse;",
         "duplicate-column danger"),
    case("ban-duplicate-column-assignments",
         "UPDATE orders SET address.city = 'a', address.zip = 'b' WHERE id = 1;"),
    case("ban-duplicate-column-assignments",
         "UPDATE orders SET tags[1] = 'a', tags[2] = 'b' WHERE id = 1;"),
    case("ban-duplicate-column-assignments",
         "INSERT INTO orders (id, address.city, address.zip) VALUES (1, 'a', 'b');"),
    case("ban-duplicate-column-assignments",
         "MERGE INTO orders o USING incoming i ON o.id = i.id\n"
         "WHEN MATCHED THEN UPDATE SET note = i.note\n"
         "WHEN NOT MATCHED THEN INSERT (id, note) VALUES (i.id, i.note);", versions=(PG15, PG18)),
    case("ban-duplicate-column-assignments",
         "MERGE INTO orders o USING incoming i ON o.id = i.id\n"
         "WHEN MATCHED THEN UPDATE SET note = i.note;",
         "statement-needs-newer-server danger", versions=(PG14,)),
    case("ban-duplicate-column-assignments",
         "CREATE VIEW order_pairs AS SELECT o.id, u.id AS user_id FROM orders o JOIN users u"
         " ON u.id = o.user_id;"),
    case("ban-duplicate-column-assignments",
         "CREATE FOREIGN TABLE remote_orders (id bigint, note text) SERVER warehouse;"),
    case("ban-duplicate-column-assignments",
         "SELECT id, note INTO order_copy FROM orders;"),
    case("ban-duplicate-column-assignments",
         "INSERT INTO orders (id, note) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET note ="
         " 'b';"),
    # --- ban-truncate-cascade ---------------------------------------------------------------------
    case("ban-truncate-cascade", "TRUNCATE users CASCADE;",
         "truncate-cascade danger", "truncate danger"),
    case("ban-truncate-cascade", "TRUNCATE users;", "truncate danger"),
    # --- ban-uncommitted-transaction --------------------------------------------------------------
    case("ban-uncommitted-transaction",
         "BEGIN;\nALTER TABLE orders ADD COLUMN note text;", "uncommitted-transaction danger"),
    case("ban-uncommitted-transaction",
         "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;"),
    case("ban-uncommitted-transaction",
         "START TRANSACTION;\nALTER TABLE orders ADD COLUMN note text;\nROLLBACK;"),
    # --- changing-column-type ---------------------------------------------------------------------
    case("changing-column-type", "ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;",
         "rewriting-type-change danger"),
    case("changing-column-type", "ALTER TABLE orders ALTER COLUMN label TYPE varchar(10);",
         "rewriting-type-change danger",
         before="CREATE TABLE orders (id bigint, label varchar(20));"),
    case("changing-column-type", "ALTER TABLE orders ALTER COLUMN label TYPE varchar(40);",
         before="CREATE TABLE orders (id bigint, label varchar(20));"),
    case("changing-column-type", "ALTER TABLE orders ALTER COLUMN label TYPE text;",
         before="CREATE TABLE orders (id bigint, label varchar(20));"),
    # --- constraint-missing-not-valid -------------------------------------------------------------
    case("constraint-missing-not-valid",
         "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);",
         "validating-check-constraint danger"),
    case("constraint-missing-not-valid",
         "BEGIN;\nALTER TABLE orders ADD CONSTRAINT total_pos CHECK (total >= 0) NOT VALID;\n"
         "ALTER TABLE orders VALIDATE CONSTRAINT total_pos;\nCOMMIT;",
         "validate-in-same-transaction warning", "lock-held-across-statements warning"),
    case("constraint-missing-not-valid",
         "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;"),
    case("constraint-missing-not-valid",
         "ALTER TABLE orders ADD CONSTRAINT total_pos CHECK (total >= 0) NOT VALID;\n"
         "ALTER TABLE orders VALIDATE CONSTRAINT total_pos;",
         "non-robust-statement info"),
    # --- disallowed-unique-constraint -------------------------------------------------------------
    case("disallowed-unique-constraint",
         "ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE (number);",
         "constraint-index-build danger"),
    case("disallowed-unique-constraint",
         "ALTER TABLE orders ADD COLUMN number text UNIQUE;", "constraint-index-build danger"),
    case("disallowed-unique-constraint",
         "ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE USING INDEX"
         " orders_number_idx;",
         before="CREATE TABLE orders (id bigint, number text);\n"
                "CREATE UNIQUE INDEX orders_number_idx ON orders (number);"),
    case("disallowed-unique-constraint",
         "CREATE TABLE invoices (id bigint, number text UNIQUE);"),
    # --- identifier-too-long ----------------------------------------------------------------------
    case("identifier-too-long",
         f"CREATE TABLE {'a' * 64} (id bigint);", "identifier-too-long warning"),
    case("identifier-too-long",
         f'ALTER TABLE orders ADD COLUMN "{"é" * 32}" text;', "identifier-too-long warning"),
    case("identifier-too-long", f"CREATE TABLE {'a' * 63} (id bigint);"),
    # --- prefer-bigint ----------------------------------------------------------------------------
    case("prefer-bigint-over-int", "CREATE TABLE events (id integer PRIMARY KEY);",
         "prefer-bigint info"),
    case("prefer-bigint-over-int", "ALTER TABLE events ADD COLUMN n int4;", "prefer-bigint info"),
    case("prefer-bigint-over-int", "CREATE TABLE events (id bigint PRIMARY KEY);"),
    case("prefer-bigint-over-smallint", "CREATE TABLE events (n smallint);", "prefer-bigint info"),
    case("prefer-bigint-over-smallint", "CREATE TABLE events (n int8);"),
    # --- prefer-identity --------------------------------------------------------------------------
    case("prefer-identity", "CREATE TABLE events (id bigserial PRIMARY KEY);",
         "prefer-identity info"),
    case("prefer-identity", "CREATE TABLE events (id serial4 PRIMARY KEY);",
         "prefer-identity info", "prefer-bigint info"),
    case("prefer-identity",
         "CREATE TABLE events (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);"),
    # --- prefer-repack ----------------------------------------------------------------------------
    case("prefer-repack", "VACUUM FULL orders;", "prefer-repack danger"),
    case("prefer-repack", "VACUUM (FULL, ANALYZE) orders;", "prefer-repack danger"),
    case("prefer-repack", "VACUUM (FULL true) orders;", "prefer-repack danger"),
    case("prefer-repack", "CLUSTER orders USING orders_pkey;", "prefer-repack danger"),
    case("prefer-repack", "VACUUM (FULL FALSE) orders;"),
    case("prefer-repack", "VACUUM (FULL 0, ANALYZE) orders;"),
    case("prefer-repack", "VACUUM orders;"),
    # --- prefer-robust-stmts: outside a transaction, a file stopped part way must rerun ----------
    case("prefer-robust-stmts",
         "SET lock_timeout = '1s';\nALTER TABLE orders ADD COLUMN note text;",
         "non-robust-statement info"),
    case("prefer-robust-stmts",
         "ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\n"
         "ALTER TABLE orders DROP COLUMN legacy;",
         "non-robust-statement info", "drop-column danger"),
    case("prefer-robust-stmts",
         "CREATE TABLE IF NOT EXISTS audits (id bigint);\nCREATE TABLE audit_rows (id bigint);",
         "non-robust-statement info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TABLE orders DROP CONSTRAINT orders_total_positive;",
         "non-robust-statement info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TABLE orders ADD CONSTRAINT total_pos CHECK (total > 0) NOT VALID;",
         "non-robust-statement info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nCREATE INDEX orders_note_idx ON orders (note);",
         "non-robust-statement info", "blocking-index-build danger"),
    case("prefer-robust-stmts",
         "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);",
         "non-robust-statement info"),
    case("prefer-robust-stmts",
         "DROP INDEX CONCURRENTLY orders_note_idx;", "non-robust-statement info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nDROP TABLE orders_archive;",
         "non-robust-statement info", "drop-table danger"),
    case("prefer-robust-stmts",
         "SELECT 1;\nDROP TYPE order_status;", "non-robust-statement info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TYPE order_status ADD VALUE 'refunded' AFTER 'paid';",
         "non-robust-statement info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nCREATE VIEW order_notes AS SELECT id, note FROM orders;",
         "non-robust-statement info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TABLE orders RENAME COLUMN note TO remark;",
         "non-robust-statement info", "renaming-column danger"),
    case("prefer-robust-stmts",
         "SELECT 1;\nCREATE TYPE order_status AS ENUM ('new', 'paid');",
         "non-robust-statement info"),
    case("prefer-robust-stmts",
         "CREATE SEQUENCE invoice_seq;\nCREATE SCHEMA reporting;", "non-robust-statement info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nCREATE TABLE order_copy AS SELECT id FROM orders;",
         "non-robust-statement info"),
    case("prefer-robust-stmts", "CREATE INDEX CONCURRENTLY ON orders (note);"),
    case("prefer-robust-stmts", "SELECT 1;\nCREATE INDEX CONCURRENTLY ON orders (note);"),
    case("prefer-robust-stmts",
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);"),
    case("prefer-robust-stmts", "SELECT 1;\nDROP INDEX CONCURRENTLY IF EXISTS orders_note_idx;"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;"),
    case("prefer-robust-stmts",
         "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;"),
    case("prefer-robust-stmts",
         "BEGIN;\nCREATE TABLE audits (id bigint);\nDROP TABLE audit_rows;\nCOMMIT;",
         "drop-table danger"),
    case("prefer-robust-stmts", "ALTER TABLE orders ADD COLUMN note text;"),
    case("prefer-robust-stmts", "CREATE TABLE audits (id bigint);"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_number_key;\n"
         "ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE USING INDEX"
         " orders_number_idx;"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TABLE orders ALTER COLUMN note SET DEFAULT '';"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;"),
    case("prefer-robust-stmts",
         "SELECT 1;\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;", "authz-change info"),
    case("prefer-robust-stmts",
         "SELECT 1;\nCREATE TEMP TABLE scratch (id bigint);"),
    case("prefer-robust-stmts",
         "SELECT 1;\nCREATE OR REPLACE VIEW order_notes AS SELECT id, note FROM orders;"),
    case("prefer-robust-stmts",
         "SELECT 1;\nCOMMENT ON TABLE orders IS 'customer orders';"),
    # --- prefer-text-field ------------------------------------------------------------------------
    case("prefer-text-field", "CREATE TABLE events (name varchar(100));", "prefer-text info"),
    case("prefer-text-field", "ALTER TABLE events ALTER COLUMN name TYPE varchar(200);",
         "prefer-text info", "rewriting-type-change danger"),
    case("prefer-text-field", "CREATE TABLE events (name text, slug varchar);"),
    # --- prefer-timestamptz -----------------------------------------------------------------------
    case("prefer-timestamptz", "CREATE TABLE events (at timestamp);", "prefer-timestamptz warning"),
    case("prefer-timestamptz", "ALTER TABLE events ADD COLUMN at timestamp(3) without time zone;",
         "prefer-timestamptz warning"),
    case("prefer-timestamptz", "CREATE TABLE events (at timestamptz, on_day date);"),
    # --- renaming ---------------------------------------------------------------------------------
    case("renaming-column", "ALTER TABLE orders RENAME COLUMN status TO state;",
         "renaming-column danger"),
    case("renaming-column", "ALTER TABLE orders RENAME CONSTRAINT a TO b;"),
    case("renaming-table", "ALTER TABLE orders RENAME TO purchases;", "renaming-table danger"),
    case("renaming-table", "CREATE VIEW purchases AS SELECT * FROM orders;"),
    # --- require-concurrent-index-creation / deletion ---------------------------------------------
    case("require-concurrent-index-creation", "CREATE INDEX orders_note_idx ON orders (note);",
         "blocking-index-build danger"),
    case("require-concurrent-index-creation",
         "CREATE UNIQUE INDEX IF NOT EXISTS orders_number_idx ON orders (number);",
         "blocking-index-build danger"),
    case("require-concurrent-index-creation",
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);"),
    case("require-concurrent-index-creation",
         "BEGIN;\nCREATE TABLE drafts (id bigint, note text);\n"
         "CREATE INDEX drafts_note_idx ON drafts (note);\nCOMMIT;"),
    case("require-concurrent-index-deletion", "DROP INDEX orders_note_idx;",
         "blocking-index-drop warning"),
    case("require-concurrent-index-deletion", "DROP INDEX IF EXISTS orders_note_idx;",
         "blocking-index-drop warning"),
    case("require-concurrent-index-deletion", "DROP INDEX CONCURRENTLY IF EXISTS orders_note_idx;"),
    # --- require-concurrent-partition-detach ------------------------------------------------------
    case("require-concurrent-partition-detach",
         "ALTER TABLE events DETACH PARTITION events_2023;",
         "blocking-partition-detach danger", versions=ALL),
    case("require-concurrent-partition-detach",
         "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;", versions=ALL),
    # --- require-concurrent-reindex ---------------------------------------------------------------
    case("require-concurrent-reindex", "REINDEX INDEX orders_note_idx;", "blocking-reindex danger"),
    case("require-concurrent-reindex", "REINDEX TABLE orders;", "blocking-reindex danger"),
    case("require-concurrent-reindex", "REINDEX (CONCURRENTLY false) TABLE orders;",
         "blocking-reindex danger"),
    case("require-concurrent-reindex", "REINDEX (CONCURRENTLY off) INDEX orders_note_idx;",
         "blocking-reindex danger"),
    case("require-concurrent-reindex", "REINDEX INDEX CONCURRENTLY orders_note_idx;"),
    case("require-concurrent-reindex", "REINDEX (CONCURRENTLY) TABLE orders;"),
    case("require-concurrent-reindex", "REINDEX (CONCURRENTLY true, VERBOSE) TABLE orders;"),
    # --- require-enum-value-ordering --------------------------------------------------------------
    case("require-enum-value-ordering", "ALTER TYPE order_status ADD VALUE 'refunded';",
         "enum-value-order info"),
    case("require-enum-value-ordering",
         "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded' BEFORE 'paid';"),
    # --- require-lock-timeout / require-statement-timeout (lint --external) -----------------------
    case("require-lock-timeout", "ALTER TABLE orders ADD COLUMN note text;",
         "missing-lock-timeout danger", "missing-statement-timeout warning", external=True),
    case("require-lock-timeout", "REINDEX (CONCURRENTLY false) INDEX orders_note_idx;",
         "missing-lock-timeout danger", "missing-statement-timeout warning",
         "blocking-reindex danger", external=True),
    case("require-lock-timeout", "LOCK TABLE orders IN SHARE MODE;",
         "missing-lock-timeout danger", "missing-statement-timeout warning", external=True),
    case("require-lock-timeout",
         "SET lock_timeout = '0';\nALTER TABLE orders DROP COLUMN note;",
         "missing-lock-timeout danger", "missing-statement-timeout warning", "drop-column danger",
         external=True),
    case("require-lock-timeout",
         "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\n"
         "ALTER TABLE orders ADD COLUMN note text;", external=True),
    case("require-lock-timeout",
         "BEGIN;\nSET LOCAL lock_timeout = '1s';\nSET LOCAL statement_timeout = '5s';\n"
         "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;", external=True),
    case("require-lock-timeout", "COMMENT ON TABLE orders IS 'customer orders';", external=True),
    case("require-lock-timeout", "CREATE TYPE order_status AS ENUM ('new', 'paid');",
         "enum-type info", external=True),
    case("require-lock-timeout", "LOCK TABLE orders IN ACCESS SHARE MODE;", external=True),
    case("require-lock-timeout",
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);",
         external=True),
    case("require-lock-timeout",
         "CREATE TABLE drafts (id bigint);\nALTER TABLE drafts ADD COLUMN note text;",
         external=True),
    case("require-statement-timeout", "ALTER TABLE orders ADD COLUMN note text;",
         "missing-lock-timeout danger", "missing-statement-timeout warning", external=True),
    case("require-statement-timeout",
         "SET lock_timeout = '1s';\nALTER TABLE orders ALTER COLUMN note SET DEFAULT '';",
         "missing-statement-timeout warning", external=True),
    case("require-statement-timeout",
         "SET statement_timeout = '5s';\nSET lock_timeout = '1s';\nDROP INDEX orders_note_idx;",
         "blocking-index-drop warning", external=True),
    case("require-statement-timeout", "SELECT 1;", external=True),
    # --- require-table-schema ---------------------------------------------------------------------
    case("require-table-schema", "CREATE TABLE events (id bigint);", "unqualified-name info"),
    case("require-table-schema", "CREATE TABLE events AS SELECT 1 AS id;", "unqualified-name info"),
    case("require-table-schema", "ALTER TABLE events ADD COLUMN note text;",
         "unqualified-name info"),
    case("require-table-schema", "DROP TABLE IF EXISTS events;",
         "unqualified-name info", "drop-table danger"),
    case("require-table-schema", "CREATE TABLE app.events (id bigint);"),
    case("require-table-schema", "CREATE TEMP TABLE scratch (id bigint);"),
    case("require-table-schema", "CREATE TEMPORARY TABLE scratch AS SELECT 1 AS id;"),
    case("require-table-schema", "CREATE TABLE app.events AS SELECT 1 AS id;"),
    # --- transaction-nesting ----------------------------------------------------------------------
    case("transaction-nesting",
         "BEGIN;\nBEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
         "transaction-nesting warning"),
    case("transaction-nesting",
         "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\nCOMMIT;",
         "transaction-nesting warning"),
    case("transaction-nesting", "ROLLBACK;", "transaction-nesting warning"),
    case("transaction-nesting",
         "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\n"
         "BEGIN;\nALTER TABLE users ADD COLUMN note text;\nCOMMIT;"),
    case("transaction-nesting",
         "BEGIN;\nSAVEPOINT before_note;\nALTER TABLE orders ADD COLUMN note text;\n"
         "RELEASE SAVEPOINT before_note;\nCOMMIT;"),
    # --- unused-ignore (schema-studio's own comment) ----------------------------------------------
    case("unused-ignore",
         "-- schema-studio:ignore drop-table not needed any more\n"
         "ALTER TABLE orders ADD COLUMN note text;", "unused-ignore info"),
    case("unused-ignore",
         "-- schema-studio:ignore drop-column unused since v2\nALTER TABLE orders DROP COLUMN"
         " note;"),
)
# fmt: on
