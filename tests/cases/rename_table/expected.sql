BEGIN;
-- create schema sales
CREATE SCHEMA sales;
-- rename table public.orders to sales.purchases
ALTER TABLE public.orders SET SCHEMA sales;
ALTER TABLE sales.orders RENAME TO purchases;
-- rename constraint orders_id_not_null on sales.purchases to purchases_id_not_null
ALTER TABLE sales.purchases RENAME CONSTRAINT orders_id_not_null TO purchases_id_not_null;
COMMIT;
