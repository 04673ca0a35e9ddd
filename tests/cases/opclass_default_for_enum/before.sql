CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
-- the type's default hash class: the index does not name it, pg_depend does
CREATE OPERATOR CLASS public.mood_hash DEFAULT FOR TYPE public.mood USING hash AS
  OPERATOR 1 = (anyenum, anyenum), FUNCTION 1 hashenum(anyenum);
CREATE TABLE public.t (m public.mood);
CREATE INDEX t_m ON public.t USING hash (m);
