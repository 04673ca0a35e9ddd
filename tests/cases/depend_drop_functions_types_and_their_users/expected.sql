BEGIN;
-- drop column public.holders.boxed [data loss]
ALTER TABLE public.holders DROP COLUMN boxed;
-- drop column public.holders.item [data loss]
ALTER TABLE public.holders DROP COLUMN item;
-- drop function public.all_items()
DROP FUNCTION public.all_items();
-- drop function public.b_atomic(x integer)
DROP FUNCTION public.b_atomic(x integer);
-- drop function public.count_ids()
DROP FUNCTION public.count_ids();
-- drop view public.item_ids
DROP VIEW public.item_ids;
-- drop function public.z_user(x integer)
DROP FUNCTION public.z_user(x integer);
-- drop domain public.item_row
DROP DOMAIN public.item_row;
-- drop table public.items [data loss]
DROP TABLE public.items;
-- drop domain public.positive
DROP DOMAIN public.positive;
-- drop function public.a_base(x integer)
DROP FUNCTION public.a_base(x integer);
COMMIT;
