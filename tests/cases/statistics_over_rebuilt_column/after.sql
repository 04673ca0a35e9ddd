-- b's expression changes (dropped and added again before PostgreSQL 17), c is no longer generated
CREATE TABLE public.t (a integer, b integer GENERATED ALWAYS AS (a * 3) STORED, c integer);
CREATE STATISTICS public.t_ab ON a, b FROM public.t;
CREATE STATISTICS public.t_ac ON a, c FROM public.t;
