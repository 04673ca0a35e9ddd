BEGIN;
-- drop text search configuration public.docs
DROP TEXT SEARCH CONFIGURATION public.docs;
-- drop text search configuration public.old_cfg
DROP TEXT SEARCH CONFIGURATION public.old_cfg;
-- drop text search dictionary public.en_simple
DROP TEXT SEARCH DICTIONARY public.en_simple;
-- create text search configuration public.titles
CREATE TEXT SEARCH CONFIGURATION public.titles (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION public.titles ADD MAPPING FOR asciiword WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.titles ADD MAPPING FOR word WITH pg_catalog.simple;
-- create text search dictionary public.en_simple
CREATE TEXT SEARCH DICTIONARY public.en_simple (TEMPLATE = pg_catalog.simple, stopwords = 'english', accept = 'false');
-- create text search configuration public.docs
CREATE TEXT SEARCH CONFIGURATION public.docs (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR asciihword WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR asciiword WITH public.en_simple, pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR file WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR float WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR host WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR hword WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR hword_asciipart WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR hword_numpart WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR hword_part WITH pg_catalog.english_stem;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR int WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR numhword WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR numword WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR sfloat WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR uint WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR url WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR url_path WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR version WITH pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR word WITH public.en_simple, pg_catalog.english_stem;
-- create table public.articles
CREATE TABLE public.articles (
    id integer NOT NULL,
    title text
);
-- add primary key articles_pkey on public.articles
ALTER TABLE public.articles ADD CONSTRAINT articles_pkey PRIMARY KEY (id);
-- create index articles_title_fts on public.articles
CREATE INDEX articles_title_fts ON public.articles USING gin (to_tsvector('public.titles'::regconfig, title));
-- comment on text search configuration public.titles
COMMENT ON TEXT SEARCH CONFIGURATION public.titles IS 'titles only';
COMMIT;
