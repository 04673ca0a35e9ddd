CREATE TABLE t (
  price numeric NOT NULL,
  qty int NOT NULL,
  total numeric GENERATED ALWAYS AS (price * qty * 1.2) STORED,
  frozen numeric,
  plain numeric GENERATED ALWAYS AS (price + 1) STORED,
  volume numeric,
  handling numeric GENERATED ALWAYS AS (volume / 2) STORED
);
