BEGIN;
-- drop operator public.=== (integer, integer)
DROP OPERATOR public.=== (integer, integer);
-- drop function public.ieq(integer, integer)
DROP FUNCTION public.ieq(integer, integer);
-- drop text search configuration public.docs
DROP TEXT SEARCH CONFIGURATION public.docs;
-- drop text search dictionary public.en_simple
DROP TEXT SEARCH DICTIONARY public.en_simple;
-- create text search dictionary public.en_simple
CREATE TEXT SEARCH DICTIONARY public.en_simple (TEMPLATE = pg_catalog.simple, stopwords = 'english', accept = 'false');
-- create text search configuration public.docs
CREATE TEXT SEARCH CONFIGURATION public.docs (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR asciiword WITH public.en_simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR word WITH public.en_simple;
-- create function public.ieq(a integer, b integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.ieq(a integer, b integer)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT $1 = $2$function$;
-- create operator public.=== (integer, integer)
CREATE OPERATOR public.=== (FUNCTION = public.ieq, LEFTARG = integer, RIGHTARG = integer);
COMMIT;
