BEGIN;
-- detach partition public.p_0 from public.p
ALTER TABLE public.p DETACH PARTITION public.p_0;
-- drop column public.p.v1 [data loss]
ALTER TABLE public.p DROP COLUMN v1;
-- drop column public.p_0.v1 [data loss]
ALTER TABLE public.p_0 DROP COLUMN v1;
-- add column public.p.v2 integer
ALTER TABLE public.p ADD COLUMN v2 integer;
-- add column public.p_0.v2 integer
ALTER TABLE public.p_0 ADD COLUMN v2 integer;
-- alter column public.p.v0 type character varying(20) -> text
ALTER TABLE public.p ALTER COLUMN v0 TYPE text;
-- alter column public.p_0.v0 type character varying(20) -> text
ALTER TABLE public.p_0 ALTER COLUMN v0 TYPE text;
-- attach partition public.p_0 to public.p
ALTER TABLE public.p ATTACH PARTITION public.p_0 DEFAULT;
COMMIT;
