CREATE TABLE t (
  price numeric NOT NULL,
  qty int NOT NULL,
  total numeric GENERATED ALWAYS AS (price * qty) STORED,
  frozen numeric GENERATED ALWAYS AS (price * 2) STORED,
  plain numeric,
  weight numeric,
  shipping numeric GENERATED ALWAYS AS (weight * 3) STORED
);
INSERT INTO t (price, qty) VALUES (2, 3);
