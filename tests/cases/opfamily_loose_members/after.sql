CREATE OPERATOR FAMILY public.ints USING btree;
CREATE OPERATOR CLASS public.int4_x FOR TYPE integer USING btree FAMILY public.ints AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(integer, integer);
CREATE OPERATOR CLASS public.int8_x FOR TYPE bigint USING btree FAMILY public.ints AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint8cmp(bigint, bigint);
-- more members across the types: the family is dropped and created again, its classes and
-- the indexes using them around it
ALTER OPERATOR FAMILY public.ints USING btree ADD
  OPERATOR 1 < (integer, bigint), OPERATOR 3 = (integer, bigint), OPERATOR 5 > (integer, bigint),
  FUNCTION 1 (integer, bigint) btint48cmp(integer, bigint),
  OPERATOR 1 < (bigint, integer), OPERATOR 3 = (bigint, integer),
  FUNCTION 1 (bigint, integer) btint84cmp(bigint, integer);
COMMENT ON OPERATOR FAMILY public.ints USING btree IS 'integers of both widths';
CREATE TABLE public.t (a integer, b bigint);
CREATE INDEX t_a ON public.t (a public.int4_x);
CREATE INDEX t_b ON public.t (b public.int8_x);
