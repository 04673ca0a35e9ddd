CREATE FUNCTION public.ieq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE FUNCTION public.ine(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> $2';
CREATE FUNCTION public.ilt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE OPERATOR public.=== (FUNCTION = public.ieq, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = ===, NEGATOR = !==,
                            RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE OPERATOR public.!== (FUNCTION = public.ine, LEFTARG = integer, RIGHTARG = integer, NEGATOR = ===);
CREATE OPERATOR public.~~~ (FUNCTION = public.ine, RIGHTARG = integer, LEFTARG = integer);
CREATE TYPE public.money2 AS (amount numeric, currency text);
CREATE FUNCTION public.money2_text(public.money2) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT $1.amount || ' ' || $1.currency$$;
CREATE CAST (public.money2 AS text) WITH FUNCTION public.money2_text(public.money2) AS IMPLICIT;
CREATE CAST (public.money2 AS varchar) WITH INOUT;
COMMENT ON OPERATOR public.!== (integer, integer) IS 'not equal';
COMMENT ON CAST (public.money2 AS text) IS 'for display';
CREATE TABLE public.pairs (a integer, b integer, CHECK (a !== b));
