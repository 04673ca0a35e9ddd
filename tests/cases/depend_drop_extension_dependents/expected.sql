BEGIN;
-- drop view public.user_emails
DROP VIEW public.user_emails;
-- drop exclusion users_no_overlap on public.users
ALTER TABLE public.users DROP CONSTRAINT users_no_overlap;
-- drop index users_name_trgm on public.users
DROP INDEX public.users_name_trgm;
-- drop function public.name_similarity(a text, b text)
DROP FUNCTION public.name_similarity(a text, b text);
-- drop extension btree_gist
DROP EXTENSION btree_gist;
-- drop extension pg_trgm
DROP EXTENSION pg_trgm;
-- alter column public.users.email type public.citext -> text
ALTER TABLE public.users ALTER COLUMN email TYPE text USING email::text;
-- alter column public.users.nicknames type public.citext[] -> text[]
ALTER TABLE public.users ALTER COLUMN nicknames TYPE text[] USING nicknames::text[];
-- drop extension citext
DROP EXTENSION citext;
-- create view public.user_emails
CREATE VIEW public.user_emails AS
SELECT id,
    email
   FROM public.users;
COMMIT;
