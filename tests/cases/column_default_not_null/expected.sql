BEGIN;
-- drop default of public.t.b
ALTER TABLE public.t ALTER COLUMN b DROP DEFAULT;
-- drop not null on public.t.c
ALTER TABLE public.t ALTER COLUMN c DROP NOT NULL;
-- set not null on public.t.a
ALTER TABLE public.t ALTER COLUMN a SET NOT NULL;
-- set default of public.t.a to 5
ALTER TABLE public.t ALTER COLUMN a SET DEFAULT 5;
-- create function public.new_code()
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.new_code()
 RETURNS text
 LANGUAGE sql
AS $function$ SELECT 'n' $function$;
-- set default of public.t.d to public.new_code()
ALTER TABLE public.t ALTER COLUMN d SET DEFAULT public.new_code();
-- drop function public.next_code()
DROP FUNCTION public.next_code();
COMMIT;
