-- an index over a column whose collation changes (ALTER COLUMN TYPE rebuilds it
-- as it was) and that names a text search configuration dropped and made again:
-- it is dropped before the configuration and made again after (found by the diff
-- property test on PostgreSQL 15)
CREATE TEXT SEARCH CONFIGURATION public.cfg (COPY = pg_catalog.english);
CREATE TABLE public.t (id integer PRIMARY KEY, body character varying(20));
CREATE INDEX t_body ON public.t USING gin (to_tsvector('public.cfg'::regconfig, body));
