BEGIN;
-- drop statistics public.gone_xy
DROP STATISTICS public.gone_xy;
-- drop statistics public.t_ab
DROP STATISTICS public.t_ab;
-- drop statistics public.t_ac
DROP STATISTICS public.t_ac;
-- drop statistics public.t_bd
DROP STATISTICS public.t_bd;
-- drop column public.t.c [data loss]
ALTER TABLE public.t DROP COLUMN c;
-- drop table public.gone [data loss]
DROP TABLE public.gone;
-- add column public.t.e integer
ALTER TABLE public.t ADD COLUMN e integer;
-- create statistics public.t_ab
CREATE STATISTICS public.t_ab (dependencies) ON a, b FROM public.t;
-- create statistics public.t_bd
CREATE STATISTICS public.t_bd (mcv) ON b, d FROM public.t;
ALTER STATISTICS public.t_bd SET STATISTICS 500;
-- create statistics public.t_expr
CREATE STATISTICS public.t_expr ON e, (a + b) FROM public.t;
-- comment on statistics public.t_expr
COMMENT ON STATISTICS public.t_expr IS 'sums';
COMMIT;
