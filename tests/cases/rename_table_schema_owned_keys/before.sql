-- A table moved to another schema takes its indexes and sequences along; what
-- pg_depend says of them (an index over a collation, a function over a sequence)
-- must follow them, or the objects over what changes are not rebuilt.
CREATE SCHEMA archive;
CREATE COLLATION mine (provider = libc, locale = 'C');
CREATE TABLE orders (id serial PRIMARY KEY, code text);
CREATE INDEX orders_code_idx ON orders (code COLLATE mine);
CREATE FUNCTION next_order() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT nextval('orders_id_seq'); END;
