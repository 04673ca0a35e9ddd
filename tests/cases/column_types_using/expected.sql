BEGIN;
-- alter column public.t.a type text -> integer [data loss]
ALTER TABLE public.t ALTER COLUMN a DROP DEFAULT;
ALTER TABLE public.t ALTER COLUMN a TYPE integer USING a::integer;
ALTER TABLE public.t ALTER COLUMN a SET DEFAULT 12;
-- alter column public.t.b type integer -> text
ALTER TABLE public.t ALTER COLUMN b DROP DEFAULT;
ALTER TABLE public.t ALTER COLUMN b TYPE text USING b::text;
ALTER TABLE public.t ALTER COLUMN b SET DEFAULT '0'::text;
-- alter column public.t.c type timestamp without time zone -> timestamp with time zone [data loss]
ALTER TABLE public.t ALTER COLUMN c TYPE timestamp with time zone USING c::timestamp with time zone;
-- alter column public.t.d type character varying(200) -> character varying(20) [data loss]
ALTER TABLE public.t ALTER COLUMN d TYPE character varying(20) USING d::character varying(20);
-- alter column public.t.e type text -> uuid [data loss]
ALTER TABLE public.t ALTER COLUMN e TYPE uuid USING e::uuid;
-- alter column public.t.f type bigint -> integer [data loss]
ALTER TABLE public.t ALTER COLUMN f TYPE integer USING f::integer;
-- alter column public.t.g type json -> jsonb [data loss]
ALTER TABLE public.t ALTER COLUMN g TYPE jsonb USING g::jsonb;
-- alter column public.t.h type text -> inet [data loss]
ALTER TABLE public.t ALTER COLUMN h TYPE inet USING h::inet;
COMMIT;
