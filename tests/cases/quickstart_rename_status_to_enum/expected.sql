BEGIN;
-- rename column public.orders.status to order_status
ALTER TABLE public.orders RENAME COLUMN status TO order_status;
-- create enum public.order_status
CREATE TYPE public.order_status AS ENUM ('pending', 'paid', 'shipped');
-- alter column public.orders.order_status type character varying(50) -> public.order_status [data loss]
ALTER TABLE public.orders ALTER COLUMN order_status DROP DEFAULT;
ALTER TABLE public.orders ALTER COLUMN order_status TYPE public.order_status USING order_status::public.order_status;
ALTER TABLE public.orders ALTER COLUMN order_status SET DEFAULT 'pending'::public.order_status;
COMMIT;
