BEGIN;
-- drop trigger people_mood on public.people
DROP TRIGGER people_mood ON public.people;
-- drop view public.happy_people
DROP VIEW public.happy_people;
-- drop function public.is_happy(m public.mood)
DROP FUNCTION public.is_happy(m public.mood);
-- recreate enum public.mood (remove 'meh'; 1 column re-cast) [data loss]
ALTER TYPE public.mood RENAME TO mood__old;
CREATE TYPE public.mood AS ENUM ('sad', 'happy');
ALTER TABLE public.people ALTER COLUMN mood DROP DEFAULT, ALTER COLUMN mood TYPE public.mood USING mood::text::public.mood, ALTER COLUMN mood SET DEFAULT 'sad'::public.mood;
DROP TYPE public.mood__old;
-- create function public.is_happy(m public.mood)
CREATE OR REPLACE FUNCTION public.is_happy(m public.mood)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
RETURN (m = 'happy'::public.mood);
-- create view public.happy_people
CREATE VIEW public.happy_people AS
SELECT people.id
   FROM public.people
  WHERE public.is_happy(people.mood);
-- create trigger people_mood on public.people
CREATE TRIGGER people_mood AFTER UPDATE OF mood ON public.people FOR EACH ROW WHEN ((old.mood IS DISTINCT FROM new.mood)) EXECUTE FUNCTION public.note_change();
COMMIT;
