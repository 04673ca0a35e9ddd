-- the statistics follow the renames of their table and column: nothing to do for them
CREATE TABLE public.purchases (id integer, customer integer, area text);
CREATE STATISTICS public.orders_stats (dependencies) ON customer, area FROM public.purchases;
