BEGIN;
-- drop column public.t.plain [data loss]
ALTER TABLE public.t DROP COLUMN plain;
-- drop column public.t.shipping
ALTER TABLE public.t DROP COLUMN shipping;
-- drop column public.t.total
ALTER TABLE public.t DROP COLUMN total;
-- drop column public.t.weight [data loss]
ALTER TABLE public.t DROP COLUMN weight;
-- add column public.t.total numeric
ALTER TABLE public.t ADD COLUMN total numeric GENERATED ALWAYS AS (((price * (qty)::numeric) * 1.2)) STORED;
-- add column public.t.plain numeric
ALTER TABLE public.t ADD COLUMN plain numeric GENERATED ALWAYS AS ((price + (1)::numeric)) STORED;
-- add column public.t.volume numeric
ALTER TABLE public.t ADD COLUMN volume numeric;
-- add column public.t.handling numeric
ALTER TABLE public.t ADD COLUMN handling numeric GENERATED ALWAYS AS ((volume / (2)::numeric)) STORED;
-- drop generation expression of public.t.frozen
ALTER TABLE public.t ALTER COLUMN frozen DROP EXPRESSION;
COMMIT;
