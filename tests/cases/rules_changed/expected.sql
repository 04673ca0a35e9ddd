BEGIN;
-- drop rule archive_ro ON public.archive
DROP RULE archive_ro ON public.archive;
-- drop rule log_insert ON public.orders
DROP RULE log_insert ON public.orders;
-- drop rule no_delete ON public.orders
DROP RULE no_delete ON public.orders;
-- drop table public.archive [data loss]
DROP TABLE public.archive;
-- create rule log_insert ON public.orders
CREATE RULE log_insert AS
    ON INSERT TO public.orders DO  INSERT INTO public.orders_log (id, total)
  VALUES (new.id, (new.total * (100)::numeric));
-- create rule log_update ON public.orders
CREATE RULE log_update AS
    ON UPDATE TO public.orders
   WHERE (old.total IS DISTINCT FROM new.total) DO  INSERT INTO public.orders_log (id, total)
  VALUES (new.id, new.total);
-- comment on rule log_update ON public.orders
COMMENT ON RULE log_update ON public.orders IS 'audit total changes';
COMMIT;
