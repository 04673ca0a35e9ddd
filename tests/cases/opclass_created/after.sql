CREATE FUNCTION public.rev_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  AS 'SELECT CASE WHEN $1 > $2 THEN -1 WHEN $1 < $2 THEN 1 ELSE 0 END';
CREATE FUNCTION public.rev_lt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > $2';
CREATE FUNCTION public.rev_gt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE OPERATOR public.<<< (FUNCTION = public.rev_lt, LEFTARG = integer, RIGHTARG = integer);
CREATE OPERATOR public.>>> (FUNCTION = public.rev_gt, LEFTARG = integer, RIGHTARG = integer);
-- makes its family public.rev_ops USING btree along with it
CREATE OPERATOR CLASS public.rev_ops FOR TYPE integer USING btree AS
  OPERATOR 1 public.<<<, OPERATOR 3 =, OPERATOR 5 public.>>>, FUNCTION 1 public.rev_cmp(integer, integer);
-- a hash class in a family of its own name
CREATE OPERATOR CLASS public.text_len_ops FOR TYPE text USING hash AS
  OPERATOR 1 = , FUNCTION 1 hashtext(text);
COMMENT ON OPERATOR CLASS public.rev_ops USING btree IS 'descending integers';
CREATE TABLE public.t (a integer, b text);
CREATE INDEX t_a_rev ON public.t (a public.rev_ops);
CREATE INDEX t_b_hash ON public.t USING hash (b public.text_len_ops);
