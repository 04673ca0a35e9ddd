CREATE TABLE public.orders (id integer PRIMARY KEY, total numeric);
CREATE TABLE public.orders_log (id integer, total numeric, at timestamptz DEFAULT now());
CREATE TABLE public.archive (id integer PRIMARY KEY);
CREATE RULE log_insert AS ON INSERT TO public.orders DO ALSO INSERT INTO public.orders_log (id, total) VALUES (NEW.id, NEW.total);
CREATE RULE no_delete AS ON DELETE TO public.orders DO INSTEAD NOTHING;
CREATE RULE archive_ro AS ON UPDATE TO public.archive DO INSTEAD NOTHING;
