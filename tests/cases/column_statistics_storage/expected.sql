BEGIN;
-- create table public.blobs
CREATE TABLE public.blobs (
    id integer,
    data bytea
);
-- add column public.plain_one.extra text
ALTER TABLE public.plain_one ADD COLUMN extra text;
-- set statistics target of public.blobs.data to 50
ALTER TABLE ONLY public.blobs ALTER COLUMN data SET STATISTICS 50;
-- set storage of public.blobs.data to external
ALTER TABLE ONLY public.blobs ALTER COLUMN data SET STORAGE EXTERNAL;
-- set statistics target of public.docs.id to 1000
ALTER TABLE ONLY public.docs ALTER COLUMN id SET STATISTICS 1000;
-- set statistics target of public.docs.score to 0
ALTER TABLE ONLY public.docs ALTER COLUMN score SET STATISTICS 0;
-- set statistics target of public.docs.title to default
ALTER TABLE ONLY public.docs ALTER COLUMN title SET STATISTICS -1;
-- set storage of public.docs.body to extended
ALTER TABLE ONLY public.docs ALTER COLUMN body SET STORAGE EXTENDED;
-- set storage of public.docs.tags to external
ALTER TABLE ONLY public.docs ALTER COLUMN tags SET STORAGE EXTERNAL;
-- set storage of public.plain_one.extra to plain
ALTER TABLE ONLY public.plain_one ALTER COLUMN extra SET STORAGE PLAIN;
-- set storage of public.plain_one.payload to main
ALTER TABLE ONLY public.plain_one ALTER COLUMN payload SET STORAGE MAIN;
COMMIT;
