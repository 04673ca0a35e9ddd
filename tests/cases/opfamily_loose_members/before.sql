CREATE OPERATOR FAMILY public.ints USING btree;
CREATE OPERATOR CLASS public.int4_x FOR TYPE integer USING btree FAMILY public.ints AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(integer, integer);
CREATE OPERATOR CLASS public.int8_x FOR TYPE bigint USING btree FAMILY public.ints AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint8cmp(bigint, bigint);
-- across the two types: loose members of the family
ALTER OPERATOR FAMILY public.ints USING btree ADD
  OPERATOR 1 < (integer, bigint), OPERATOR 3 = (integer, bigint),
  FUNCTION 1 (integer, bigint) btint48cmp(integer, bigint);
CREATE TABLE public.t (a integer, b bigint);
CREATE INDEX t_a ON public.t (a public.int4_x);
CREATE INDEX t_b ON public.t (b public.int8_x);
