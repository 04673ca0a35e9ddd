CREATE FUNCTION public.ieq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE FUNCTION public.ine(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> $2';
CREATE FUNCTION public.ilt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE OPERATOR public.=== (FUNCTION = public.ieq, LEFTARG = integer, RIGHTARG = integer);
CREATE OPERATOR public.<<< (FUNCTION = public.ilt, LEFTARG = integer, RIGHTARG = integer);
CREATE TYPE public.money2 AS (amount numeric, currency text);
CREATE FUNCTION public.money2_text(public.money2) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT $1.amount || ' ' || $1.currency$$;
CREATE CAST (public.money2 AS text) WITH FUNCTION public.money2_text(public.money2) AS ASSIGNMENT;
