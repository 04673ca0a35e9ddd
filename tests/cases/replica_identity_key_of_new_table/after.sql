CREATE TABLE orders (id int PRIMARY KEY);
-- a new table whose identity is the index of a unique constraint added after it
CREATE TABLE order_lines (order_id int NOT NULL REFERENCES orders, line int NOT NULL, qty int,
                          CONSTRAINT order_lines_key UNIQUE (order_id, line));
ALTER TABLE order_lines REPLICA IDENTITY USING INDEX order_lines_key;
-- and an existing table switched to its primary key's index
ALTER TABLE orders REPLICA IDENTITY USING INDEX orders_pkey;
