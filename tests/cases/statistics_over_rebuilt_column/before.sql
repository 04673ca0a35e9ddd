CREATE TABLE public.t (a integer, b integer GENERATED ALWAYS AS (a * 2) STORED, c integer);
CREATE STATISTICS public.t_ab ON a, b FROM public.t;
CREATE STATISTICS public.t_ac ON a, c FROM public.t;
