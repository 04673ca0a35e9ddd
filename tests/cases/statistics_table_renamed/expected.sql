BEGIN;
-- rename table public.orders to public.purchases
ALTER TABLE public.orders RENAME TO purchases;
-- rename column public.purchases.region to area
ALTER TABLE public.purchases RENAME COLUMN region TO area;
COMMIT;
