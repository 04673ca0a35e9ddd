CREATE COLLATION public.posix_ci (provider = libc, locale = 'POSIX');
CREATE TYPE public.address AS (street text, city varchar(80), country text COLLATE public.posix_ci);
CREATE TYPE public.point3 AS (x double precision, y double precision, z double precision);
CREATE TYPE public.unused AS (b bigint, a text);
CREATE TABLE public.customers (id integer PRIMARY KEY, home public.address, at public.point3);
COMMENT ON TYPE public.address IS 'a postal address';
