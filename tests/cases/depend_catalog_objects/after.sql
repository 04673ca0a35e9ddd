CREATE FUNCTION public.ieq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE OPERATOR public.=== (FUNCTION = public.ieq, LEFTARG = integer, RIGHTARG = integer);
-- a SQL-standard body is tracked by pg_depend: it needs the operator first
CREATE FUNCTION public.same(x integer, y integer) RETURNS boolean LANGUAGE sql IMMUTABLE
  BEGIN ATOMIC SELECT x OPERATOR(public.===) y; END;
CREATE TYPE public.span AS RANGE (SUBTYPE = integer);
CREATE FUNCTION public.span_len(s public.span) RETURNS integer LANGUAGE sql IMMUTABLE
  BEGIN ATOMIC SELECT upper(s) - lower(s); END;
CREATE TABLE public.t (a integer, b integer, s public.span);
CREATE TABLE public.t_log (a integer);
CREATE RULE t_log AS ON INSERT TO public.t DO ALSO INSERT INTO public.t_log VALUES (NEW.a);
CREATE VIEW public.t_same AS SELECT a, b, public.same(a, b) AS same FROM public.t;
