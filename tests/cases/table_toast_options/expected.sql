BEGIN;
-- create table public.d
CREATE TABLE public.d (
    id integer,
    body text
) WITH (autovacuum_enabled=false, toast.autovacuum_enabled=false);
-- set storage options of public.a to (fillfactor=90)
ALTER TABLE public.a RESET (toast.autovacuum_enabled);
-- set storage options of public.b to (toast.autovacuum_enabled=true, toast.autovacuum_vacuum_scale_factor=0.05)
ALTER TABLE public.b SET (toast.autovacuum_enabled=true, toast.autovacuum_vacuum_scale_factor=0.05);
-- make public.c logged
ALTER TABLE public.c SET LOGGED;
-- set storage options of public.c to (toast.vacuum_truncate=true)
ALTER TABLE public.c SET (toast.vacuum_truncate=true);
-- force row level security on public.d
ALTER TABLE public.d FORCE ROW LEVEL SECURITY;
COMMIT;
