CREATE TABLE public.orders (id integer PRIMARY KEY, total numeric);
CREATE TABLE public.orders_log (id integer, total numeric, at timestamptz DEFAULT now());
CREATE RULE log_insert AS ON INSERT TO public.orders DO ALSO INSERT INTO public.orders_log (id, total) VALUES (NEW.id, NEW.total * 100);
CREATE RULE log_update AS ON UPDATE TO public.orders WHERE OLD.total IS DISTINCT FROM NEW.total
  DO ALSO INSERT INTO public.orders_log (id, total) VALUES (NEW.id, NEW.total);
COMMENT ON RULE log_update ON public.orders IS 'audit total changes';
