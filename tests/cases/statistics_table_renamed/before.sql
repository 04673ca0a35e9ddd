CREATE TABLE public.orders (id integer, customer integer, region text);
CREATE STATISTICS public.orders_stats (dependencies) ON customer, region FROM public.orders;
INSERT INTO public.orders VALUES (1, 1, 'north');
