BEGIN;
-- create schema ext
CREATE SCHEMA ext;
-- create extension btree_gist
CREATE EXTENSION btree_gist WITH SCHEMA ext;
-- create extension citext
CREATE EXTENSION citext WITH SCHEMA ext;
-- create extension pg_trgm
CREATE EXTENSION pg_trgm WITH SCHEMA ext;
-- create domain public.email
CREATE DOMAIN public.email AS ext.citext;
ALTER DOMAIN public.email ADD CONSTRAINT email_check CHECK (((VALUE)::text ~~ '%@%'::text));
-- add column public.people.aliases ext.citext[]
ALTER TABLE public.people ADD COLUMN aliases ext.citext[];
-- add column public.people.active tstzrange
ALTER TABLE public.people ADD COLUMN active tstzrange;
-- alter column public.people.email type text -> public.email [data loss]
ALTER TABLE public.people ALTER COLUMN email TYPE public.email USING email::public.email;
-- create function public.name_like(a text, b text)
CREATE OR REPLACE FUNCTION public.name_like(a text, b text)
 RETURNS real
 LANGUAGE sql
 IMMUTABLE
RETURN ext.similarity(a, b);
-- add exclusion people_one_active on public.people
ALTER TABLE public.people ADD CONSTRAINT people_one_active EXCLUDE USING gist (id WITH =, active WITH &&);
-- create index people_name_trgm on public.people
CREATE INDEX people_name_trgm ON public.people USING gist (name ext.gist_trgm_ops);
COMMIT;
