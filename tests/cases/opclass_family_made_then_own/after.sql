CREATE OPERATOR CLASS public.num_ops FOR TYPE integer USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(integer, integer);
-- a loose member: the family is an object of its own now
ALTER OPERATOR FAMILY public.num_ops USING btree ADD
  OPERATOR 1 < (integer, bigint), FUNCTION 1 (integer, bigint) btint48cmp(integer, bigint);
CREATE TABLE public.t (a integer);
CREATE INDEX t_a ON public.t (a public.num_ops);
