BEGIN;
-- drop view public.labels
DROP VIEW public.labels;
-- drop check u_label_check on public.u
ALTER TABLE public.u DROP CONSTRAINT u_label_check;
-- drop index u_label_idx on public.u
DROP INDEX public.u_label_idx;
-- drop function public.label(x integer)
DROP FUNCTION public.label(x integer);
-- drop default of public.u.n
ALTER TABLE public.u ALTER COLUMN n DROP DEFAULT;
-- drop function public.seed()
DROP FUNCTION public.seed();
-- create function public.label(x integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.label(x integer)
 RETURNS character varying
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT x::varchar $function$;
-- create function public.seed()
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.seed()
 RETURNS bigint
 LANGUAGE sql
AS $function$ SELECT 1::bigint $function$;
-- set default of public.u.n to public.seed()
ALTER TABLE public.u ALTER COLUMN n SET DEFAULT public.seed();
-- add check u_label_check on public.u
ALTER TABLE public.u ADD CONSTRAINT u_label_check CHECK (((public.label(id))::text <> ''::text));
-- create index u_label_idx on public.u
CREATE INDEX u_label_idx ON public.u USING btree (public.label(id));
-- create view public.labels
CREATE VIEW public.labels AS
SELECT public.label(t.id) AS l
   FROM public.t;
COMMIT;
