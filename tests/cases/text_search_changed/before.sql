CREATE TEXT SEARCH DICTIONARY public.en_simple (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION public.docs (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION public.docs ALTER MAPPING FOR asciiword WITH public.en_simple;
CREATE TEXT SEARCH CONFIGURATION public.old_cfg (COPY = pg_catalog.simple);
