BEGIN;
-- drop view public.happy
DROP VIEW public.happy;
-- drop check t_m_check on public.t
ALTER TABLE public.t DROP CONSTRAINT t_m_check;
-- drop index t_happy_idx on public.t
DROP INDEX public.t_happy_idx;
-- recreate enum public.mood (remove 'unused'; 2 columns re-cast) [data loss]
ALTER TYPE public.mood RENAME TO mood__old;
CREATE TYPE public.mood AS ENUM ('happy', 'ok', 'sad');
ALTER TABLE public.t ALTER COLUMN m DROP DEFAULT, ALTER COLUMN m TYPE public.mood USING m::text::public.mood, ALTER COLUMN m SET DEFAULT 'ok'::public.mood, ALTER COLUMN ms TYPE public.mood[] USING ms::text[]::public.mood[];
DROP TYPE public.mood__old;
-- add check t_m_check on public.t
ALTER TABLE public.t ADD CONSTRAINT t_m_check CHECK ((m <> 'sad'::public.mood));
-- create index t_happy_idx on public.t
CREATE INDEX t_happy_idx ON public.t USING btree (id) WHERE (m = 'happy'::public.mood);
-- create view public.happy
CREATE VIEW public.happy AS
SELECT t.id,
    t.m
   FROM public.t
  WHERE (t.m = 'happy'::public.mood);
COMMIT;
