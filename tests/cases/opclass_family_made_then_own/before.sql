-- the class makes its family
CREATE OPERATOR CLASS public.num_ops FOR TYPE integer USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(integer, integer);
CREATE TABLE public.t (a integer);
CREATE INDEX t_a ON public.t (a public.num_ops);
