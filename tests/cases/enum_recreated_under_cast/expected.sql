BEGIN;
-- drop cast (public.mood AS integer)
DROP CAST (public.mood AS integer);
-- recreate enum public.mood (remove 'red'; 1 column re-cast) [data loss]
ALTER TYPE public.mood RENAME TO mood__old;
CREATE TYPE public.mood AS ENUM ('green', 'blue');
ALTER TABLE public.t ALTER COLUMN m TYPE public.mood USING m::text::public.mood;
DROP TYPE public.mood__old;
-- create cast (public.mood AS integer)
CREATE CAST (public.mood AS integer) WITH INOUT AS ASSIGNMENT;
COMMIT;
