BEGIN;
-- drop column public.p.gone [data loss]
ALTER TABLE public.p DROP COLUMN gone;
-- add column public.c.own integer
ALTER TABLE public.c ADD COLUMN own integer;
-- add column public.p.added integer
ALTER TABLE public.p ADD COLUMN added integer DEFAULT 5;
-- create table public.c3
CREATE TABLE public.c3 (
    id integer DEFAULT 7 NOT NULL,
    own integer
) INHERITS (public.p);
ALTER TABLE ONLY public.c3 ALTER COLUMN added SET DEFAULT 6;
-- set default of public.c.n to 2
ALTER TABLE public.c ALTER COLUMN n SET DEFAULT 2;
COMMIT;
