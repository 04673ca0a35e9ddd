BEGIN;
-- drop rule t_audit ON public.t
DROP RULE t_audit ON public.t;
-- drop rule t_guard ON public.t
DROP RULE t_guard ON public.t;
-- alter column public.t.id type bigint -> integer [data loss]
ALTER TABLE public.t ALTER COLUMN id TYPE integer USING id::integer;
-- alter column public.t.v type integer -> bigint
ALTER TABLE public.t ALTER COLUMN v TYPE bigint;
-- alter column public.t_log.id type integer -> bigint
ALTER TABLE public.t_log ALTER COLUMN id TYPE bigint;
-- create rule t_audit ON public.t
CREATE RULE t_audit AS
    ON DELETE TO public.t DO  INSERT INTO public.t_log (id, v)
  VALUES (old.v, 'gone'::text);
-- create rule t_guard ON public.t
CREATE RULE t_guard AS
    ON UPDATE TO public.t
   WHERE (old.id < 0) DO INSTEAD NOTHING;
COMMIT;
