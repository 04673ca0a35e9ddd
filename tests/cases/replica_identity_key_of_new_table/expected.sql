BEGIN;
-- create table public.order_lines
CREATE TABLE public.order_lines (
    order_id integer NOT NULL,
    line integer NOT NULL,
    qty integer
);
-- add unique order_lines_key on public.order_lines
ALTER TABLE public.order_lines ADD CONSTRAINT order_lines_key UNIQUE (order_id, line);
-- add foreign key order_lines_order_id_fkey on public.order_lines
ALTER TABLE public.order_lines ADD CONSTRAINT order_lines_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id);
-- set replica identity of public.order_lines to using index order_lines_key
ALTER TABLE public.order_lines REPLICA IDENTITY USING INDEX order_lines_key;
-- set replica identity of public.orders to using index orders_pkey
ALTER TABLE public.orders REPLICA IDENTITY USING INDEX orders_pkey;
COMMIT;
