CREATE COLLATION public.coll (provider = libc, locale = 'C');
CREATE TEXT SEARCH CONFIGURATION public.cfg (PARSER = pg_catalog.default);
ALTER TEXT SEARCH CONFIGURATION public.cfg ADD MAPPING FOR asciiword, word WITH simple;
CREATE TABLE public.t (id integer PRIMARY KEY, body character varying(20) COLLATE public.coll);
CREATE INDEX t_body ON public.t USING gin (to_tsvector('public.cfg'::regconfig, body));
