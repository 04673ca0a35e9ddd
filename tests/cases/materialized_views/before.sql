CREATE TABLE items (id int PRIMARY KEY, qty int);
CREATE MATERIALIZED VIEW sold AS SELECT id, sum(qty) AS qty FROM items GROUP BY id;
CREATE INDEX sold_qty_idx ON sold (qty);
