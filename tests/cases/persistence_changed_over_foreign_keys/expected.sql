BEGIN;
-- make public.lines unlogged
ALTER TABLE public.lines SET UNLOGGED;
-- make public.orders unlogged
ALTER TABLE public.orders SET UNLOGGED;
-- make public.accounts unlogged
ALTER TABLE public.accounts SET UNLOGGED;
COMMIT;
