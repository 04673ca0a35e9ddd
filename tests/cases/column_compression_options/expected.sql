BEGIN;
-- create table public.notes
CREATE TABLE public.notes (
    id integer,
    body text
);
-- set compression of public.notes.body to pglz
ALTER TABLE ONLY public.notes ALTER COLUMN body SET COMPRESSION pglz;
-- set options of public.notes.id to (n_distinct=-0.5)
ALTER TABLE ONLY public.notes ALTER COLUMN id SET (n_distinct=-0.5);
-- set compression of public.pages.html to default
ALTER TABLE ONLY public.pages ALTER COLUMN html SET COMPRESSION default;
-- set compression of public.pages.meta to pglz
ALTER TABLE ONLY public.pages ALTER COLUMN meta SET COMPRESSION pglz;
-- set options of public.pages.html to (n_distinct_inherited=0.5)
ALTER TABLE ONLY public.pages ALTER COLUMN html SET (n_distinct_inherited=0.5);
-- set options of public.pages.id to (n_distinct=-1)
ALTER TABLE ONLY public.pages ALTER COLUMN id RESET (n_distinct_inherited);
-- set options of public.pages.kind to (n_distinct=12)
ALTER TABLE ONLY public.pages ALTER COLUMN kind SET (n_distinct=12);
COMMIT;
