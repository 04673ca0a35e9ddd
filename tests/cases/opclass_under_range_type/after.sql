CREATE FUNCTION public.rev_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  AS 'SELECT CASE WHEN $1 > $2 THEN -1 WHEN $1 < $2 THEN 1 ELSE 0 END';
CREATE OPERATOR CLASS public.int4_rev FOR TYPE integer USING btree AS
  OPERATOR 1 >, OPERATOR 2 >=, OPERATOR 3 =, OPERATOR 4 <=, OPERATOR 5 <, FUNCTION 1 public.rev_cmp(integer, integer);
-- a range ordered by the class: the class (and its function) are created first
CREATE TYPE public.rev_span AS RANGE (SUBTYPE = integer, SUBTYPE_OPCLASS = public.int4_rev);
CREATE TABLE public.t (s public.rev_span);
