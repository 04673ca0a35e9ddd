BEGIN;
-- create function public.rev_cmp(integer, integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.rev_cmp(integer, integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT CASE WHEN $1 > $2 THEN -1 WHEN $1 < $2 THEN 1 ELSE 0 END$function$;
-- create operator class public.int4_rev USING btree
CREATE OPERATOR CLASS public.int4_rev FOR TYPE integer USING btree AS OPERATOR 1 >(integer,integer), OPERATOR 2 >=(integer,integer), OPERATOR 3 =(integer,integer), OPERATOR 4 <=(integer,integer), OPERATOR 5 <(integer,integer), FUNCTION 1 (integer, integer) public.rev_cmp(integer,integer);
-- create range type public.rev_span
CREATE TYPE public.rev_span AS RANGE (SUBTYPE = integer, SUBTYPE_OPCLASS = public.int4_rev, MULTIRANGE_TYPE_NAME = public.rev_span_multirange);
-- create table public.t
CREATE TABLE public.t (
    s public.rev_span
);
COMMIT;
