CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
-- a member more: the class is dropped and created again, the index rebuilt around it
CREATE OPERATOR CLASS public.mood_hash DEFAULT FOR TYPE public.mood USING hash AS
  OPERATOR 1 = (anyenum, anyenum), FUNCTION 1 hashenum(anyenum), FUNCTION 2 hashenumextended(anyenum, bigint);
CREATE TABLE public.t (m public.mood);
CREATE INDEX t_m ON public.t USING hash (m);
