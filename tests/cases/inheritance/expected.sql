BEGIN;
-- add column public.loose.author text
ALTER TABLE public.loose ADD COLUMN author text;
-- add column public.notes.author text
ALTER TABLE public.notes ADD COLUMN author text;
-- inherit public.notes in public.loose
ALTER TABLE public.loose INHERIT public.notes;
COMMIT;
