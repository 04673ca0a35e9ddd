CREATE TEXT SEARCH DICTIONARY public.en_simple (TEMPLATE = pg_catalog.simple, STOPWORDS = english, ACCEPT = false);
CREATE TEXT SEARCH CONFIGURATION public.docs (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION public.docs ALTER MAPPING FOR asciiword, word WITH public.en_simple, pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.docs DROP MAPPING FOR email;
CREATE TEXT SEARCH CONFIGURATION public.titles (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION public.titles ADD MAPPING FOR asciiword, word WITH pg_catalog.simple;
CREATE TABLE public.articles (id integer PRIMARY KEY, title text);
CREATE INDEX articles_title_fts ON public.articles USING gin (to_tsvector('public.titles'::regconfig, title));
COMMENT ON TEXT SEARCH CONFIGURATION public.titles IS 'titles only';
