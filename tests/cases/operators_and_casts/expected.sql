BEGIN;
-- drop cast (public.money2 AS text)
DROP CAST (public.money2 AS text);
-- drop operator public.<<< (integer, integer)
DROP OPERATOR public.<<< (integer, integer);
-- drop operator public.=== (integer, integer)
DROP OPERATOR public.=== (integer, integer);
-- create table public.pairs
CREATE TABLE public.pairs (
    a integer,
    b integer
);
-- create cast (public.money2 AS character varying)
CREATE CAST (public.money2 AS character varying) WITH INOUT;
-- create cast (public.money2 AS text)
CREATE CAST (public.money2 AS text) WITH FUNCTION public.money2_text(public.money2) AS IMPLICIT;
-- create operator public.!== (integer, integer)
CREATE OPERATOR public.!== (FUNCTION = public.ine, LEFTARG = integer, RIGHTARG = integer, NEGATOR = OPERATOR(public.===));
-- create operator public.=== (integer, integer)
CREATE OPERATOR public.=== (FUNCTION = public.ieq, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = OPERATOR(public.===), NEGATOR = OPERATOR(public.!==), RESTRICT = eqsel, JOIN = eqjoinsel);
-- create operator public.~~~ (integer, integer)
CREATE OPERATOR public.~~~ (FUNCTION = public.ine, LEFTARG = integer, RIGHTARG = integer);
-- add check pairs_check on public.pairs
ALTER TABLE public.pairs ADD CONSTRAINT pairs_check CHECK ((a OPERATOR(public.!==) b));
-- comment on cast (public.money2 AS text)
COMMENT ON CAST (public.money2 AS text) IS 'for display';
-- comment on operator public.!== (integer, integer)
COMMENT ON OPERATOR public.!== (integer, integer) IS 'not equal';
COMMIT;
