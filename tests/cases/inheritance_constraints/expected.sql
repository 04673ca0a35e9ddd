BEGIN;
-- inherit public.p in public.c2
ALTER TABLE public.c2 INHERIT public.p;
-- add check c_own on public.c
ALTER TABLE public.c ADD CONSTRAINT c_own CHECK ((extra <> ''::text));
-- add check n_pos on public.p
ALTER TABLE public.p ADD CONSTRAINT n_pos CHECK ((n > 0));
-- add check p_only on public.p
ALTER TABLE public.p ADD CONSTRAINT p_only CHECK ((id > 0)) NO INHERIT;
COMMIT;
