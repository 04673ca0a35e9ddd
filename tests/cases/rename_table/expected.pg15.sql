BEGIN;
-- drop view public.open_orders
DROP VIEW public.open_orders;
-- create schema sales
CREATE SCHEMA sales;
-- rename table public.orders to sales.purchases
ALTER TABLE public.orders SET SCHEMA sales;
ALTER TABLE sales.orders RENAME TO purchases;
-- create view public.open_orders
CREATE VIEW public.open_orders AS
SELECT purchases.id
   FROM sales.purchases
  WHERE (purchases.status = 'open'::text);
COMMIT;
