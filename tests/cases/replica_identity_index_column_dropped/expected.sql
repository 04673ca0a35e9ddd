BEGIN;
-- set replica identity of public.t to full
ALTER TABLE public.t REPLICA IDENTITY FULL;
-- drop index t_code on public.t
DROP INDEX public.t_code;
-- drop column public.t.code [data loss]
ALTER TABLE public.t DROP COLUMN code;
-- set replica identity of public.u to default
ALTER TABLE public.u REPLICA IDENTITY DEFAULT;
-- drop unique u_code on public.u
ALTER TABLE public.u DROP CONSTRAINT u_code;
-- drop column public.u.code [data loss]
ALTER TABLE public.u DROP COLUMN code;
COMMIT;
