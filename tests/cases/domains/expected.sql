BEGIN;
-- drop domain public.gone
DROP DOMAIN public.gone;
-- create domain public.email
CREATE DOMAIN public.email AS text;
ALTER DOMAIN public.email ADD CONSTRAINT email_check CHECK ((VALUE ~~ '%@%'::text));
-- drop constraint amount_positive of domain public.amount
ALTER DOMAIN public.amount DROP CONSTRAINT amount_positive;
-- set default of domain public.amount
ALTER DOMAIN public.amount SET DEFAULT 0;
-- set not null on domain public.amount
ALTER DOMAIN public.amount SET NOT NULL;
-- add constraint amount_cap to domain public.amount
ALTER DOMAIN public.amount ADD CONSTRAINT amount_cap CHECK ((VALUE < (1000000)::numeric));
-- add constraint code_format to domain public.code
ALTER DOMAIN public.code ADD CONSTRAINT code_format CHECK ((VALUE ~ '^[A-Z]+$'::text));
-- add constraint code_length to domain public.code
ALTER DOMAIN public.code ADD CONSTRAINT code_length CHECK ((length(VALUE) < 10)) NOT VALID;
-- add column public.t.e public.email
ALTER TABLE public.t ADD COLUMN e public.email;
COMMIT;
