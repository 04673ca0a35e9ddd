CREATE FUNCTION public.rev_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  AS 'SELECT CASE WHEN $1 > $2 THEN -1 WHEN $1 < $2 THEN 1 ELSE 0 END';
CREATE OPERATOR CLASS public.rev_ops FOR TYPE integer USING btree AS
  OPERATOR 1 >, OPERATOR 2 >=, OPERATOR 3 =, OPERATOR 4 <=, OPERATOR 5 <, FUNCTION 1 public.rev_cmp(integer, integer);
CREATE TABLE public.t (a integer, b integer);
CREATE INDEX t_a ON public.t (a public.rev_ops);
CREATE INDEX t_b ON public.t (b public.rev_ops);
ALTER TABLE public.t ADD CONSTRAINT t_ab_key UNIQUE (a, b);
