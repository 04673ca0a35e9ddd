BEGIN;
-- create range type public.span
CREATE TYPE public.span AS RANGE (SUBTYPE = integer, MULTIRANGE_TYPE_NAME = public.span_multirange);
-- create table public.t_log
CREATE TABLE public.t_log (
    a integer
);
-- add column public.t.s public.span
ALTER TABLE public.t ADD COLUMN s public.span;
-- create function public.span_len(s public.span)
CREATE OR REPLACE FUNCTION public.span_len(s public.span)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
BEGIN ATOMIC
 SELECT (upper(s) - lower(s));
END;
-- create function public.ieq(integer, integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.ieq(integer, integer)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT $1 = $2$function$;
-- create operator public.=== (integer, integer)
CREATE OPERATOR public.=== (FUNCTION = public.ieq, LEFTARG = integer, RIGHTARG = integer);
-- create function public.same(x integer, y integer)
CREATE OR REPLACE FUNCTION public.same(x integer, y integer)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
BEGIN ATOMIC
 SELECT (x OPERATOR(public.===) y);
END;
-- create view public.t_same
CREATE VIEW public.t_same AS
SELECT t.a,
    t.b,
    public.same(t.a, t.b) AS same
   FROM public.t;
-- create rule t_log ON public.t
CREATE RULE t_log AS
    ON INSERT TO public.t DO  INSERT INTO public.t_log (a)
  VALUES (new.a);
COMMIT;
