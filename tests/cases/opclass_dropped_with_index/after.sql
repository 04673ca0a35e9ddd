CREATE FUNCTION public.rev_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  AS 'SELECT CASE WHEN $1 > $2 THEN -1 WHEN $1 < $2 THEN 1 ELSE 0 END';
CREATE TABLE public.t (a integer, b integer);
-- the same index, on the type's default class now
CREATE INDEX t_a ON public.t (a);
ALTER TABLE public.t ADD CONSTRAINT t_ab_key UNIQUE (a, b);
