BEGIN;
-- create collation public.posix2
CREATE COLLATION public.posix2 (provider = libc, lc_collate = 'POSIX', lc_ctype = 'POSIX');
-- create text search dictionary public.simple_en
CREATE TEXT SEARCH DICTIONARY public.simple_en (TEMPLATE = pg_catalog.simple, stopwords = 'english');
-- create text search configuration public.cfg
CREATE TEXT SEARCH CONFIGURATION public.cfg (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR asciihword WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR asciiword WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR email WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR file WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR float WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR host WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR hword WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR hword_asciipart WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR hword_numpart WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR hword_part WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR int WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR numhword WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR numword WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR sfloat WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR uint WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR url WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR url_path WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR version WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR word WITH public.simple_en;
-- create range type public.floatr
CREATE TYPE public.floatr AS RANGE (SUBTYPE = double precision, SUBTYPE_DIFF = float8mi, MULTIRANGE_TYPE_NAME = public.floatr_multirange);
-- create type public.pair
CREATE TYPE public.pair AS (a integer, b text COLLATE pg_catalog."C");
-- create table public.t_log
CREATE TABLE public.t_log (
    id integer
);
-- add column public.t.p public.pair
ALTER TABLE public.t ADD COLUMN p public.pair;
-- add column public.t.r public.floatr
ALTER TABLE public.t ADD COLUMN r public.floatr;
-- create function public.int_eq(integer, integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.int_eq(integer, integer)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT $1 = $2$function$;
-- create function public.pair_text(public.pair)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.pair_text(public.pair)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT $1.b$function$;
-- create cast (public.pair AS text)
CREATE CAST (public.pair AS text) WITH FUNCTION public.pair_text(public.pair);
-- create operator public.=== (integer, integer)
CREATE OPERATOR public.=== (FUNCTION = public.int_eq, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = OPERATOR(public.===));
-- create rule t_log_ins ON public.t
CREATE RULE t_log_ins AS
    ON INSERT TO public.t DO  INSERT INTO public.t_log (id)
  VALUES (new.id);
-- comment on operator public.=== (integer, integer)
COMMENT ON OPERATOR public.=== (integer, integer) IS 'equal';
COMMIT;
