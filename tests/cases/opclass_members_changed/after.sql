CREATE FUNCTION public.rev_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  AS 'SELECT CASE WHEN $1 > $2 THEN -1 WHEN $1 < $2 THEN 1 ELSE 0 END';
CREATE FUNCTION public.abs_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  AS 'SELECT btint4cmp(abs($1), abs($2))';
-- another support function and one more operator: dropped and created again, its users around it
CREATE OPERATOR CLASS public.my_ops FOR TYPE integer USING btree AS
  OPERATOR 1 >, OPERATOR 2 >=, OPERATOR 3 =, OPERATOR 5 <, FUNCTION 1 public.abs_cmp(integer, integer);
CREATE TABLE public.t (a integer, b integer);
CREATE INDEX t_a ON public.t (a public.my_ops);
CREATE INDEX t_b ON public.t (b);
ALTER TABLE public.t ADD CONSTRAINT t_b_excl EXCLUDE USING btree (b public.my_ops WITH =);
