BEGIN;
-- add value 'meh' to enum public.mood
ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'sad';
-- add value 'fine' to enum public.mood
ALTER TYPE public.mood ADD VALUE 'fine' AFTER 'ok';
-- add value 'ecstatic' to enum public.mood
ALTER TYPE public.mood ADD VALUE 'ecstatic' AFTER 'happy';
COMMIT;

BEGIN;
-- add column public.t.n public.mood
ALTER TABLE public.t ADD COLUMN n public.mood DEFAULT 'fine'::public.mood NOT NULL;
-- set default of public.t.m to 'ecstatic'::public.mood
ALTER TABLE public.t ALTER COLUMN m SET DEFAULT 'ecstatic'::public.mood;
COMMIT;
