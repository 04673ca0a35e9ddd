BEGIN;
-- drop view public.big
DROP VIEW public.big;
-- drop view public.changed
DROP VIEW public.changed;
-- drop view public.gone
DROP VIEW public.gone;
-- drop view public.totals
DROP VIEW public.totals;
-- alter column public.orders.total type integer -> bigint
ALTER TABLE public.orders ALTER COLUMN total TYPE bigint;
-- set storage options of public.notes to (security_barrier=true)
ALTER VIEW public.notes SET (security_barrier=true);
-- create view public.changed
CREATE VIEW public.changed AS
SELECT orders.id,
    orders.note
   FROM public.orders
  WHERE (orders.id > 0);
-- create view public.totals
CREATE VIEW public.totals AS
SELECT orders.customer,
    sum(orders.total) AS total
   FROM public.orders
  GROUP BY orders.customer;
-- create view public.big
CREATE VIEW public.big AS
SELECT totals.customer
   FROM public.totals
  WHERE (totals.total > (100)::numeric);
-- create view public.fresh
CREATE VIEW public.fresh AS
SELECT b.customer
   FROM public.big b;
-- comment on view public.notes
COMMENT ON VIEW public.notes IS 'all notes';
COMMIT;
