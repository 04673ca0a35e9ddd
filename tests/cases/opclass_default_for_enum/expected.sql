BEGIN;
-- drop index t_m on public.t
DROP INDEX public.t_m;
-- drop operator class public.mood_hash USING hash
DROP OPERATOR CLASS public.mood_hash USING hash;
-- drop operator family public.mood_hash USING hash
DROP OPERATOR FAMILY public.mood_hash USING hash;
-- create operator family public.mood_hash USING hash
CREATE OPERATOR FAMILY public.mood_hash USING hash;
ALTER OPERATOR FAMILY public.mood_hash USING hash ADD OPERATOR 1 =(anyenum,anyenum), FUNCTION 1 (anyenum, anyenum) hashenum(anyenum), FUNCTION 2 (anyenum, anyenum) hashenumextended(anyenum,bigint);
-- create operator class public.mood_hash USING hash
CREATE OPERATOR CLASS public.mood_hash DEFAULT FOR TYPE public.mood USING hash FAMILY public.mood_hash AS STORAGE public.mood;
-- create index t_m on public.t
CREATE INDEX t_m ON public.t USING hash (m);
COMMIT;
