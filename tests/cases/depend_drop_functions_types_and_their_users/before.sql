-- Functions, a table and a view dropped along with what uses them: a
-- function called by another's default or body, by a domain's check; a
-- table whose row type a function returns, a domain stands for and a kept
-- table's column holds; a view a function body reads.
CREATE FUNCTION a_base(x int) RETURNS int LANGUAGE sql IMMUTABLE RETURN x + 1;
CREATE FUNCTION z_user(x int DEFAULT a_base(1)) RETURNS int LANGUAGE sql IMMUTABLE RETURN x;
CREATE FUNCTION b_atomic(x int) RETURNS int LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT a_base(x); END;
CREATE DOMAIN positive AS int CHECK (a_base(VALUE) > 0);
CREATE TABLE items (id int PRIMARY KEY, qty positive);
CREATE FUNCTION all_items() RETURNS SETOF items LANGUAGE sql STABLE BEGIN ATOMIC SELECT * FROM items; END;
CREATE VIEW item_ids AS SELECT id FROM items;
CREATE FUNCTION count_ids() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM item_ids; END;
CREATE DOMAIN item_row AS items;
CREATE TABLE holders (id int PRIMARY KEY, item items, boxed item_row);
