CREATE TABLE public.t (a integer, b integer, c integer, d text);
CREATE STATISTICS public.t_ab (ndistinct) ON a, b FROM public.t;
CREATE STATISTICS public.t_ac ON a, c FROM public.t;
CREATE STATISTICS public.t_bd (mcv) ON b, d FROM public.t;
CREATE TABLE public.gone (x integer, y integer);
CREATE STATISTICS public.gone_xy ON x, y FROM public.gone;
