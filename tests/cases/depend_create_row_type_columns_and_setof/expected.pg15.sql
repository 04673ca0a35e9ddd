BEGIN;
-- create table public.z_orders
CREATE TABLE public.z_orders (
    id integer NOT NULL,
    total numeric NOT NULL
);
-- create table public.b_archive
CREATE TABLE public.b_archive (
    id integer NOT NULL,
    snapshot public.z_orders,
    history public.z_orders[]
);
-- create function public.a_open_orders()
CREATE OR REPLACE FUNCTION public.a_open_orders()
 RETURNS SETOF public.z_orders
 LANGUAGE sql
 STABLE
BEGIN ATOMIC
 SELECT z_orders.id,
     z_orders.total
    FROM public.z_orders
   WHERE (z_orders.total > (0)::numeric);
END;
-- create function public.a_order_total(o public.z_orders)
CREATE OR REPLACE FUNCTION public.a_order_total(o public.z_orders)
 RETURNS numeric
 LANGUAGE sql
 IMMUTABLE
RETURN (o).total;
-- add primary key b_archive_pkey on public.b_archive
ALTER TABLE public.b_archive ADD CONSTRAINT b_archive_pkey PRIMARY KEY (id);
-- add primary key z_orders_pkey on public.z_orders
ALTER TABLE public.z_orders ADD CONSTRAINT z_orders_pkey PRIMARY KEY (id);
-- create view public.a_open
CREATE VIEW public.a_open AS
SELECT o.id,
    public.a_order_total(o.*) AS total
   FROM public.a_open_orders() o(id, total);
COMMIT;
