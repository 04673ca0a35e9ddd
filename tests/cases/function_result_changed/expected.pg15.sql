BEGIN;
-- drop view public.labels
DROP VIEW public.labels;
-- drop function public.label(x integer)
DROP FUNCTION public.label(x integer);
-- create function public.label(x integer)
CREATE OR REPLACE FUNCTION public.label(x integer)
 RETURNS character varying
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT x::varchar $function$;
-- create view public.labels
CREATE VIEW public.labels AS
SELECT public.label(t.id) AS l
   FROM public.t;
COMMIT;
