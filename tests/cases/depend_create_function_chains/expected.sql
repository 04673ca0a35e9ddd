BEGIN;
-- create schema zlib
CREATE SCHEMA zlib;
-- enable row level security on public.plain
ALTER TABLE public.plain ENABLE ROW LEVEL SECURITY;
-- create function zlib.clamp(x integer, lo integer, hi integer)
CREATE OR REPLACE FUNCTION zlib.clamp(x integer, lo integer, hi integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
RETURN GREATEST(lo, LEAST(hi, x));
-- add column public.plain.doubled integer
ALTER TABLE public.plain ADD COLUMN doubled integer GENERATED ALWAYS AS (zlib.clamp((id * 2), 0, 1000)) STORED;
-- create function public.a_pct(x integer)
CREATE OR REPLACE FUNCTION public.a_pct(x integer DEFAULT zlib.clamp(50, 0, 100))
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
RETURN zlib.clamp(x, 0, 100);
-- create domain public.a_percent
CREATE DOMAIN public.a_percent AS integer;
ALTER DOMAIN public.a_percent ADD CONSTRAINT a_percent_check CHECK ((public.a_pct(VALUE) = VALUE));
-- add column public.plain.share public.a_percent
ALTER TABLE public.plain ADD COLUMN share public.a_percent DEFAULT public.a_pct();
-- add check plain_share_check on public.plain
ALTER TABLE public.plain ADD CONSTRAINT plain_share_check CHECK ((public.a_pct((share)::integer) >= 0));
-- create index plain_pct_idx on public.plain
CREATE INDEX plain_pct_idx ON public.plain USING btree (public.a_pct(id));
-- create policy plain_low on public.plain
CREATE POLICY plain_low ON public.plain AS PERMISSIVE FOR ALL TO PUBLIC USING ((public.a_pct(id) < 90));
COMMIT;
