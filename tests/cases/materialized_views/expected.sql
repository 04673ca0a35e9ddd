BEGIN;
-- drop index sold_qty_idx on public.sold
DROP INDEX public.sold_qty_idx;
-- create unique index sold_id_idx on public.sold
CREATE UNIQUE INDEX sold_id_idx ON public.sold USING btree (id);
-- create materialized view public.stock
CREATE MATERIALIZED VIEW public.stock AS
SELECT count(*) AS n
   FROM public.items;
-- comment on materialized view public.sold
COMMENT ON MATERIALIZED VIEW public.sold IS 'nightly';
COMMIT;
