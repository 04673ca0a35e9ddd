BEGIN;
-- drop index t_body on public.t
DROP INDEX public.t_body;
-- drop text search configuration public.cfg
DROP TEXT SEARCH CONFIGURATION public.cfg;
-- create collation public.coll
CREATE COLLATION public.coll (provider = libc, lc_collate = 'C', lc_ctype = 'C');
-- create text search configuration public.cfg
CREATE TEXT SEARCH CONFIGURATION public.cfg (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR asciiword WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR word WITH pg_catalog.simple;
-- alter column public.t.body type collation default -> public.coll
ALTER TABLE public.t ALTER COLUMN body TYPE character varying(20) COLLATE public.coll;
-- create index t_body on public.t
CREATE INDEX t_body ON public.t USING gin (to_tsvector('public.cfg'::regconfig, (body)::text));
COMMIT;
