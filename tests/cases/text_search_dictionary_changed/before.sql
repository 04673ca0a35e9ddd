CREATE TEXT SEARCH DICTIONARY public.en_simple (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION public.docs (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION public.docs ADD MAPPING FOR asciiword, word WITH public.en_simple;
CREATE FUNCTION public.ieq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE OPERATOR public.=== (FUNCTION = public.ieq, LEFTARG = integer, RIGHTARG = integer);
