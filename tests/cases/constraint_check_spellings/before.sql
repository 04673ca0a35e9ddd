-- The same CHECK constraints, spelled differently on each side: PostgreSQL stores
-- the parsed expression and pg_get_constraintdef prints it one way, so nothing differs.
-- (Spellings that parse to another expression do differ, as pg_dump shows: a
-- one-value IN list is `=`, not `= ANY`; `NOT i` is not `i = false`. An IN list on a
-- varchar column and pg_dump's text of it parse differently and are taken as equal:
-- tests/db/test_diff_apply.py, test_checks_read_back_from_pg_dump_text.)
CREATE TYPE mood AS ENUM ('ok', 'great');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE t (
  a integer CHECK (a > 0),
  b text CONSTRAINT b_known CHECK (b IN ('x', 'y', 'z')),
  c numeric CHECK (c::numeric(10,2) > 1.5),
  d integer CHECK (d BETWEEN 1 AND 10),
  e text CHECK (length(e) > 2 AND e <> 'none' OR e IS NULL),
  f timestamptz CHECK (f > '2024-01-01'),
  g mood CHECK (g IN ('ok', 'great')),
  h integer[] CHECK (array_length(h, 1) <= 3),
  p positive CHECK (p NOT IN (3, 4))
);
