BEGIN;
-- drop type public.gone
DROP TYPE public.gone;
-- create collation public.posix_ci
CREATE COLLATION public.posix_ci (provider = libc, lc_collate = 'POSIX', lc_ctype = 'POSIX');
-- alter type public.address: drop attribute city, drop attribute zip, add attribute city character varying(80), add attribute country text collate public.posix_ci [data loss]
ALTER TYPE public.address DROP ATTRIBUTE city, DROP ATTRIBUTE zip, ADD ATTRIBUTE city character varying(80), ADD ATTRIBUTE country text COLLATE public.posix_ci;
-- alter type public.unused: drop attribute a, drop attribute b, add attribute b bigint, add attribute a text [data loss]
ALTER TYPE public.unused DROP ATTRIBUTE a, DROP ATTRIBUTE b, ADD ATTRIBUTE b bigint, ADD ATTRIBUTE a text;
-- create type public.point3
CREATE TYPE public.point3 AS (x double precision, y double precision, z double precision);
-- add column public.customers.at public.point3
ALTER TABLE public.customers ADD COLUMN at public.point3;
-- comment on type public.address
COMMENT ON TYPE public.address IS 'a postal address';
COMMIT;
