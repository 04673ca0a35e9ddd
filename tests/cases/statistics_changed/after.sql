-- c is dropped: t_ac, which reads it, goes first
CREATE TABLE public.t (a integer, b integer, d text, e integer);
-- other kinds: dropped and created again
CREATE STATISTICS public.t_ab (dependencies) ON a, b FROM public.t;
-- a statistics target only
CREATE STATISTICS public.t_bd (mcv) ON b, d FROM public.t;
ALTER STATISTICS public.t_bd SET STATISTICS 500;
-- over an expression, and over a new column
CREATE STATISTICS public.t_expr ON (a + b), e FROM public.t;
COMMENT ON STATISTICS public.t_expr IS 'sums';
