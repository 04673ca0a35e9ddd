BEGIN;
-- drop policy gone on public.t
DROP POLICY gone ON public.t;
-- drop policy p_kind on public.t
DROP POLICY p_kind ON public.t;
-- create table public.scratch
CREATE UNLOGGED TABLE public.scratch (
    k text
);
-- make public.cache logged
ALTER TABLE public.cache SET LOGGED;
-- enable row level security on public.t
ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
-- set storage options of public.u to (autovacuum_enabled=false, fillfactor=80)
ALTER TABLE public.u SET (autovacuum_enabled=false, fillfactor=80);
-- force row level security on public.t
ALTER TABLE public.t FORCE ROW LEVEL SECURITY;
-- alter policy p_read on public.t
ALTER POLICY p_read ON public.t TO pg_monitor USING ((owner_name = SESSION_USER));
-- create policy p_kind on public.t
CREATE POLICY p_kind ON public.t AS RESTRICTIVE FOR UPDATE TO PUBLIC USING (true) WITH CHECK ((id > 0));
-- create policy p_new on public.t
CREATE POLICY p_new ON public.t AS PERMISSIVE FOR INSERT TO PUBLIC WITH CHECK ((id > 0));
COMMIT;
