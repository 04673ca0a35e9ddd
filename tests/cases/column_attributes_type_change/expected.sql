BEGIN;
-- alter column public.t.code type character varying(20) -> text
ALTER TABLE public.t ALTER COLUMN code TYPE text;
ALTER TABLE ONLY public.t ALTER COLUMN code SET STORAGE MAIN;
-- alter column public.t.n type integer -> bigint
ALTER TABLE public.t ALTER COLUMN n TYPE bigint;
-- alter column public.t.note type text -> character varying(100) [data loss]
ALTER TABLE public.t ALTER COLUMN note TYPE character varying(100) USING note::character varying(100);
-- set statistics target of public.t.n to 10
ALTER TABLE ONLY public.t ALTER COLUMN n SET STATISTICS 10;
COMMIT;
