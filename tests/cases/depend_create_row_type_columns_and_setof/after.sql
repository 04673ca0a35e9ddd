-- Columns of other tables' row types, functions returning them and views
-- over those functions: each after what it names.
CREATE TABLE unrelated (id int PRIMARY KEY);
CREATE TABLE z_orders (id int PRIMARY KEY, total numeric NOT NULL);
CREATE TABLE b_archive (id int PRIMARY KEY, snapshot z_orders, history z_orders[]);
CREATE FUNCTION a_open_orders() RETURNS SETOF z_orders LANGUAGE sql STABLE BEGIN ATOMIC SELECT * FROM z_orders WHERE total > 0; END;
CREATE FUNCTION a_order_total(o z_orders) RETURNS numeric LANGUAGE sql IMMUTABLE RETURN o.total;
CREATE VIEW a_open AS SELECT id, a_order_total(o) AS total FROM a_open_orders() o;
