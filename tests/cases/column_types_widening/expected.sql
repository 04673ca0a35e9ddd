BEGIN;
-- alter column public.t.a type character varying(50) -> character varying(100)
ALTER TABLE public.t ALTER COLUMN a TYPE character varying(100);
-- alter column public.t.b type integer -> bigint
ALTER TABLE public.t ALTER COLUMN b TYPE bigint;
-- alter column public.t.c type character varying(20) -> text
ALTER TABLE public.t ALTER COLUMN c TYPE text;
-- alter column public.t.d type numeric(10,2) -> numeric(14,3)
ALTER TABLE public.t ALTER COLUMN d TYPE numeric(14,3);
-- alter column public.t.e type smallint[] -> integer[]
ALTER TABLE public.t ALTER COLUMN e TYPE integer[];
-- alter column public.t.f type real -> double precision
ALTER TABLE public.t ALTER COLUMN f TYPE double precision;
COMMIT;
