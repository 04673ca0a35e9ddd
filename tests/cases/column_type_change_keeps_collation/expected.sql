BEGIN;
-- alter column public.t.added type character varying(20) -> text
ALTER TABLE public.t ALTER COLUMN added TYPE text COLLATE public.posix2;
-- alter column public.t.gone type character varying(20) -> date [data loss]
ALTER TABLE public.t ALTER COLUMN gone TYPE date USING gone::date;
-- alter column public.t.kept type text -> character varying(50) [data loss]
ALTER TABLE public.t ALTER COLUMN kept TYPE character varying(50) COLLATE public.posix2 USING kept::character varying(50);
-- alter column public.t.reset type text -> character varying(50) [data loss]
ALTER TABLE public.t ALTER COLUMN reset TYPE character varying(50) USING reset::character varying(50);
COMMIT;
