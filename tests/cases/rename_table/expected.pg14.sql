BEGIN;
-- create schema sales
CREATE SCHEMA sales;
-- rename table public.orders to sales.purchases
ALTER TABLE public.orders SET SCHEMA sales;
ALTER TABLE sales.orders RENAME TO purchases;
COMMIT;
